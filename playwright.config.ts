import { defineConfig } from '@playwright/test';

// Browser tests run the real UI in Debian's Chromium against web mode (`scaledeck serve`),
// which each test file starts itself on a free port with its own workspace.
export default defineConfig({
  testDir: 'test/e2e',
  timeout: 300_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  outputDir: 'test-results/playwright',
  use: {
    viewport: { width: 1360, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
    trace: 'retain-on-failure',
  },
});
