import { expect, test } from '@playwright/test';
import { freePort, get, labelled, nodesSeen } from '../support/cluster.ts';
import { SHOTS, webModeWorkspace } from '../support/e2e.ts';

/**
 * The one-click local cluster, in a real browser against web mode and the real engine:
 * create from the UI, watch progress, see every node healthy, open the export page, delete.
 */
const w = webModeWorkspace('ui');
const name = w.name;

test('web mode refuses every API route and the event stream without the token', async ({ request }) => {
  for (const method of ['clusters.list', 'engine.info', 'clusters.createFromPreset', 'clusters.down']) {
    const r = await request.post(`${w.server.base}/api/${method}`, { data: {} });
    expect(r.status(), method).toBe(401);
  }
  expect((await request.get(`${w.server.base}/api/events`)).status()).toBe(401);
  const wrong = await request.post(`${w.server.base}/api/clusters.list`, { headers: { authorization: 'Bearer nope' } });
  expect(wrong.status()).toBe(401);
});

test('create the starter cluster from the UI, see it healthy, export it, delete it', async ({ page }) => {
  const port = await freePort();
  await page.goto(w.server.url);
  await expect(page.getByTestId('create-cluster')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/clusters-empty-light.png`, fullPage: true });

  await page.getByLabel(/name/i).first().fill(name);
  await page.getByLabel(/port/i).first().fill(String(port));
  await page.getByTestId('create-cluster').click();

  // Progress is shown while it runs, then the operation succeeds.
  await expect(page).toHaveURL(new RegExp(`#/clusters/${name}`));
  await expect(page.getByTestId('operation-state')).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: `${SHOTS}/cluster-progress-light.png`, fullPage: true });
  await expect(page.getByTestId('operation-state')).toHaveText(/succeeded/i, { timeout: 180_000 });

  // Every node of the topology turns healthy.
  for (const service of ['balancer', 'api-1', 'api-2', 'api-3', 'redis', 'postgres']) {
    await expect(page.getByTestId(`node-${service}`)).toHaveAttribute('data-health', 'healthy', { timeout: 30_000 });
  }
  await page.screenshot({ path: `${SHOTS}/cluster-healthy-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/cluster-healthy-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // And the cluster really answers on 127.0.0.1 from several nodes.
  const seen = await nodesSeen(`http://127.0.0.1:${port}/`, 15);
  expect(seen.size).toBe(3);

  // Export page: the generated compose file and nginx.conf.
  await page.goto(`${w.server.base}/#/clusters/${name}/export`);
  await expect(page.getByTestId('export-docker-compose.yml')).toContainText('services:');
  await expect(page.getByTestId('export-nginx.conf')).toContainText('upstream api');
  await page.screenshot({ path: `${SHOTS}/export-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/export-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // The list shows it.
  await page.goto(`${w.server.base}/#/`);
  await expect(page.getByTestId(`cluster-row-${name}`)).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/clusters-list-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/clusters-list-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // Delete from the cluster page.
  await page.goto(`${w.server.base}/#/clusters/${name}`);
  await page.getByTestId('delete-cluster').click();
  await page.getByTestId('delete-confirm').click();
  await expect.poll(async () => (await labelled('ps', name)).length, { timeout: 120_000 }).toBe(0);
  expect((await get(`http://127.0.0.1:${port}/`, 1000)).status).toBe(0);
});
