import { Card } from '../components/ui.tsx';
import { OperationPanel } from '../components/OperationPanel.tsx';
import { useOperation } from '../data/operations/queries.ts';
import { paths } from '../lib/router.ts';

export default function OperationPage({ id }: { id: string }) {
  const op = useOperation(id);
  const cluster = op.data?.cluster;
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={paths.clusters()}>Clusters</a>
        <span aria-hidden="true">/</span>
        {cluster ? (
          <a className="mono" href={paths.cluster(cluster)}>
            {cluster}
          </a>
        ) : (
          <span>…</span>
        )}
        <span aria-hidden="true">/</span>
        <span>Operation</span>
      </nav>
      <header className="page-head">
        <h1>
          Operation <span className="mono muted">{id}</span>
        </h1>
      </header>
      <Card>
        <OperationPanel id={id} showCluster />
      </Card>
    </div>
  );
}
