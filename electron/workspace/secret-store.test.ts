import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSecretJson, secretStorage, useSealer, writeSecretJson, type Sealer } from './secret-store.ts';
import { Workspace } from './workspace.ts';

// A reversible stand-in for the keyring: the point is which file form is written and read.
const fake: Sealer = { backend: 'test-keyring', seal: (t) => Buffer.from(t).reverse(), unseal: (b) => Buffer.from(b).reverse().toString() };
afterEach(() => useSealer(null));

describe('secret files', () => {
  it('without a keyring: a 0600 JSON file', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sd-sec-')), 'secrets.json');
    writeSecretJson(f, { A: 'x' });
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readSecretJson(f)).toEqual({ A: 'x' });
    expect(secretStorage().mode).toBe('file');
  });

  it('with a keyring: sealed (0600 too), the plain file removed, and the CLI told what to do', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sd-sec-')), 'secrets.json');
    writeSecretJson(f, { A: 'plain' });
    useSealer(fake);
    writeSecretJson(f, { A: 'sealed-value' });
    const sealed = f.replace('.json', '.sealed');
    expect(existsSync(f)).toBe(false);
    expect(statSync(sealed).mode & 0o777).toBe(0o600);
    expect(readFileSync(sealed, 'utf8')).not.toContain('sealed-value');
    expect(readSecretJson(f)).toEqual({ A: 'sealed-value' });
    expect(secretStorage()).toMatchObject({ mode: 'keyring', backend: 'test-keyring' });

    useSealer(null);
    expect(() => readSecretJson(f)).toThrow(/sealed with the desktop app's keyring/);
  });

  it('the app switches every cluster between sealed and 0600 files, keeping the values', async () => {
    const { ScaleDeck } = await import('../services/scaledeck.ts');
    const ws = new Workspace(mkdtempSync(join(tmpdir(), 'sd-ws-')));
    const before = ws.secrets('one');
    // The desktop app on a real keyring seals by default; existing files are converted on a switch.
    const app = new ScaleDeck({ workspace: ws, keyring: fake, engine: {} as never });
    expect(app.secretStorage()).toMatchObject({ mode: 'keyring', keyringAvailable: true });
    expect(app.setSecretStorage('keyring').converted).toBe(1);
    expect(existsSync(join(ws.root, 'clusters', 'one', 'secrets.sealed'))).toBe(true);
    expect(ws.secrets('one')).toEqual(before);

    const back = app.setSecretStorage('file');
    expect(back).toMatchObject({ mode: 'file', converted: 1 });
    expect(back.note).toMatch(/You chose 0600 files/);
    expect(JSON.parse(readFileSync(join(ws.root, 'clusters', 'one', 'secrets.json'), 'utf8'))).toEqual(before);
    expect(existsSync(join(ws.root, 'clusters', 'one', 'secrets.sealed'))).toBe(false);
    // The choice is remembered: a restarted app keeps files.
    expect(new ScaleDeck({ workspace: ws, keyring: fake, engine: {} as never }).secretStorage().mode).toBe('file');

    // Without a keyring (CLI, web mode) sealing is refused with the reason.
    const cli = new ScaleDeck({ workspace: ws, engine: {} as never });
    expect(() => cli.setSecretStorage('keyring')).toThrow(/No keyring here/);
    expect(() => cli.setSecretStorage('vault')).toThrow(/must be keyring or file/);
  });
});
