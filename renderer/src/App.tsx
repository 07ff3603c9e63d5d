import { lazy, Suspense, useEffect, useState } from 'react';
import { ShortcutsDialog } from './components/ShortcutsDialog.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { Skeleton } from './components/ui.tsx';
import { useApiEvents } from './data/events.ts';
import ClustersPage from './pages/ClustersPage.tsx';
import { navigate, paths, useRoute, type Route } from './lib/router.ts';
import { installShortcuts, useShortcut } from './lib/shortcuts.ts';
import { useTheme } from './lib/theme.ts';

// Route-level code splitting: the list page is in the entry chunk, the rest load on demand
// (and each cluster tab again on its own, see pages/cluster/tabs.ts).
const ClusterPage = lazy(() => import('./pages/cluster/ClusterPage.tsx'));
const NewClusterPage = lazy(() => import('./pages/NewClusterPage.tsx'));
const OperationPage = lazy(() => import('./pages/OperationPage.tsx'));
const SettingsPage = lazy(() => import('./pages/SettingsPage.tsx'));
const LoadTestsPage = lazy(() => import('./pages/LoadTestsPage.tsx'));
const HostsPage = lazy(() => import('./pages/HostsPage.tsx'));
const UpgradesPage = lazy(() => import('./pages/UpgradesPage.tsx'));

function PageFallback() {
  return (
    <div className="page" aria-busy="true">
      <Skeleton width={120} height={12} />
      <Skeleton width={260} height={28} style={{ marginTop: 12 }} />
      <Skeleton width="100%" height={320} style={{ marginTop: 24 }} />
    </div>
  );
}

const TAB_TITLE: Record<string, string> = { overview: '', metrics: 'Metrics · ', logs: 'Logs · ', loadtest: 'Load test · ', export: 'Export · ', spec: 'Spec · ', upgrades: 'Upgrades · ' };

function titleOf(route: Route): string {
  switch (route.page) {
    case 'clusters':
      return 'Clusters · ScaleDeck';
    case 'new-cluster':
      return 'New cluster · ScaleDeck';
    case 'cluster':
      return `${TAB_TITLE[route.tab] ?? ''}${route.name} · ScaleDeck`;
    case 'operation':
      return 'Operation · ScaleDeck';
    case 'settings':
      return 'Settings · ScaleDeck';
    case 'loadtests':
      return 'Load tests · ScaleDeck';
    case 'hosts':
      return 'Hosts · ScaleDeck';
    case 'upgrades':
      return 'Upgrades · ScaleDeck';
    default:
      return 'ScaleDeck';
  }
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'clusters':
      return <ClustersPage />;
    case 'new-cluster':
      return <NewClusterPage preset={route.preset} />;
    case 'cluster':
      return <ClusterPage key={route.name} name={route.name} tab={route.tab} />;
    case 'operation':
      return <OperationPage key={route.id} id={route.id} />;
    case 'settings':
      return <SettingsPage />;
    case 'loadtests':
      return <LoadTestsPage runId={route.runId} />;
    case 'hosts':
      return <HostsPage />;
    case 'upgrades':
      return <UpgradesPage />;
    default:
      return (
        <div className="page">
          <h1>Not found</h1>
          <p className="muted">
            Nothing lives at <span className="mono">#{route.path}</span>. <a href={paths.clusters()}>Go to clusters</a>.
          </p>
        </div>
      );
  }
}

export function App() {
  const route = useRoute();
  useApiEvents();
  const { toggle } = useTheme();
  const [shortcutsOpen, setShortcutsOpen] = useState(false);

  useEffect(() => installShortcuts(), []);
  useShortcut('g c', () => navigate(paths.clusters()));
  useShortcut('g s', () => navigate(paths.settings()));
  useShortcut('g n', () => navigate(paths.newCluster()));
  useShortcut('g l', () => navigate(paths.loadtests()));
  useShortcut('g h', () => navigate(paths.hosts()));
  useShortcut('g u', () => navigate(paths.upgrades()));
  useShortcut('t', toggle);
  useShortcut('?', () => setShortcutsOpen(true));

  const title = titleOf(route);
  // Switching tabs of one cluster keeps the scroll position (the header stays put); pages reset it.
  const scrollKey = route.page === 'cluster' ? `cluster:${route.name}` : JSON.stringify(route);
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [scrollKey]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar route={route} onShowShortcuts={() => setShortcutsOpen(true)} />
      <main className="main" id="main" tabIndex={-1}>
        <Suspense fallback={<PageFallback />}>
          <Page route={route} />
        </Suspense>
      </main>
      <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </div>
  );
}
