import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import { ROOT } from '../support/cluster.ts';

/**
 * render_ms: one Metrics tab update with 20 API nodes × 300 points per series, measured with the
 * Performance API in Chromium (performance.measure around a synchronous React render of one
 * `metrics` batch plus the layout it causes). Peer, same browser, same run: bare recharts
 * drawing the same per-node series (4 charts × 20 series × 300 points) with no app code.
 * Medians of UPDATES updates after WARMUP, each mode in a fresh page.
 */
const UPDATES = Number(process.env.BENCH_RENDER_UPDATES ?? 30);
const WARMUP = 5;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function measureRender(): Promise<{ render_ms: number; bare_recharts_ms: number; vs_bare_recharts: number; paths: number; updates: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sd-render-'));
  await build({
    entryPoints: [join(ROOT, 'test', 'bench', 'render', 'harness.tsx')],
    bundle: true,
    minify: true,
    format: 'iife',
    jsx: 'automatic',
    outdir: dir,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="harness.css"></head><body><div id="root"></div><script src="harness.js"></script></body></html>');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const run = async (mode: 'app' | 'bare') => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await page.goto(`${pathToFileURL(join(dir, 'index.html')).href}?mode=${mode}`);
    await page.waitForFunction(() => (globalThis as unknown as { bench?: { ready: () => boolean } }).bench?.ready(), undefined, { timeout: 30_000 });
    const times: number[] = [];
    for (let i = 0; i < WARMUP + UPDATES; i++) {
      const ms = await page.evaluate(() => (globalThis as unknown as { bench: { update: () => number } }).bench.update());
      if (i >= WARMUP) times.push(ms);
      await page.evaluate(() => new Promise((r) => (globalThis as unknown as { requestAnimationFrame: (f: () => void) => void }).requestAnimationFrame(() => r(null))));
    }
    const paths = await page.evaluate(() => (globalThis as unknown as { bench: { charts: () => number } }).bench.charts());
    await page.close();
    return { ms: median(times), paths };
  };
  try {
    const app = await run('app');
    const bare = await run('bare');
    console.log(`render: Metrics tab update ${app.ms.toFixed(2)} ms median of ${UPDATES} (${app.paths} charts); bare recharts ${bare.ms.toFixed(2)} ms (${bare.paths} recharts lines)`);
    return { render_ms: Math.round(app.ms * 100) / 100, bare_recharts_ms: Math.round(bare.ms * 100) / 100, vs_bare_recharts: Math.round((app.ms / bare.ms) * 1000) / 1000, paths: app.paths, updates: UPDATES };
  } finally {
    await browser.close();
  }
}
