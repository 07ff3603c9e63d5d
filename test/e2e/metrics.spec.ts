import { expect, test } from '@playwright/test';
import { specYaml, startProbe } from '../support/cluster.ts';
import { clusterInWebMode, SHOTS } from '../support/e2e.ts';

/**
 * The Metrics tab against a real cluster under a bounded load: the request-rate chart and the
 * node list show live values, the window picker and pause work, screenshots light and dark.
 */
const c = clusterInWebMode('mt', (name, port) => specYaml(name, port, 2));

test('metrics tab charts live traffic, lists nodes, pauses and resumes', async ({ page }) => {
  await page.goto(c.server.url);
  await page.goto(`${c.server.base}/#/clusters/${c.name}/metrics`);
  await expect(page.getByTestId('metrics-status')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });

  const probe = startProbe(`http://127.0.0.1:${c.port}/`, { concurrency: 4, maxMs: 40_000, maxRequests: 20_000 });
  try {
    // The request-rate chart shows a non-zero value (api-1's CPU value is checked below).
    await expect
      .poll(async () => Number.parseFloat((await page.getByTestId('chart-rps-value').textContent().catch(() => null)) ?? '0'), { timeout: 40_000 })
      .toBeGreaterThan(0);
    await expect(page.getByTestId('metrics-node-api-1')).toBeVisible();
    await expect(page.getByTestId('metrics-node-cpu-api-1')).toHaveText(/\d/);
    await expect(page.getByTestId('metrics-node-api-1')).toHaveAttribute('data-health', 'ok');
    await expect(page.getByTestId('chart-rps').locator('canvas.time-canvas')).toBeVisible();
    await page.waitForTimeout(5_000);
    await page.screenshot({ path: `${SHOTS}/metrics-e2e-light.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOTS}/metrics-e2e-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // Window picker and pause.
    await page.getByTestId('window-1m').click();
    await expect(page.getByTestId('window-1m')).toHaveAttribute('aria-pressed', 'true');
    await page.getByTestId('metrics-pause').click();
    await expect(page.getByTestId('metrics-status')).toHaveAttribute('data-status', 'paused');
    await page.getByTestId('metrics-pause').click();
    await expect(page.getByTestId('metrics-status')).toHaveAttribute('data-status', 'live');
  } finally {
    const stats = await probe.stop();
    expect(stats.ok).toBeGreaterThan(0);
  }

  // The rules editor shows the defaults.
  await expect(page.getByTestId('rules-editor').locator('tbody tr').first()).toBeVisible();

  // The export page carries the Prometheus scrape config.
  await page.goto(`${c.server.base}/#/clusters/${c.name}/export`);
  await expect(page.getByTestId('export-prometheus.yml')).toContainText('scrape_configs');
});
