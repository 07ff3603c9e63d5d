import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { cli, destroyCluster, freePort, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';
import { startWebMode } from '../support/webmode.ts';

/**
 * The Database panel on the Overview tab, in Chromium against web mode and the real engine:
 * two streaming replicas with their lag, then a promotion from the panel (with confirmation):
 * the operation shows its write downtime and the panel the new primary and the fenced old one.
 */
const SHOTS = 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

const name = uniqueName('dbui');
const home = tempDir();
let server: Awaited<ReturnType<typeof startWebMode>> | undefined;

test.beforeAll(async () => {
  test.setTimeout(600_000);
  const port = await freePort();
  const spec = writeSpec(home, `name: ${name}\napi:\n  replicas: 2\nbalancer:\n  port: ${port}\nworker:\n  replicas: 0\npostgres:\n  replicas: 2\n`);
  const up = await cli(['up', spec], home, {}, 540_000);
  expect(up.code, up.stderr).toBe(0);
  server = await startWebMode(home);
});

test.afterAll(async () => {
  await server?.stop();
  await destroyCluster(name);
});

async function shoot(page: Page, what: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.waitForTimeout(250);
    await page.screenshot({ path: `${SHOTS}/database-${what}-${theme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('replicas stream with their lag, and a replica is promoted from the panel', async ({ page }) => {
  await page.goto(server!.url);
  await page.goto(`${server!.base}/#/clusters/${name}/overview`);
  const panel = page.getByTestId('db-panel');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  for (const r of ['postgres-replica-1', 'postgres-replica-2']) {
    await expect(page.getByTestId(`db-replica-${r}`)).toContainText('streaming', { timeout: 30_000 });
  }
  await expect(panel).toContainText('read-write');
  await page.getByTestId('db-panel').scrollIntoViewIfNeeded();
  await shoot(page, 'replicas');

  await page.getByTestId('db-promote-postgres-replica-2').click();
  await page.getByTestId('db-promote-confirm').click();
  await expect(page.locator('.op-card').getByTestId('operation-state')).toHaveText('succeeded', { timeout: 120_000 });
  await expect(page.getByTestId('operation-result')).toContainText('Write downtime');
  await expect(panel).toContainText('postgres-replica-2', { timeout: 15_000 });
  await expect(panel).toContainText('fenced (stopped, kept): postgres', { timeout: 15_000 });
  await expect(page.getByTestId('db-replica-postgres-replica-1')).toContainText('streaming', { timeout: 60_000 });
  await shoot(page, 'promoted');
});
