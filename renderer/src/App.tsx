import { lazy, Suspense, useEffect } from 'react';
import { Sidebar } from './components/Sidebar.tsx';
import { Skeleton } from './components/ui.tsx';
import { useApiEvents } from './data/events.ts';
import ClustersPage from './pages/ClustersPage.tsx';
import { paths, useRoute, type Route } from './lib/router.ts';

// Route-level code splitting: the list page is in the entry chunk, the rest load on demand.
const ClusterPage = lazy(() => import('./pages/ClusterPage.tsx'));
const ExportPage = lazy(() => import('./pages/ExportPage.tsx'));
const OperationPage = lazy(() => import('./pages/OperationPage.tsx'));

function PageFallback() {
  return (
    <div className="page" aria-busy="true">
      <Skeleton width={120} height={12} />
      <Skeleton width={260} height={28} style={{ marginTop: 12 }} />
      <Skeleton width="100%" height={320} style={{ marginTop: 24 }} />
    </div>
  );
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'clusters':
      return 'Clusters · ScaleDeck';
    case 'cluster':
      return `${route.name} · ScaleDeck`;
    case 'export':
      return `Export ${route.name} · ScaleDeck`;
    case 'operation':
      return 'Operation · ScaleDeck';
    default:
      return 'ScaleDeck';
  }
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'clusters':
      return <ClustersPage />;
    case 'cluster':
      return <ClusterPage key={route.name} name={route.name} />;
    case 'export':
      return <ExportPage key={route.name} name={route.name} />;
    case 'operation':
      return <OperationPage key={route.id} id={route.id} />;
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

  const title = titleOf(route);
  const routeKey = JSON.stringify(route);
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [routeKey]);

  return (
    <div className="shell">
      <Sidebar route={route} />
      <main className="main">
        <Suspense fallback={<PageFallback />}>
          <Page route={route} />
        </Suspense>
      </main>
    </div>
  );
}
