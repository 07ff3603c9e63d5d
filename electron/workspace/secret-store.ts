import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { SecretStorageInfo } from '../../shared/api/types.ts';

/**
 * Where secret files live. Two forms, decided per process:
 * - keyring: the desktop app, when Electron's safeStorage is backed by a real keyring (Keychain,
 *   DPAPI, libsecret, KWallet), seals each file (`<name>.sealed`, still 0600);
 * - file: everywhere else (the CLI, web mode, or safeStorage on its plain-text fallback), a JSON
 *   file readable only by the user (0600). Sealing with the fallback would only obscure, so the
 *   app keeps plain 0600 files then and says so in Settings.
 * The CLI has no keyring access: a sealed file is refused with what to do, never guessed at.
 */
export interface Sealer {
  /** The keyring behind it, as Electron names it (gnome_libsecret, kwallet5, keychain, dpapi…). */
  backend: string;
  seal(text: string): Buffer;
  unseal(data: Buffer): string;
}

let sealer: Sealer | null = null;
let fileNote = 'This process has no keyring access (the CLI and web mode run outside the desktop app): secrets are 0600 files only you can read.';

/** Set by the Electron main process once it knows the keyring; null keeps 0600 files. */
export function useSealer(s: Sealer | null, whyNot?: string): void {
  sealer = s;
  if (whyNot) fileNote = whyNot;
}

export function secretStorage(): SecretStorageInfo {
  return sealer
    ? { mode: 'keyring', backend: sealer.backend, note: `Secrets are sealed with the system keyring (${sealer.backend}). The CLI cannot read sealed secrets; switch to files to share them with it.` }
    : { mode: 'file', backend: null, note: fileNote };
}

const sealedPath = (jsonPath: string) => jsonPath.replace(/\.json$/, '.sealed');

/** Read a secret JSON file in whichever form it is; null when there is none. */
export function readSecretJson<T>(jsonPath: string, keyring: Sealer | null = sealer): T | null {
  const sealed = sealedPath(jsonPath);
  if (existsSync(sealed)) {
    if (!keyring) {
      throw new ScaleDeckError(
        'SECRETS_SEALED',
        `${sealed} is sealed with the desktop app's keyring, which this process cannot reach.`,
        'Run this from the ScaleDeck app, or in the app choose Settings → Secrets → "0600 files" to share secrets with the CLI.',
      );
    }
    try {
      return JSON.parse(keyring.unseal(readFileSync(sealed))) as T;
    } catch (err) {
      throw new ScaleDeckError('SECRETS_SEALED', `${sealed} could not be unsealed with the keyring (${keyring.backend}): ${err instanceof Error ? err.message : String(err)}`, 'Was it sealed under another user or keyring? Restore the keyring, or remove the file to generate new secrets (containers using the old ones must then be recreated).');
    }
  }
  return existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as T) : null;
}

/** Write a secret JSON file in this process's form (and remove the other form). */
export function writeSecretJson(jsonPath: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  if (sealer) {
    atomicWrite(sealedPath(jsonPath), sealer.seal(text), 0o600);
    rmSync(jsonPath, { force: true });
  } else {
    atomicWrite(jsonPath, text, 0o600);
    rmSync(sealedPath(jsonPath), { force: true });
  }
}

/**
 * Rewrite a file into this process's current form (after the user switched the storage);
 * `keyring` reads files sealed before the switch.
 */
export function convertSecretJson(jsonPath: string, keyring: Sealer | null): boolean {
  const v = readSecretJson<unknown>(jsonPath, keyring);
  if (v === null) return false;
  writeSecretJson(jsonPath, v);
  return true;
}

export function atomicWrite(file: string, content: string | Buffer, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
