import { app, BrowserWindow, ipcMain, Notification, safeStorage, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IPC, METHODS, type ApiEvent, type Envelope, type MethodName } from '../shared/api/contract.ts';
import { toErrorBody } from '../shared/api/errors.ts';
import { parseImageSet } from '../shared/spec/index.ts';
import { ScaleDeck } from './services/scaledeck.ts';
import { CSP, isTrustedSender, secureWebPreferences } from './shell/security.ts';
import { useSealer, type Sealer } from './workspace/secret-store.ts';

/**
 * The Electron main process: one window, the renderer from dist/renderer, and the API contract
 * served over IPC. Built by scripts/build-electron.mjs into dist/electron/main.mjs.
 */
export interface ShellPaths {
  preload: string;
  rendererIndex: string;
}

export function shellPaths(baseDir: string): ShellPaths {
  return { preload: join(baseDir, 'preload.cjs'), rendererIndex: join(baseDir, '..', 'renderer', 'index.html') };
}

/** Register one IPC handler per contract method; calls from any other frame are refused. */
export function registerIpc(service: ScaleDeck, rendererIndexUrl: string): void {
  const handlers = service.handlers();
  for (const method of METHODS) {
    ipcMain.handle(IPC.channel(method), async (event: IpcMainInvokeEvent, args: unknown): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event.senderFrame?.url, rendererIndexUrl)) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC call from an untrusted frame refused.' } };
      }
      try {
        const handler = handlers[method as MethodName] as (a: unknown) => Promise<unknown>;
        return { ok: true, result: await handler(args) };
      } catch (err) {
        return { ok: false, error: toErrorBody(err) };
      }
    });
  }
}

/**
 * Electron's safeStorage as a sealer for secret files, only when a real keyring backs it. On
 * Linux without a secret service it falls back to `basic_text` (a hard-coded key): sealing then
 * only obscures, so secrets stay 0600 files and Settings says why.
 */
export function keyringSealer(): { sealer: Sealer | null; why?: string } {
  if (!safeStorage.isEncryptionAvailable()) {
    return { sealer: null, why: 'No keyring is available to the app (Electron safeStorage): secrets are 0600 files only you can read.' };
  }
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : process.platform === 'darwin' ? 'keychain' : 'dpapi';
  if (backend === 'basic_text' || backend === 'unknown') {
    return {
      sealer: null,
      why: `Electron safeStorage has no real keyring here (backend: ${backend}); sealing would be plain text in disguise, so secrets are 0600 files only you can read. Install and unlock a secret service (GNOME Keyring, KWallet) to seal them.`,
    };
  }
  return { sealer: { backend, seal: (t) => safeStorage.encryptString(t), unseal: (b) => safeStorage.decryptString(b) } };
}

export function createWindow(paths: ShellPaths): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'ScaleDeck',
    show: false,
    webPreferences: secureWebPreferences(paths.preload),
  });
  const indexUrl = pathToFileURL(paths.rendererIndex).toString();
  // No navigation away from the app and no new windows; http(s) links open in the user's browser.
  win.webContents.on('will-navigate', (event, url) => {
    if (url !== indexUrl && !url.startsWith(`${indexUrl}#`)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(indexUrl);
  return win;
}

export async function start(baseDir: string): Promise<void> {
  await app.whenReady();
  const paths = shellPaths(baseDir);
  const indexUrl = pathToFileURL(paths.rendererIndex).toString();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  const keyring = keyringSealer();
  if (!keyring.sealer) useSealer(null, keyring.why);
  const service = new ScaleDeck({ imageSet: parseImageSet(process.env.SCALEDECK_IMAGES), keyring: keyring.sealer });
  registerIpc(service, indexUrl);
  const send = (e: ApiEvent) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC.events, e);
  };
  service.events.subscribe(send);
  // Fired alerts also become desktop notifications.
  service.events.subscribe((e) => {
    if (e.type !== 'metrics' || !Notification.isSupported()) return;
    for (const a of e.batch.alerts ?? []) {
      if (a.kind === 'fired') new Notification({ title: `ScaleDeck: ${a.ruleName} (${e.batch.cluster})`, body: `${a.series} = ${a.value} (${a.op} ${a.threshold})` }).show();
    }
  });
  createWindow(paths);
  app.on('window-all-closed', () => app.quit());
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
