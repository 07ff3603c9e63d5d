import { expect, test } from '@playwright/test';
import { clusterInWebMode, shootThemes } from '../support/e2e.ts';

/**
 * The Database panel on the Overview tab, in Chromium against web mode and the real engine:
 * two streaming replicas with their lag, then a promotion from the panel (with confirmation):
 * the operation shows its write downtime and the panel the new primary and the fenced old one.
 */

const c = clusterInWebMode('dbui', (name, port) => `name: ${name}\napi:\n  replicas: 2\nbalancer:\n  port: ${port}\nworker:\n  replicas: 0\npostgres:\n  replicas: 2\n`, 540_000);

test('replicas stream with their lag, and a replica is promoted from the panel', async ({ page }) => {
  await page.goto(c.server.url);
  await page.goto(`${c.server.base}/#/clusters/${c.name}/overview`);
  const panel = page.getByTestId('db-panel');
  await expect(panel).toBeVisible({ timeout: 30_000 });
  for (const r of ['postgres-replica-1', 'postgres-replica-2']) {
    await expect(page.getByTestId(`db-replica-${r}`)).toContainText('streaming', { timeout: 30_000 });
  }
  await expect(panel).toContainText('read-write');
  await page.getByTestId('db-panel').scrollIntoViewIfNeeded();
  await shootThemes(page, 'database-replicas');

  await page.getByTestId('db-promote-postgres-replica-2').click();
  await page.getByTestId('db-promote-confirm').click();
  await expect(page.locator('.op-card').getByTestId('operation-state')).toHaveText('succeeded', { timeout: 120_000 });
  await expect(page.getByTestId('operation-result')).toContainText('Write downtime');
  await expect(panel).toContainText('postgres-replica-2', { timeout: 15_000 });
  await expect(panel).toContainText('fenced (stopped, kept): postgres', { timeout: 15_000 });
  await expect(page.getByTestId('db-replica-postgres-replica-1')).toContainText('streaming', { timeout: 60_000 });
  await shootThemes(page, 'database-promoted');
});
