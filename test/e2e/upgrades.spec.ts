import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { cli, destroyCluster, docker, freePort, nodesSeen, specYaml, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';
import { startWebMode } from '../support/webmode.ts';

/**
 * The Upgrades tab in Chromium, against web mode and the real engine: a rolling upgrade to a new
 * tag under a 50 req/s probe (0 failed in the history), then a blue-green upgrade back, the
 * awaiting-finalize banner, and a rollback from it. Light and dark screenshots of each state.
 */
const SHOTS = 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

const name = uniqueName('upui');
const home = tempDir();
const BASE_IMAGE = 'scaledeck-test/api:1';
const NEXT = `scaledeck-test/api:e2e-${name}`;
let port = 0;
let server: Awaited<ReturnType<typeof startWebMode>> | undefined;

test.beforeAll(async () => {
  // The machine may be busy: creating the cluster gets plenty of time.
  test.setTimeout(900_000);
  // A "new version": the same program under a new tag (a new image reference, so new containers).
  await docker('tag', BASE_IMAGE, NEXT);
  port = await freePort();
  const spec = writeSpec(home, specYaml(name, port, 2));
  const up = await cli(['up', spec], home, {}, 840_000);
  expect(up.code, up.stderr).toBe(0);
  server = await startWebMode(home);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  await server?.stop();
  await destroyCluster(name);
  await docker('rmi', NEXT).catch(() => '');
});

/** upgrades-<what>-light.png and upgrades-<what>-dark.png, following the emulated system theme. */
async function shoot(page: Page, what: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.evaluate('document.fonts.ready.then(() => null)');
    await page.waitForTimeout(250); // let colour transitions finish
    await page.screenshot({ path: `${SHOTS}/upgrades-${what}-${theme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// Under heavy load a new node can miss its gate (Docker's 5 s health check timing out): the
// upgrade then rolls back by design. The gate gets 180 s here, and such a rollback is retried
// (and noted in the report); any other outcome fails the test.
const LOAD_FLAKE = /is unhealthy|Health check exceeded timeout|did not pass the health gate|did not become healthy/;

/** Fill the form, start, and wait until the new history row leaves `running`; its state must be `want`. */
async function upgrade(page: Page, o: { image: string; strategy: 'rolling' | 'blue-green'; want: string; progressShot?: string }) {
  const rows = page.locator('[data-testid^="upgrade-row-"]');
  const start = page.getByTestId('upgrade-start');
  for (let attempt = 1; ; attempt++) {
    await expect(start).toBeEnabled({ timeout: 120_000 });
    const before = await rows.count();
    await page.getByTestId('upgrade-image').fill(o.image);
    await page.getByTestId(`upgrade-strategy-${o.strategy}`).click();
    if (o.strategy === 'rolling') await page.getByTestId('upgrade-batch').fill('1');
    await page.getByTestId('upgrade-probe-rate').fill('50');
    await page.getByTestId('upgrade-gate').fill('180');
    await start.click();

    // The live steps of this upgrade.
    const opState = page.locator('.upgrade-op').getByTestId('operation-state');
    await expect(opState).toBeVisible({ timeout: 60_000 });
    if (o.progressShot && attempt === 1 && (await opState.textContent())?.includes('running')) {
      await expect(page.locator('.upgrade-op .step')).not.toHaveCount(0);
      await shoot(page, o.progressShot);
    }
    await expect(rows).toHaveCount(before + 1, { timeout: 300_000 });
    await expect.poll(() => rows.first().getAttribute('data-state'), { timeout: 900_000, intervals: [2_000] }).not.toBe('running');
    await expect(opState).not.toHaveText(/running/, { timeout: 120_000 });
    const state = await rows.first().getAttribute('data-state');
    if (state === o.want) return rows.first();
    const reason = (await rows.first().locator('.reason-cell').getAttribute('title')) ?? '';
    if (attempt >= 3 || state !== 'rolled-back' || !LOAD_FLAKE.test(reason)) throw new Error(`${o.strategy} upgrade ended ${state}, not ${o.want}: ${reason}`);
    test.info().annotations.push({ type: 'load-retry', description: `${o.strategy} attempt ${attempt} rolled back: ${reason}` });
    console.log(`[upgrades.spec] ${o.strategy} attempt ${attempt} rolled back under load, retrying: ${reason}`);
  }
}

test('rolling upgrade with a probe, then blue-green, awaiting finalize, roll back', async ({ page }) => {
  test.setTimeout(2_700_000);
  await page.goto(server!.url);
  await page.goto(`${server!.base}/#/clusters/${name}/upgrades`);
  await expect(page.getByTestId('tab-upgrades')).toHaveAttribute('aria-current', 'page');

  // Before any upgrade: the empty state teaches; the form is prefilled with the image that runs.
  await expect(page.getByTestId('upgrades-empty')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('upgrade-image')).toHaveValue(BASE_IMAGE, { timeout: 30_000 });
  await expect(page.getByTestId('upgrade-start')).toBeEnabled();
  await shoot(page, 'empty');

  // Rolling, to the new tag, under a 50 req/s probe: succeeded, 0 failed requests during it.
  const rolling = await upgrade(page, { image: NEXT, strategy: 'rolling', want: 'succeeded', progressShot: 'rolling-progress' });
  await expect(rolling).toHaveAttribute('data-strategy', 'rolling');
  await expect(rolling).toContainText(`api:e2e-${name}`);
  await expect(rolling.getByTestId('upgrade-failed')).toHaveText('0');
  const sentText = (await rolling.getByTestId('upgrade-probe-during').textContent()) ?? '';
  expect(Number(/\/\s*(\d+)/.exec(sentText)?.[1] ?? 0), sentText).toBeGreaterThan(0);
  await expect(page.getByTestId('upgrade-current-image')).toHaveText(NEXT, { timeout: 30_000 });
  // A row opens to its steps with timings, the probe per phase and the plan.
  await rolling.click();
  const detail = page.locator('[data-testid^="upgrade-detail-"]').first();
  await expect(detail.locator('.step[data-step-state="done"]').first()).toBeVisible();
  await expect(detail.getByTestId('probe-during')).toBeVisible();
  await shoot(page, 'rolling-done');
  await rolling.click(); // closed again

  // Blue-green, back to the first image: once switched, the banner waits for a decision and
  // starting another upgrade is refused meanwhile.
  const blueGreen = await upgrade(page, { image: BASE_IMAGE, strategy: 'blue-green', want: 'awaiting-finalize' });
  await expect(blueGreen).toHaveAttribute('data-strategy', 'blue-green');
  const banner = page.getByTestId('upgrade-pending');
  await expect(banner).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('upgrade-start')).toBeDisabled();
  await expect(page.getByTestId('upgrade-blocked')).toContainText('finalize');
  await shoot(page, 'awaiting-finalize');

  // Roll back, with a confirm step.
  await banner.getByTestId('upgrade-rollback').click();
  await expect(banner.getByTestId('upgrade-confirm-rollback')).toBeVisible();
  await shoot(page, 'rollback-confirm');
  await banner.getByTestId('upgrade-confirm-rollback').click();

  await expect(banner).toBeHidden({ timeout: 600_000 });
  const rows = page.locator('[data-testid^="upgrade-row-"]');
  await expect(rows.first()).toHaveAttribute('data-state', 'rolled-back', { timeout: 60_000 });
  await expect(rows.first().getByTestId('upgrade-state')).toHaveText(/rolled back/);
  await expect(page.locator('.upgrade-op').getByTestId('operation-state')).toHaveText(/succeeded/i, { timeout: 120_000 });
  await expect(page.getByTestId('upgrade-start')).toBeEnabled({ timeout: 60_000 });
  await shoot(page, 'history');

  // The cluster serves from the nodes of the rolling upgrade again.
  const seen = await nodesSeen(`http://127.0.0.1:${port}/`, 8);
  expect([...seen.keys()].sort()).toEqual(['api-1-green', 'api-2-green']);

  // The Upgrades section lists both, across clusters, with the probe's count of failures.
  await page.getByTestId('nav-upgrades').click();
  const all = page.getByTestId('upgrades-all').locator('tbody tr');
  await expect(all.first()).toContainText('rolled back');
  await expect(all.first()).toContainText('blue-green');
  await expect(page.getByTestId('upgrades-all')).toContainText('rolling');
  expect(await all.count()).toBeGreaterThanOrEqual(2);
  await shoot(page, 'all');
});
