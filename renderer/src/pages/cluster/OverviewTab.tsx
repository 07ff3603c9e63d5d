import { useState, type ReactNode } from 'react';
import type { ClusterDetail as Detail } from '../../../../shared/api/index.ts';
import { ContainerTable } from '../../components/ContainerTable.tsx';
import { DeleteControl, ScaleControl } from '../../components/ClusterControls.tsx';
import { OperationPanel, OperationSkeleton } from '../../components/OperationPanel.tsx';
import { Topology, TopologySkeleton } from '../../components/Topology.tsx';
import { Card, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useCluster } from '../../data/clusters/queries.ts';
import { recentlyStarted, useClusterOperations, useOperation } from '../../data/operations/queries.ts';
import { errorCode } from '../../lib/errors.ts';
import { DatabasePanel } from './DatabasePanel.tsx';

function Facts({ cluster }: { cluster: Detail }) {
  const spec = cluster.spec;
  const rows: [string, ReactNode][] = [
    ['Network', cluster.network ? <span className="mono">{cluster.network}</span> : '—'],
    ['Volumes', cluster.volumes.length ? <span className="mono">{cluster.volumes.join(', ')}</span> : '—'],
  ];
  if (spec) {
    rows.unshift(
      ['Balancing', <span className="mono">{spec.balancer.algorithm}</span>],
      ['Listens on', <span className="mono">{`${spec.balancer.bind}:${spec.balancer.port}`}</span>],
      ['Health path', <span className="mono">{spec.api.health_path}</span>],
    );
  }
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Overview: topology, scale and delete, the latest operation, the containers. */
export default function OverviewTab({ name }: { name: string }) {
  const cluster = useCluster(name);
  const ops = useClusterOperations(name);
  const [startedOp, setStartedOp] = useState<string | null>(() => recentlyStarted(name));

  const notFound = cluster.isError && errorCode(cluster.error) === 'NOT_FOUND';
  // After a delete the cache still holds the last detail; once the cluster is gone, show none of it.
  const c = notFound ? undefined : cluster.data;
  const list = ops.data ?? [];
  // The active operation, else the one this page just started (until the list knows it), else the newest.
  const opId = c?.activeOperation ?? (startedOp && !list.some((o) => o.id === startedOp) ? startedOp : (list[0]?.id ?? null));
  const op = useOperation(opId);

  return (
    <div className="tab-body">
      {cluster.isError && !notFound && <ErrorNotice error={cluster.error} title="Cannot load this cluster" />}

      {!notFound && (
        <div className="cluster-grid">
          <Card
            title="Topology"
            className="topo-card"
            actions={
              c && (
                <span className="muted small">
                  {c.counts.healthy}/{c.counts.total} healthy · {c.counts.running} running
                </span>
              )
            }
          >
            {c ? <Topology cluster={c} /> : <TopologySkeleton />}
          </Card>

          <div className="side-col">
            <Card title="Scale">{c ? <ScaleControl cluster={c} onStarted={setStartedOp} /> : <Skeleton height={84} width="100%" />}</Card>
            <Card title="Details">{c ? <Facts cluster={c} /> : <Skeleton height={96} width="100%" />}</Card>
            <Card title="Delete" className="danger-card">
              {c ? <DeleteControl cluster={c} onStarted={setStartedOp} /> : <Skeleton height={60} width="100%" />}
            </Card>
          </div>
        </div>
      )}

      <Card
        title={op.data?.state === 'running' ? 'Operation in progress' : 'Latest operation'}
        actions={list.length > 1 ? <span className="muted small">{list.length} operations on this cluster</span> : undefined}
        className="op-card"
      >
        {opId ? (
          <OperationPanel id={opId} />
        ) : ops.isPending ? (
          <OperationSkeleton />
        ) : (
          <p className="muted">No operations have run on this cluster from this ScaleDeck yet.</p>
        )}
      </Card>

      {!notFound && c?.spec && (
        <Card title="Database" actions={<span className="muted small">refreshes every 2 s</span>}>
          <DatabasePanel cluster={name} onStarted={setStartedOp} />
        </Card>
      )}

      {!notFound && (
        <Card title="Containers" actions={c && <span className="muted small">refreshes every 3 s</span>}>
          <ContainerTable containers={c?.containers} />
        </Card>
      )}
    </div>
  );
}
