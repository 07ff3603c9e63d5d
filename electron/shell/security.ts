/**
 * The Electron shell's security settings in one place, so a unit test fails if any is loosened.
 * contextIsolation + sandbox + no nodeIntegration: the renderer is an ordinary web page whose only
 * door to Node is the preload's `window.scaledeck` (the API contract, nothing else).
 */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

/** The same CSP web mode sends; the app page also carries it as a meta tag. */
export { CSP } from './csp.ts';

/** Only our own page (loaded from the app's renderer folder) may call the API. */
export function isTrustedSender(frameUrl: string | undefined, rendererIndexUrl: string): boolean {
  if (!frameUrl) return false;
  try {
    const u = new URL(frameUrl);
    const own = new URL(rendererIndexUrl);
    return u.protocol === own.protocol && u.host === own.host && u.pathname === own.pathname;
  } catch {
    return false;
  }
}
