import { useEffect, useRef } from 'react';
import { ClusterList, EmptyClusters } from '../components/ClusterList.tsx';
import { CreateClusterCard } from '../components/CreateClusterCard.tsx';
import { EngineStatus } from '../components/EngineStatus.tsx';
import { useClusters } from '../data/clusters/queries.ts';

function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable;
}

export default function ClustersPage() {
  const clusters = useClusters();
  const nameRef = useRef<HTMLInputElement>(null);

  // "c" focuses the create form (unless the user is typing somewhere).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'c' && e.key !== 'C') return;
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || isTyping(document.activeElement)) return;
      const input = nameRef.current;
      if (!input) return;
      e.preventDefault();
      input.scrollIntoView({ block: 'center', behavior: 'smooth' });
      input.focus();
      input.select();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const empty = clusters.data?.length === 0;

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Clusters</h1>
          <p className="muted">API nodes behind NGINX, with Redis and Postgres, on your local Docker engine.</p>
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
