import { createClient, HTTP, type ApiClient, type ApiEvent, type Envelope, type MethodName, type Transport } from '../../../shared/api/index.ts';

/**
 * The renderer talks to the Node side through one of two transports built on the same contract:
 * - Electron: the preload exposes `window.scaledeck` (invoke + onEvent) over IPC.
 * - Web mode: POST /api/<method> with a bearer token, and server-sent events on /api/events.
 */
export interface PreloadBridge {
  invoke(method: MethodName, args: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

declare global {
  interface Window {
    scaledeck?: PreloadBridge;
  }
}

const TOKEN_KEY = 'scaledeck.token';

/** Electron (the preload bridge exists) or web mode (HTTP + a token). */
export function isDesktop(): boolean {
  return !!window.scaledeck;
}

/** Keep a token for this tab (sessionStorage: closing the tab forgets it). */
export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    /* storage disabled: the token lives in memory for this page only */
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* nothing stored */
  }
}

/** A token as pasted: the bare token, "Bearer …", or the whole URL that `scaledeck serve` printed. */
export function tokenFromInput(raw: string): string {
  const text = raw.trim();
  const m = /[?&#]token=([^&#\s]+)/.exec(text);
  if (m) {
    try {
      return decodeURIComponent(m[1]!);
    } catch {
      return m[1]!;
    }
  }
  return text.replace(/^Bearer\s+/i, '');
}

/** Web mode: the token arrives once as ?token=…, is kept for the tab, and removed from the address bar. */
export function readToken(): string | null {
  const params = new URLSearchParams(window.location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    saveToken(fromUrl);
    params.delete('token');
    const q = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${q ? `?${q}` : ''}${window.location.hash}`);
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Pauses before re-sending a request that got no answer at all. */
const NETWORK_RETRIES = [200, 600, 1500];
/** Methods that change nothing (or only renew/stop a log stream): safe to send twice. */
const SAFE_TO_RESEND = /\.(info|list|get|validate|plan|export|follow|stop)$/;

export function httpTransport(token: string | null, base = ''): Transport {
  const listeners = new Set<(e: ApiEvent) => void>();
  let source: EventSource | null = null;
  const open = () => {
    if (source) return;
    source = new EventSource(`${base}${HTTP.events}?token=${encodeURIComponent(token ?? '')}`);
    source.onmessage = (msg) => {
      const event = JSON.parse(msg.data as string) as ApiEvent;
      for (const l of listeners) l(event);
    };
  };
  return {
    async invoke(method, args) {
      let res: Response | null = null;
      let lastError: unknown;
      // A read that never got an answer (the browser saw the network change, e.g. when Docker
      // adds a bridge; the server restarting) is tried again shortly. Requests that got any
      // answer, and requests that start operations, are never repeated.
      const tries = SAFE_TO_RESEND.test(method) ? NETWORK_RETRIES.length + 1 : 1;
      for (let attempt = 0; attempt < tries && !res; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, NETWORK_RETRIES[attempt - 1]));
        try {
          res = await fetch(`${base}${HTTP.route(method)}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` },
            body: JSON.stringify(args ?? null),
          });
        } catch (err) {
          lastError = err;
        }
      }
      if (!res) {
        const err = lastError;
        return {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: `Cannot reach the ScaleDeck server (${(err as Error).message}).`,
            hint: 'Is `scaledeck serve` still running?',
          },
        };
      }
      try {
        return (await res.json()) as Envelope<unknown>;
      } catch {
        // Not an envelope (a proxy error page, an old server): still answer with one.
        return {
          ok: false,
          error: {
            code: res.status === 401 ? 'UNAUTHORIZED' : 'INTERNAL',
            message: `The ScaleDeck server answered ${res.status} ${res.statusText} without a JSON envelope.`,
            hint: res.status === 401 ? 'Open the link that `scaledeck serve` printed; it carries the access token.' : undefined,
          },
        };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}

export function ipcTransport(bridge: PreloadBridge): Transport {
  return { invoke: (m, a) => bridge.invoke(m, a), subscribe: (l) => bridge.onEvent(l) };
}

/** The client for this window: IPC in Electron, HTTP with the given token in web mode. */
export function createApi(token: string | null = readToken()): ApiClient {
  if (window.scaledeck) return createClient(ipcTransport(window.scaledeck));
  return createClient(httpTransport(token));
}
