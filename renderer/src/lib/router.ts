import { useSyncExternalStore } from 'react';

/**
 * Hash routes:
 *   #/                              clusters
 *   #/new · #/new/<preset>          the spec editor for a new cluster
 *   #/clusters/<name>[/<tab>]       a cluster (tab: overview, metrics, logs, loadtest, upgrades, export, spec; default overview)
 *   #/loadtests[/<runId>]           every load test run (one opened)
 *   #/hosts                         SSH hosts
 *   #/upgrades                      every cluster's upgrades
 *   #/operations/<id>               one operation
 *   #/settings                      settings
 * A new top-level section (hosts, load tests, upgrades…) adds a Route variant here, an entry in
 * lib/nav.ts and a lazy page in App.tsx; a new cluster tab adds its id to CLUSTER_TABS and an
 * entry in pages/cluster/tabs.ts.
 */
export const CLUSTER_TABS = ['overview', 'metrics', 'logs', 'loadtest', 'upgrades', 'export', 'spec'] as const;
export type ClusterTab = (typeof CLUSTER_TABS)[number];

export type Route =
  | { page: 'clusters' }
  | { page: 'new-cluster'; preset: string | null }
  | { page: 'cluster'; name: string; tab: ClusterTab }
  | { page: 'operation'; id: string }
  | { page: 'loadtests'; runId: string | null }
  | { page: 'hosts' }
  | { page: 'upgrades' }
  | { page: 'settings' }
  | { page: 'not-found'; path: string };

function isTab(s: string | undefined): s is ClusterTab {
  return (CLUSTER_TABS as readonly string[]).includes(s ?? '');
}

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
    if (parts.length === 2) return { page: 'cluster', name: parts[1]!, tab: 'overview' };
    if (parts.length === 3 && isTab(parts[2])) return { page: 'cluster', name: parts[1]!, tab: parts[2] };
  }
  if (parts[0] === 'new' && parts.length <= 2) return { page: 'new-cluster', preset: parts[1] ?? null };
  if (parts[0] === 'settings' && parts.length === 1) return { page: 'settings' };
  if (parts[0] === 'hosts' && parts.length === 1) return { page: 'hosts' };
  if (parts[0] === 'upgrades' && parts.length === 1) return { page: 'upgrades' };
  if (parts[0] === 'loadtests' && parts.length <= 2) return { page: 'loadtests', runId: parts[1] ?? null };
  if (parts[0] === 'operations' && parts.length === 2) return { page: 'operation', id: parts[1]! };
  return { page: 'not-found', path };
}

export const paths = {
  clusters: () => '#/',
  newCluster: (preset?: string | null) => (preset ? `#/new/${encodeURIComponent(preset)}` : '#/new'),
  cluster: (name: string, tab: ClusterTab = 'overview') =>
    tab === 'overview' ? `#/clusters/${encodeURIComponent(name)}` : `#/clusters/${encodeURIComponent(name)}/${tab}`,
  clusterTab: (name: string, tab: ClusterTab) => `#/clusters/${encodeURIComponent(name)}/${tab}`,
  export: (name: string) => `#/clusters/${encodeURIComponent(name)}/export`,
  operation: (id: string) => `#/operations/${encodeURIComponent(id)}`,
  settings: () => '#/settings',
  hosts: () => '#/hosts',
  upgrades: () => '#/upgrades',
  loadtests: (runId?: string | null) => (runId ? `#/loadtests/${encodeURIComponent(runId)}` : '#/loadtests'),
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
