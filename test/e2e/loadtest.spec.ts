import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { specYaml } from '../support/cluster.ts';
import { clusterInWebMode, SHOTS } from '../support/e2e.ts';

/**
 * The Load test tab against a real cluster: the form checks input with the engine's own rules,
 * a run streams live next to the cluster's metrics, ends with a verdict, exports HTML and JSON,
 * a failing threshold says FAIL, two runs compare, and the Load tests page lists them.
 * Load is bounded: 40 requests/s for 6 s, to the cluster's balancer on 127.0.0.1.
 */
const c = clusterInWebMode('lt', (name, port) => specYaml(name, port, 2));

async function setRun(page: Page, threshold: string) {
  await page.getByTestId('loadtest-preset-steady').click();
  await page.getByTestId('loadtest-level').fill('40');
  await page.getByTestId('loadtest-duration').fill('6s');
  await page.getByTestId('loadtest-threshold-0').fill(threshold);
}


test('design, run live beside the metrics, verdict, export, compare, list', async ({ page }) => {
  await page.goto(c.server.url);
  await page.goto(`${c.server.base}/#/clusters/${c.name}/loadtest`);
  await expect(page.getByTestId('loadtest-empty')).toBeVisible();

  // Bad input is named with its field, and Start stays off until it is fixed.
  await page.getByTestId('loadtest-threshold-0').fill('p95<fast');
  await expect(page.getByTestId('loadtest-form-error')).toContainText('thresholds[0]');
  await expect(page.getByTestId('loadtest-start')).toBeDisabled();
  await page.getByTestId('loadtest-duration').fill('forever');
  await expect(page.getByTestId('loadtest-start')).toBeDisabled();

  // A passing run: live charts (its own and the cluster's), then the report.
  await setRun(page, 'p95<3000');
  await expect(page.getByTestId('loadtest-summary')).toContainText('240 requests');
  await page.getByTestId('loadtest-start').click();
  await expect(page.getByTestId('loadtest-run')).toBeVisible();
  await expect(page.getByTestId('lt-chart-rate')).toHaveAttribute('data-has-data', 'true', { timeout: 20_000 });
  await expect(page.getByTestId('loadtest-cluster-side')).toBeVisible();
  await expect(page.getByTestId('loadtest-stop')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/loadtest-live-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/loadtest-live-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.getByTestId('loadtest-verdict')).toHaveText('PASS', { timeout: 60_000 });
  // The open model sends its schedule whatever happens: 40/s × 6 s.
  const total = Number((await page.getByTestId('loadtest-total-requests').textContent())?.replace(/\D/g, ''));
  expect(total).toBeGreaterThanOrEqual(235);
  expect(total).toBeLessThanOrEqual(245);
  await expect(page.getByTestId('loadtest-model-note')).toContainText('Open model');
  await page.screenshot({ path: `${SHOTS}/loadtest-report-light.png`, fullPage: true });

  // Exports: the JSON report and the self-contained HTML.
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('loadtest-export-json').click()]);
  const report = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { kind: string; cluster: string; totals: { requests: number } };
  expect(report.kind).toBe('scaledeck.loadtest-report');
  expect(report.cluster).toBe(c.name);
  expect(report.totals.requests).toBe(total);
  const [html] = await Promise.all([page.waitForEvent('download'), page.getByTestId('loadtest-export-html').click()]);
  expect(readFileSync((await html.path())!, 'utf8')).toMatch(/<html[\s>]/i);

  // A run that breaks its threshold says FAIL.
  await setRun(page, 'p95<0.01');
  await page.getByTestId('loadtest-start').click();
  await expect(page.getByTestId('loadtest-state')).toHaveText(/starting|running/);
  await expect(page.getByTestId('loadtest-verdict')).toHaveText('FAIL', { timeout: 60_000 });
  await expect(page.getByTestId('loadtest-verdicts').locator('tr[data-status="fail"]')).toHaveCount(1);

  // Both runs are in the history; two ticked compare side by side.
  const rows = page.getByTestId('loadtest-history').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await rows.nth(0).locator('input[type=checkbox]').check();
  await rows.nth(1).locator('input[type=checkbox]').check();
  await expect(page.getByTestId('loadtest-comparison')).toBeVisible();
  await expect(page.getByTestId('compare-rate').locator('td').nth(2)).toHaveText(/\d/);
  await expect(page.getByTestId('compare-p95').locator('td').nth(1)).toHaveText(/\d/);
  await page.getByTestId('loadtest-comparison').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/loadtest-compare-light.png`, fullPage: true });

  // The Load tests page lists every run with its cluster and opens one.
  await page.goto(`${c.server.base}/#/loadtests`);
  const all = page.getByTestId('loadtest-history').locator('tbody tr');
  await expect(all).toHaveCount(2);
  await expect(all.first()).toContainText(c.name);
  await all.first().click();
  await expect(page.getByTestId('loadtest-report')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/loadtests-page-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/loadtests-page-dark.png`, fullPage: true });
});
