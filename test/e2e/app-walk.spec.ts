import { expect, test, type Page } from '@playwright/test';
import { freePort, get, labelled, uniqueName } from '../support/cluster.ts';
import { SHOTS, webModeWorkspace } from '../support/e2e.ts';

/**
 * A walk through every page of the UI in Chromium, against web mode and the real engine:
 * create a cluster from the spec editor (plan preview first), watch it converge, follow its logs
 * (search, pause), export it, read its spec, visit settings, use the shortcuts, delete it.
 * Every page and tab is photographed in the light and the dark theme.
 */
const w = webModeWorkspace('walk');
const name = w.name;

/** walk-<page>-light.png and walk-<page>-dark.png, following the emulated system theme. */
async function shoot(page: Page, what: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.evaluate('document.fonts.ready.then(() => null)');
    await page.waitForTimeout(250); // let colour transitions finish
    await page.screenshot({ path: `${SHOTS}/walk-${what}-${theme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('walk every page: create from the spec editor, progress, logs, export, spec, settings, delete', async ({ page }) => {
  const port = await freePort();
  const marker = `walk-${Date.now().toString(36)}`;

  await page.goto(w.server.url);
  await expect(page.getByRole('heading', { name: 'Clusters', level: 1 })).toBeVisible();
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-reachable', 'true');
  await shoot(page, 'clusters');

  // The spec editor, from the clusters page.
  await page.getByTestId('new-cluster').click();
  await expect(page).toHaveURL(/#\/new$/);
  await expect(page.getByTestId('spec-editor')).toBeVisible();
  await expect(page.getByTestId('spec-status')).toHaveText(/Valid spec/);
  await page.getByTestId('spec-name').fill(name);
  await page.getByTestId('spec-balancerPort').fill(String(port));
  await page.getByTestId('spec-replicas').fill('2');
  // The form writes the YAML…
  await expect(page.getByTestId('spec-yaml')).toHaveValue(new RegExp(`name: ${name}`));
  await expect(page.getByTestId('spec-yaml')).toHaveValue(/replicas: 2/);
  await expect(page.getByTestId('spec-yaml')).toHaveValue(new RegExp(`port: ${port}`));
  // …and the YAML writes the form.
  const yaml = await page.getByTestId('spec-yaml').inputValue();
  await page.getByTestId('spec-yaml').fill(yaml.replace(/algorithm: \w+/, 'algorithm: least_conn'));
  await expect(page.getByTestId('field-algorithm').getByRole('radio', { name: /least_conn/ })).toBeChecked();
  // Validated, then planned.
  await expect(page.getByTestId('spec-status')).toHaveText(/Valid spec/);
  await expect(page.getByTestId('plan-summary')).toContainText('to create', { timeout: 20_000 });
  await expect(page.getByTestId('plan-steps')).toContainText('api-2');
  await expect(page.getByTestId('spec-apply')).toBeEnabled();
  await shoot(page, 'new-cluster');

  await page.getByTestId('spec-apply').click();

  // Overview: progress, the "keeps running" hint, then success.
  await expect(page).toHaveURL(new RegExp(`#/clusters/${name}/overview$`));
  await expect(page.getByTestId('operation-state')).toBeVisible({ timeout: 30_000 });
  const running = (await page.getByTestId('operation-state').textContent())?.includes('running');
  if (running) {
    await expect(page.getByTestId('operation-hint')).toContainText('continues if you close the window');
    await shoot(page, 'overview-progress');
  }
  await expect(page.getByTestId('operation-state')).toHaveText(/succeeded|failed/i, { timeout: 180_000 });
  if ((await page.getByTestId('operation-state').textContent()) !== 'succeeded') {
    // On a loaded machine a health check can time out. The UI's way out is the one it teaches:
    // apply again, which continues from what exists (here: through the Spec tab, once).
    const why = await page.locator('.op .notice-error').first().textContent();
    await expect(page.getByTestId('error-next-step').first()).toBeVisible();
    await shoot(page, 'overview-failed');
    console.warn(`first apply failed (${why}); applying again from the Spec tab`);
    await page.getByTestId('tab-spec').click();
    await expect(page.getByTestId('spec-apply')).toBeEnabled({ timeout: 30_000 });
    await page.getByTestId('spec-apply').click();
    await expect(page).toHaveURL(new RegExp(`#/clusters/${name}/overview$`));
    await expect(page.getByTestId('operation-state')).toHaveText(/succeeded|failed/i, { timeout: 180_000 });
    expect(await page.getByTestId('operation-state').textContent(), `apply failed twice: ${await page.locator('.op .notice-error').first().textContent()}`).toBe('succeeded');
  }
  await expect(page.getByTestId('operation-hint')).toHaveCount(0);
  for (const service of ['balancer', 'api-1', 'api-2', 'redis', 'postgres']) {
    await expect(page.getByTestId(`node-${service}`)).toHaveAttribute('data-health', 'healthy', { timeout: 60_000 });
  }
  await expect(page.getByTestId('node-api-3')).toHaveCount(0);
  await shoot(page, 'overview');

  // Logs: follow api-1, search, pause.
  await page.getByTestId('tab-logs').click();
  await expect(page).toHaveURL(new RegExp(`#/clusters/${name}/logs$`));
  await expect(page.getByTestId('log-service')).toHaveValue('api-1');
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-status', 'live');
  const traffic = async (n: number) => {
    for (let i = 0; i < n; i++) await get(`http://127.0.0.1:${port}/?mark=${marker}&i=${i}`);
  };
  await traffic(12);
  const rows = page.getByTestId('log-row');
  await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(2);
  await expect(rows.filter({ hasText: 'api-1' }).first()).toBeVisible();

  // A term some lines have and others do not (the API node's log format is its own business).
  const all = await rows.allTextContents();
  const candidates = [marker, 'listening', 'request', '/health', 'ready', 'GET', 'api-1'];
  const share = (t: string) => all.filter((x) => x.includes(t)).length;
  const term = candidates.find((t) => share(t) > 0 && share(t) < all.length) ?? candidates.find((t) => share(t) > 0)!;

  // "/" focuses the search; typing filters and highlights.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('/');
  await expect(page.getByTestId('log-search')).toBeFocused();
  await page.keyboard.type(term);
  await expect(page.getByTestId('log-match-count')).not.toHaveText('0');
  const texts = await rows.allTextContents();
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) expect(t.toLowerCase()).toContain(term.toLowerCase());
  await expect(rows.first().locator('mark').first()).toHaveText(term, { ignoreCase: true });
  await shoot(page, 'logs');

  // Pause: new lines are held, not shown; resume shows them.
  await page.getByTestId('log-search').fill('');
  await page.getByTestId('log-pause').click();
  await expect(page.getByTestId('log-pause')).toHaveAttribute('aria-pressed', 'true');
  const before = await page.getByTestId('log-status').textContent();
  const countOf = (s: string | null) => Number(/(\d+) lines?/.exec(s ?? '')?.[1] ?? -1);
  await traffic(12);
  await expect(page.getByTestId('log-held')).not.toHaveText(/^0 new/, { timeout: 20_000 });
  expect(countOf(await page.getByTestId('log-status').textContent())).toBe(countOf(before));
  await shoot(page, 'logs-paused');
  await page.getByTestId('log-pause').click();
  await expect.poll(async () => countOf(await page.getByTestId('log-status').textContent())).toBeGreaterThan(countOf(before));

  // Export.
  await page.getByTestId('export-link').click();
  await expect(page).toHaveURL(new RegExp(`#/clusters/${name}/export$`));
  await expect(page.getByTestId('export-docker-compose.yml')).toContainText('services:');
  await expect(page.getByTestId('export-nginx.conf')).toContainText('least_conn');
  await shoot(page, 'export');

  // Spec: the stored spec, nothing to change.
  await page.getByTestId('tab-spec').click();
  await expect(page).toHaveURL(new RegExp(`#/clusters/${name}/spec$`));
  await expect(page.getByTestId('spec-yaml')).toHaveValue(new RegExp(`name: ${name}`));
  await expect(page.getByTestId('spec-name')).toHaveValue(name);
  await expect(page.getByTestId('spec-replicas')).toHaveValue('2');
  await expect(page.getByTestId('plan-summary')).toContainText('Nothing to change', { timeout: 20_000 });
  await expect(page.getByTestId('spec-apply')).toBeDisabled();
  // A change shows what it would do, without applying it.
  await page.getByTestId('spec-replicas').fill('3');
  await expect(page.getByTestId('plan-summary')).toContainText('1 to create', { timeout: 20_000 });
  await expect(page.getByTestId('plan-summary')).toContainText('balancer reload');
  await shoot(page, 'spec');
  await page.getByTestId('spec-revert').click();
  await expect(page.getByTestId('spec-replicas')).toHaveValue('2');

  // Settings, and the shortcuts.
  await page.getByTestId('nav-settings').click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByTestId('settings-image-set')).toHaveText('test');
  await expect(page.getByTestId('token-status')).toContainText('signed in');
  await expect(page.getByTestId('shortcut-list')).toContainText('Go to clusters');
  // Web mode runs outside the desktop app: no keyring, so secrets are 0600 files and it says so.
  await expect(page.getByTestId('secrets-mode')).toContainText('0600 files');
  await expect(page.getByTestId('secrets-note')).toContainText('no keyring access');
  await shoot(page, 'settings');

  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts-dialog')).toBeVisible();
  await shoot(page, 'shortcuts');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts-dialog')).toBeHidden();

  const html = page.locator('html');
  await page.keyboard.press('t');
  const toggled = await html.getAttribute('data-theme');
  expect(['light', 'dark']).toContain(toggled);
  await page.keyboard.press('t');
  expect(await html.getAttribute('data-theme')).not.toBe(toggled);
  await page.getByTestId('theme-system').click();
  await expect(html).not.toHaveAttribute('data-theme', /./);

  // Shortcuts stay quiet while typing.
  await page.getByTestId('nav-clusters').focus();
  await page.keyboard.press('g');
  await page.keyboard.press('c');
  await expect(page).toHaveURL(/#\/$/);
  await expect(page.getByTestId(`cluster-row-${name}`)).toBeVisible();
  await page.getByTestId('create-name').click();
  await page.getByTestId('create-name').fill('');
  await page.keyboard.type('gst?');
  await expect(page.getByTestId('create-name')).toHaveValue('gst?');
  await expect(page).toHaveURL(/#\/$/);
  await expect(page.getByTestId('shortcuts-dialog')).toBeHidden();
  await expect(html).not.toHaveAttribute('data-theme', /./);
  await page.getByTestId('create-name').fill('starter');
  await shoot(page, 'clusters-list');

  // Delete from the overview, through the UI.
  await page.getByTestId(`cluster-row-${name}`).getByRole('link', { name }).click();
  await expect(page).toHaveURL(new RegExp(`#/clusters/${name}$`));
  await page.getByTestId('delete-cluster').click();
  await shoot(page, 'overview-delete');
  await page.getByTestId('delete-confirm').click();
  await expect.poll(async () => (await labelled('ps', name)).length, { timeout: 120_000 }).toBe(0);
  await expect(page.getByTestId('cluster-gone')).toBeVisible({ timeout: 30_000 });
  expect(await labelled('network', name)).toEqual([]);
  expect((await get(`http://127.0.0.1:${port}/`, 1000)).status).toBe(0);
});

test('replicas 0: the error shows next to the field, in the YAML list, and Apply is disabled', async ({ page }) => {
  await page.goto(w.server.url);
  await page.goto(`${w.server.base}/#/new`);
  await expect(page.getByTestId('spec-status')).toHaveText(/Valid spec/);
  await page.getByTestId('spec-name').fill(uniqueName('zero'));
  await page.getByTestId('spec-replicas').fill('0');
  await expect(page.getByTestId('field-replicas')).toContainText('must be between 1 and 64');
  await expect(page.getByTestId('spec-replicas')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('spec-problems')).toContainText('api/replicas');
  await expect(page.getByTestId('spec-problems')).toContainText(/line \d+/);
  await expect(page.getByTestId('spec-apply')).toBeDisabled();
  await expect(page.getByTestId('plan-summary')).toContainText('Fix 1 problem');
  await shoot(page, 'spec-error');

  // A YAML syntax error: listed with its line, the form waits.
  await page.getByTestId('spec-yaml').fill('name: [broken\n');
  await expect(page.getByTestId('spec-status')).toHaveText(/does not parse/);
  await expect(page.getByTestId('spec-problems')).toContainText('invalid YAML');
  await expect(page.getByTestId('spec-apply')).toBeDisabled();
  await expect(page.getByTestId('spec-replicas')).toBeDisabled();

  // Back to valid YAML: the form follows.
  await page.getByTestId('spec-yaml').fill('name: fixed\napi:\n  replicas: 4\n');
  await expect(page.getByTestId('spec-replicas')).toHaveValue('4');
  await expect(page.getByTestId('spec-status')).toHaveText(/Valid spec/);
});

test('web mode without a token shows the sign-in screen; a pasted token signs in; sign out', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${w.server.base}/`);
  await expect(page.getByTestId('sign-in')).toBeVisible();
  await shoot(page, 'sign-in');

  await page.getByLabel('Access token').fill('not-the-token');
  await page.getByTestId('sign-in-submit').click();
  await expect(page.getByTestId('sign-in')).toContainText('refused');
  await shoot(page, 'sign-in-refused');

  // The whole printed link works as well as the bare token.
  await page.getByLabel('Access token').fill(w.server.url);
  await page.getByTestId('sign-in-submit').click();
  await expect(page.getByRole('heading', { name: 'Clusters', level: 1 })).toBeVisible();
  expect(await page.evaluate("sessionStorage.getItem('scaledeck.token')")).toBe(w.server.token);

  // A token the server stops accepting: back to sign-in, not a broken page.
  await page.evaluate("sessionStorage.setItem('scaledeck.token', 'stale')");
  await page.reload();
  await expect(page.getByTestId('sign-in')).toBeVisible();
  await page.getByLabel('Access token').fill(w.server.token);
  await page.getByTestId('sign-in-submit').click();

  await page.goto(`${w.server.base}/#/settings`);
  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('sign-in')).toContainText('signed out');
  expect(await page.evaluate("sessionStorage.getItem('scaledeck.token')")).toBeNull();
  await context.close();
});
