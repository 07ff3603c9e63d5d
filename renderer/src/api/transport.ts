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

/** Web mode: the token arrives once as ?token=…, is kept for the tab, and removed from the address bar. */
export function readToken(): string | null {
  const params = new URLSearchParams(window.location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const q = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${q ? `?${q}` : ''}${window.location.hash}`);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

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
      let res: Response;
      try {
        res = await fetch(`${base}${HTTP.route(method)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` },
          body: JSON.stringify(args ?? null),
        });
      } catch (err) {
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

export function createApi(): ApiClient {
  if (window.scaledeck) return createClient(ipcTransport(window.scaledeck));
  return createClient(httpTransport(readToken()));
}
