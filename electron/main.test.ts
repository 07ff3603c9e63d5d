import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC, METHODS } from '../shared/api/contract.ts';

/**
 * The Electron shell with `electron` mocked at its thin boundary (no Electron binary here).
 * These tests fail if a hardening option is turned off, the CSP is loosened, or the preload
 * exposes more than the contract.
 */
const h = vi.hoisted(() => ({
  windows: [] as { options: Record<string, unknown>; handlers: Record<string, (...a: unknown[]) => unknown>; openHandler?: (d: { url: string }) => unknown; loaded?: string }[],
  ipc: new Map<string, (...a: unknown[]) => unknown>(),
  exposed: new Map<string, Record<string, unknown>>(),
  invoked: [] as [string, unknown][],
  openExternal: [] as string[],
  keyring: { available: true, backend: 'gnome_libsecret' },
}));

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows() {
      return [];
    }
    record: (typeof h.windows)[number];
    webContents: unknown;
    constructor(options: Record<string, unknown>) {
      this.record = { options, handlers: {} };
      h.windows.push(this.record);
      const rec = this.record;
      this.webContents = {
        on: (ev: string, fn: (...a: unknown[]) => unknown) => (rec.handlers[ev] = fn),
        setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => (rec.openHandler = fn),
        send: () => {},
      };
    }
    once() {}
    loadURL(url: string) {
      this.record.loaded = url;
      return Promise.resolve();
    }
  }
  return {
    app: { whenReady: () => Promise.resolve(), on: () => {}, quit: () => {} },
    BrowserWindow,
    ipcMain: { handle: (ch: string, fn: (...a: unknown[]) => unknown) => h.ipc.set(ch, fn) },
    ipcRenderer: {
      invoke: (ch: string, args: unknown) => {
        h.invoked.push([ch, args]);
        return Promise.resolve({ ok: true, result: null });
      },
      on: () => {},
      off: () => {},
    },
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => h.exposed.set(key, api) },
    session: { defaultSession: { webRequest: { onHeadersReceived: () => {} }, setPermissionRequestHandler: () => {} } },
    shell: { openExternal: (url: string) => h.openExternal.push(url) },
    Notification: class { static isSupported() { return false; } show() {} },
    // A reversible stand-in for the OS keyring: what matters here is which backend is trusted.
    safeStorage: {
      isEncryptionAvailable: () => h.keyring.available,
      getSelectedStorageBackend: () => h.keyring.backend,
      encryptString: (t: string) => Buffer.from(t).reverse(),
      decryptString: (b: Buffer) => Buffer.from(b).reverse().toString(),
    },
  };
});

const { createWindow, keyringSealer, registerIpc, shellPaths } = await import('./main.ts');
const { CSP, isTrustedSender } = await import('./shell/security.ts');

beforeEach(() => {
  h.windows.length = 0;
  h.ipc.clear();
});

describe('Electron window hardening', () => {
  it('keeps contextIsolation and sandbox on and Node out of the renderer', () => {
    createWindow(shellPaths('/app/dist/electron'));
    const prefs = h.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toBe('/app/dist/electron/preload.cjs');
  });

  it('blocks navigation away from the app and every new window', () => {
    createWindow(shellPaths('/app/dist/electron'));
    const w = h.windows[0]!;
    expect(w.loaded).toBe('file:///app/dist/renderer/index.html');
    let prevented = 0;
    const event = { preventDefault: () => prevented++ };
    w.handlers['will-navigate']!(event, 'https://evil.example/');
    w.handlers['will-navigate']!(event, 'file:///etc/passwd');
    expect(prevented).toBe(2);
    w.handlers['will-navigate']!(event, 'file:///app/dist/renderer/index.html#/clusters/x');
    expect(prevented).toBe(2);
    expect(w.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(w.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(h.openExternal).toEqual(['https://example.com/']);
  });

  it('sends a strict CSP, the same one the page carries', () => {
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).toContain("default-src 'self'");
    expect(CSP).toContain("object-src 'none'");
    expect(CSP).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
    const html = readFileSync(join(import.meta.dirname, '..', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    expect(meta).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
    expect(meta).toContain("script-src 'self'");
  });
});

describe('IPC', () => {
  const index = 'file:///app/dist/renderer/index.html';
  const fakeService = {
    handlers: () => Object.fromEntries(METHODS.map((m) => [m, async (a: unknown) => ({ method: m, args: a })])),
  };

  it('registers exactly one handler per contract method, on the derived channel', () => {
    registerIpc(fakeService as never, index);
    expect([...h.ipc.keys()].sort()).toEqual(METHODS.map((m) => IPC.channel(m)).sort());
  });

  it('refuses calls from any frame but the app page, and answers the app in an envelope', async () => {
    registerIpc(fakeService as never, index);
    const handler = h.ipc.get(IPC.channel('clusters.list'))!;
    const foreign = await handler({ senderFrame: { url: 'https://evil.example/' } }, null);
    expect(foreign).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const none = await handler({ senderFrame: null }, null);
    expect(none).toMatchObject({ ok: false });
    const own = await handler({ senderFrame: { url: `${index}#/clusters` } }, { x: 1 });
    expect(own).toEqual({ ok: true, result: { method: 'clusters.list', args: { x: 1 } } });
  });

  it('isTrustedSender compares protocol, host and path', () => {
    expect(isTrustedSender('file:///app/dist/renderer/index.html', index)).toBe(true);
    expect(isTrustedSender('file:///tmp/index.html', index)).toBe(false);
    expect(isTrustedSender('not a url', index)).toBe(false);
    expect(isTrustedSender(undefined, index)).toBe(false);
  });
});

describe('preload', () => {
  it('exposes only invoke and onEvent, and invoke only reaches contract methods', async () => {
    await import('./preload.ts');
    const api = h.exposed.get('scaledeck')!;
    expect(Object.keys(api).sort()).toEqual(['invoke', 'onEvent']);
    const invoke = api.invoke as (m: string, a: unknown) => Promise<unknown>;
    expect(await invoke('fs.readFile', '/etc/passwd')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(h.invoked).toEqual([]);
    await invoke('clusters.list', null);
    expect(h.invoked).toEqual([[IPC.channel('clusters.list'), null]]);
  });
});

describe('secrets and the keyring', () => {
  it('seals with safeStorage only when a real keyring backs it', () => {
    h.keyring = { available: true, backend: 'gnome_libsecret' };
    const real = keyringSealer();
    if (process.platform === 'linux') expect(real.sealer?.backend).toBe('gnome_libsecret');
    expect(real.sealer!.unseal(real.sealer!.seal('s3cret'))).toBe('s3cret');
    expect(real.sealer!.seal('s3cret').toString()).not.toContain('s3cret');

    if (process.platform === 'linux') {
      h.keyring = { available: true, backend: 'basic_text' };
      const fallback = keyringSealer();
      expect(fallback.sealer).toBeNull();
      expect(fallback.why).toMatch(/basic_text.*0600 files/);
    }
    h.keyring = { available: false, backend: 'unknown' };
    expect(keyringSealer().sealer).toBeNull();
    expect(keyringSealer().why).toMatch(/0600/);
  });
});
