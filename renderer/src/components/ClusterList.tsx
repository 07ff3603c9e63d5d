import type { ClusterSummary } from '../../../shared/api/index.ts';
import { useOperations } from '../data/operations/queries.ts';
import { errorCode } from '../lib/errors.ts';
import { navigate, paths } from '../lib/router.ts';
import { Dot, ErrorNotice, ExternalLink, Skeleton, Spinner, StateBadge } from './ui.tsx';

const KIND_ING: Partial<Record<string, string>> = { up: 'applying', scale: 'scaling', down: 'deleting', upgrade: 'upgrading', rollback: 'rolling back', finalize: 'finalizing' };

function HealthCount({ c }: { c: ClusterSummary }) {
  const { total, healthy } = c.counts;
  const pct = total ? (healthy / total) * 100 : 0;
  const tone = total === 0 ? 'idle' : healthy === total ? 'ok' : healthy === 0 ? 'bad' : 'warn';
  return (
    <span className="health-count" title={`${healthy} healthy, ${c.counts.running} running, ${total} containers`}>
      <span className="mono">
        {healthy}/{total}
      </span>
      <span className={`meter tone-${tone}`}>
        <span style={{ width: `${pct}%` }} />
      </span>
    </span>
  );
}

export function ClusterList({ clusters, error, loading }: { clusters: ClusterSummary[] | undefined; error: unknown; loading: boolean }) {
  const ops = useOperations();
  const opById = new Map((ops.data ?? []).map((o) => [o.id, o]));

  if (error) {
    // The engine banner above already explains an unreachable engine; do not say it twice.
    if (errorCode(error) === 'ENGINE_UNREACHABLE') {
      return <p className="placeholder muted">Clusters appear here once the Docker engine is reachable.</p>;
    }
    return <ErrorNotice error={error} title="Cannot list clusters" />;
  }

  return (
    <div className="table-wrap">
      <table className="table table-clusters" data-testid="cluster-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>State</th>
            <th>Healthy</th>
            <th>API nodes</th>
            <th>URL</th>
            <th>Activity</th>
          </tr>
        </thead>
        <tbody>
          {loading &&
            [0, 1].map((i) => (
              <tr key={i}>
                {[110, 70, 70, 30, 150, 80].map((w, j) => (
                  <td key={j}>
                    <Skeleton width={w} height={12} />
                  </td>
                ))}
              </tr>
            ))}
          {clusters?.map((c) => {
            const op = c.activeOperation ? opById.get(c.activeOperation) : undefined;
            return (
              <tr
                key={c.name}
                className="row-link"
                data-testid={`cluster-row-${c.name}`}
                data-state={c.state}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a,button')) return;
                  navigate(paths.cluster(c.name));
                }}
              >
                <td>
                  <a className="mono strong" href={paths.cluster(c.name)}>
                    {c.name}
                  </a>
                  {!c.managed && (
                    <span className="chip chip-muted" title="Containers exist but no spec is stored in this workspace">
                      unmanaged
                    </span>
                  )}
                </td>
                <td>
                  <StateBadge state={c.state} />
                </td>
                <td>
                  <HealthCount c={c} />
                </td>
                <td className="mono">{c.apiReplicas ?? '—'}</td>
                <td>{c.url ? <ExternalLink href={c.url}>{c.url.replace(/^https?:\/\//, '').replace(/\/$/, '')}</ExternalLink> : <span className="muted">—</span>}</td>
                <td>
                  {c.activeOperation ? (
                    <a className="activity" href={paths.operation(c.activeOperation)} data-testid={`cluster-activity-${c.name}`}>
                      <Spinner label="operation running" />
                      {op ? (KIND_ING[op.kind] ?? op.kind) : 'working'}…
                    </a>
                  ) : (
                    <span className="muted activity">
                      <Dot tone="idle" /> idle
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Shown when there is no cluster yet: what "Create" will build, and why it is shaped that way. */
export function EmptyClusters() {
  return (
    <div className="empty" data-testid="clusters-empty">
      <div className="empty-diagram" aria-hidden="true">
        <div className="ed-box ed-lb">NGINX</div>
        <div className="ed-line" />
        <div className="ed-row">
          <div className="ed-box">api-1</div>
          <div className="ed-box">api-2</div>
          <div className="ed-box">api-3</div>
        </div>
        <div className="ed-line" />
        <div className="ed-row">
          <div className="ed-box ed-data">Redis</div>
          <div className="ed-box ed-data">Postgres</div>
        </div>
      </div>
      <div className="empty-text">
        <h3>No clusters yet</h3>
        <p>
          The <strong>starter</strong> preset runs six Docker containers on this machine: an <strong>NGINX load balancer</strong> on{' '}
          <span className="mono">127.0.0.1:8080</span>, <strong>three API nodes</strong>, <strong>Redis</strong> for sessions and cache, and a{' '}
          <strong>Postgres</strong> primary for data.
        </p>
        <p>
          Why a balancer in front of stateless nodes? Because the nodes keep nothing in memory that matters, any node can answer any request. NGINX spreads
          requests across them, stops sending traffic to a node that fails, and lets you scale by adding nodes instead of buying a bigger one.
        </p>
        <p className="muted small">Everything ScaleDeck runs can be exported as plain docker-compose and nginx.conf.</p>
      </div>
    </div>
  );
}
