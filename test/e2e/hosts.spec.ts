import { expect, test } from '@playwright/test';
import { SHOTS, shootThemes } from '../support/e2e.ts';
import { tempDir } from '../support/cluster.ts';
import { startLab, type Lab } from '../support/lab.ts';
import { startWebMode } from '../support/webmode.ts';

/**
 * The Hosts page against a real lab host (a container running sshd and its own Docker engine):
 * adding it shows the host key's fingerprint and stores nothing until it is trusted; once
 * trusted, Test reads the remote engine; Remove forgets it.
 */
let lab: Lab;
let server: Awaited<ReturnType<typeof startWebMode>>;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  lab = await startLab(1);
  server = await startWebMode(tempDir());
});

test.afterAll(async () => {
  await server?.stop();
  await lab?.cleanup();
});

test('add a host with explicit key trust, test it, remove it', async ({ page }) => {
  const h = lab.hosts[0]!;
  await page.goto(server.url);
  await page.goto(`${server.base}/#/hosts`);
  await expect(page.getByTestId('hosts-empty')).toBeVisible();

  // Bad input is named before anything is sent.
  await page.getByTestId('host-name').fill('web1');
  await page.getByTestId('host-target').fill('no-at-sign');
  await expect(page.getByTestId('host-add')).toBeDisabled();

  await page.getByTestId('host-target').fill(`lab@127.0.0.1:${h.sshPort}`);
  await page.getByTestId('host-auth-key').click();
  await page.getByTestId('host-key').fill(lab.keyPath);
  await page.getByTestId('host-add').click();

  // First contact: the fingerprint to check, and nothing stored yet.
  await expect(page.getByTestId('host-trust')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('host-fingerprint')).toHaveText(h.fingerprint);
  await expect(page.getByTestId('hosts-empty')).toBeVisible();
  await shootThemes(page, 'hosts-trust');

  await page.getByTestId('host-trust-confirm').click();
  await expect(page.getByTestId('host-web1')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('host-web1')).toContainText(h.fingerprint);

  await page.getByTestId('host-test-web1').click();
  await expect(page.getByTestId('host-check-web1')).toContainText('API', { timeout: 30_000 });
  await expect(page.getByTestId('host-check-web1')).toContainText('forwarded socket');
  await page.screenshot({ path: `${SHOTS}/hosts-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/hosts-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByTestId('host-remove-web1').click();
  await page.getByTestId('host-remove-confirm-web1').click();
  await expect(page.getByTestId('hosts-empty')).toBeVisible();
});
