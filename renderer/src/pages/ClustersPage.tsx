import { useRef } from 'react';
import { ClusterList, EmptyClusters } from '../components/ClusterList.tsx';
import { CreateClusterCard } from '../components/CreateClusterCard.tsx';
import { EngineStatus } from '../components/EngineStatus.tsx';
import { useClusters } from '../data/clusters/queries.ts';
import { paths } from '../lib/router.ts';
import { useShortcut } from '../lib/shortcuts.ts';

export default function ClustersPage() {
  const clusters = useClusters();
  const nameRef = useRef<HTMLInputElement>(null);

  // "c" focuses the create form (the shortcut layer ignores it while the user types).
  useShortcut('c', () => {
    const input = nameRef.current;
    if (!input) return;
    input.scrollIntoView({ block: 'center', behavior: 'smooth' });
    input.focus();
    input.select();
  });

  const empty = clusters.data?.length === 0;

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Clusters</h1>
          <p className="muted">API nodes behind NGINX, with Redis and Postgres, on your local Docker engine.</p>
        </div>
        <div className="head-actions">
          <a className="btn" href={paths.newCluster()} data-testid="new-cluster">
            <span aria-hidden="true">+</span> New cluster from a spec
          </a>
        </div>
      </header>

      <EngineStatus />

      <CreateClusterCard clusters={clusters.data} nameRef={nameRef} />

      <section className="section">
        <h2 className="section-title">
          Your clusters
          {clusters.data && <span className="muted count">{clusters.data.length}</span>}
        </h2>
        {empty ? <EmptyClusters /> : <ClusterList clusters={clusters.data} error={clusters.error} loading={clusters.isPending} />}
      </section>
    </div>
  );
}
