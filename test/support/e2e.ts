import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { cli, destroyCluster, freePort, tempDir, uniqueName, writeSpec } from './cluster.ts';
import { startWebMode } from './webmode.ts';

export const SHOTS = 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

type WebMode = Awaited<ReturnType<typeof startWebMode>>;

/**
 * A browser test's own workspace and `scaledeck serve` on it, stopped after the file; the
 * cluster name it reserves is removed from the engine then too (whatever state it is in).
 */
export function webModeWorkspace(prefix: string) {
  const ctx = { name: uniqueName(prefix), home: tempDir(), port: 0, server: undefined as unknown as WebMode };
  test.beforeAll(async () => {
    ctx.server = await startWebMode(ctx.home);
  });
  test.afterAll(async () => {
    await ctx.server?.stop();
    await destroyCluster(ctx.name);
  });
  return ctx;
}

/**
 * What most browser tests share: the above, plus one real cluster made before the test (its spec
 * YAML from its name and a free balancer port).
 */
export function clusterInWebMode(prefix: string, spec: (name: string, port: number) => string, upTimeoutMs = 240_000) {
  const ctx = webModeWorkspace(prefix);
  test.beforeAll(async () => {
    test.setTimeout(upTimeoutMs + 60_000);
    ctx.port = await freePort();
    const up = await cli(['up', writeSpec(ctx.home, spec(ctx.name, ctx.port))], ctx.home, {}, upTimeoutMs);
    expect(up.code, up.stderr + up.stdout).toBe(0);
  });
  return ctx;
}

/** Full-page screenshots in the light and the dark theme: SHOTS/<name>-<theme>.png. */
export async function shootThemes(page: Page, name: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.waitForTimeout(250);
    await page.screenshot({ path: `${SHOTS}/${name}-${theme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
