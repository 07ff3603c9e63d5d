import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { ClusterTab } from '../../lib/router.ts';

/**
 * The tabs of a cluster page, in order. Each loads on demand (its own chunk); hovering a tab
 * starts the download. A new tab is one entry here plus its id
 * in CLUSTER_TABS (lib/router.ts).
 */
export interface TabProps {
  name: string;
}

interface TabDef {
  id: ClusterTab;
  label: string;
  load: () => Promise<{ default: ComponentType<TabProps> }>;
}

const DEFS: TabDef[] = [
  { id: 'overview', label: 'Overview', load: () => import('./OverviewTab.tsx') },
  { id: 'metrics', label: 'Metrics', load: () => import('./MetricsTab.tsx') },
  { id: 'logs', label: 'Logs', load: () => import('./LogsTab.tsx') },
  { id: 'loadtest', label: 'Load test', load: () => import('./LoadTestTab.tsx') },
  { id: 'upgrades', label: 'Upgrades', load: () => import('./UpgradesTab.tsx') },
  { id: 'export', label: 'Export', load: () => import('./ExportTab.tsx') },
  { id: 'spec', label: 'Spec', load: () => import('./SpecTab.tsx') },
];

export const TABS: (TabDef & { Component: LazyExoticComponent<ComponentType<TabProps>> })[] = DEFS.map((d) => ({ ...d, Component: lazy(d.load) }));

const started = new Set<string>();
/** Start loading a tab's chunk (on hover or focus of its link) so the click finds it ready. */
export function prefetchTab(id: ClusterTab): void {
  if (started.has(id)) return;
  started.add(id);
  void TABS.find((t) => t.id === id)?.load().catch(() => started.delete(id));
}
