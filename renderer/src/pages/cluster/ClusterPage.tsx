import { Suspense } from 'react';
import { ExternalLink, Skeleton, StateBadge } from '../../components/ui.tsx';
import { useCluster } from '../../data/clusters/queries.ts';
import { errorCode } from '../../lib/errors.ts';
import { paths, type ClusterTab } from '../../lib/router.ts';
import { prefetchTab, TABS } from './tabs.ts';

function TabFallback() {
  return (
    <div className="tab-fallback" aria-busy="true">
      <Skeleton width="100%" height={380} />
    </div>
  );
}

/** A cluster: header, tabs, and the current tab (loaded on demand). */
export default function ClusterPage({ name, tab }: { name: string; tab: ClusterTab }) {
  const cluster = useCluster(name);
  const notFound = cluster.isError && errorCode(cluster.error) === 'NOT_FOUND';
  const c = notFound ? undefined : cluster.data;
  const current = TABS.find((t) => t.id === tab) ?? TABS[0]!;
  const Tab = current.Component;

  return (
    <div className={`page${tab !== 'overview' && tab !== 'export' ? ' page-wide' : ''}`}>
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={paths.clusters()}>Clusters</a>
        <span aria-hidden="true">/</span>
        <a className="mono" href={paths.cluster(name)}>
          {name}
        </a>
        <span aria-hidden="true">/</span>
        <span>{current.label}</span>
      </nav>

      <header className="page-head cluster-head">
        <div className="title-row">
          <h1 className="mono">{name}</h1>
          {c ? <StateBadge state={c.state} /> : notFound ? null : <Skeleton width={72} height={22} />}
          {c?.url && (
            <ExternalLink href={c.url} testId="cluster-url">
              {c.url}
            </ExternalLink>
          )}
        </div>
      </header>

      <nav className="tabs" aria-label="Cluster sections">
        {TABS.map((t) => (
          <a
            key={t.id}
            className={`tab${t.id === current.id ? ' active' : ''}`}
            href={paths.clusterTab(name, t.id)}
            aria-current={t.id === current.id ? 'page' : undefined}
            data-testid={t.id === 'export' ? 'export-link' : `tab-${t.id}`}
            onMouseEnter={() => prefetchTab(t.id)}
            onFocus={() => prefetchTab(t.id)}
          >
            {t.label}
          </a>
        ))}
      </nav>

      {notFound && (
        <div className="notice notice-info" role="status" data-testid="cluster-gone">
          <div className="notice-head">
            <strong>
              No cluster named <span className="mono">{name}</span>
            </strong>
          </div>
          <p className="notice-message">It does not exist on this engine, or it was just deleted.</p>
          <p className="notice-hint">
            <a href={paths.clusters()}>← Back to clusters</a> · <a href={paths.newCluster()}>Create a new cluster</a>
          </p>
        </div>
      )}

      <Suspense fallback={<TabFallback />}>
        <Tab name={name} />
      </Suspense>
    </div>
  );
}
