import { useSyncExternalStore } from 'react';

/** Hash routes: #/ · #/clusters/<name> · #/clusters/<name>/export · #/operations/<id> */
export type Route =
  | { page: 'clusters' }
  | { page: 'cluster'; name: string }
  | { page: 'export'; name: string }
  | { page: 'operation'; id: string }
  | { page: 'not-found'; path: string };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { page: 'clusters' };
  if (parts[0] === 'clusters') {
    if (parts.length === 1) return { page: 'clusters' };
    if (parts.length === 2) return { page: 'cluster', name: parts[1]! };
    if (parts.length === 3 && parts[2] === 'export') return { page: 'export', name: parts[1]! };
  }
  if (parts[0] === 'operations' && parts.length === 2) return { page: 'operation', id: parts[1]! };
  return { page: 'not-found', path };
}

export const paths = {
  clusters: () => '#/',
  cluster: (name: string) => `#/clusters/${encodeURIComponent(name)}`,
  export: (name: string) => `#/clusters/${encodeURIComponent(name)}/export`,
  operation: (id: string) => `#/operations/${encodeURIComponent(id)}`,
};

function subscribe(cb: () => void) {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

const getHash = () => window.location.hash;

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, getHash, () => '');
  return parseHash(hash);
}

export function navigate(href: string): void {
  if (window.location.hash !== href) window.location.hash = href;
}
