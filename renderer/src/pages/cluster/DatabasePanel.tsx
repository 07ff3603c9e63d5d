import { useState } from 'react';
import type { DbReplicaStatus } from '../../../../shared/api/index.ts';
import { Badge, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useDbStatus, usePromoteReplica } from '../../data/db/queries.ts';

const bytes = (n: number | null) => (n === null ? '—' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);
const secs = (n: number | null) => (n === null ? '—' : `${n.toFixed(n < 10 ? 3 : 1)} s`);

function ReplicaRow({ r, cluster, onStarted }: { r: DbReplicaStatus; cluster: string; onStarted: (id: string) => void }) {
  const promote = usePromoteReplica();
  const [confirming, setConfirming] = useState(false);
  const tone = r.state === 'streaming' ? 'ok' : r.containerState === 'running' ? 'warn' : 'bad';
  return (
    <tr data-testid={`db-replica-${r.service}`}>
      <td className="mono">{r.service}</td>
      <td>
        <Badge tone={tone}>{r.state ?? (r.containerState === 'running' ? 'not connected' : (r.containerState ?? 'missing'))}</Badge>
      </td>
      <td className="mono num">{bytes(r.lagBytes)}</td>
      <td className="mono num">{secs(r.replayLagS)}</td>
      <td className="mono num" title={r.lastReplayAt ?? undefined}>
        {secs(r.replayDelayS)}
      </td>
      <td>
        {!confirming ? (
          <button type="button" className="btn btn-sm" data-testid={`db-promote-${r.service}`} disabled={r.containerState !== 'running'} onClick={() => setConfirming(true)}>
            Promote…
          </button>
        ) : (
          <span className="btn-row">
            <button
              type="button"
              className="btn btn-danger btn-sm"
              data-testid="db-promote-confirm"
              disabled={promote.isPending}
              onClick={() =>
                promote.mutate(
                  { cluster, replica: r.service },
                  {
                    onSuccess: (res) => {
                      setConfirming(false);
                      onStarted(res.operationId);
                    },
                  },
                )
              }
            >
              {promote.isPending ? 'Promoting…' : `Stop the primary, promote ${r.service}`}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        )}
        {promote.isError && <ErrorNotice error={promote.error} title="Could not promote" compact />}
      </td>
    </tr>
  );
}

/** Postgres primary and replicas: state, lag in bytes and seconds, and failover. */
export function DatabasePanel({ cluster, onStarted }: { cluster: string; onStarted: (id: string) => void }) {
  const st = useDbStatus(cluster);
  if (st.isError) return <ErrorNotice error={st.error} title="Cannot read replication status" compact />;
  const s = st.data;
  if (!s) return <Skeleton height={80} width="100%" />;
  return (
    <div data-testid="db-panel">
      <p className="small">
        Primary <span className="mono">{s.primary.service}</span>{' '}
        <Badge tone={s.primary.error ? 'bad' : s.primary.inRecovery === false ? 'ok' : 'warn'}>
          {s.primary.error ? 'unreachable' : s.primary.inRecovery === false ? 'read-write' : (s.primary.containerState ?? 'missing')}
        </Badge>
        {s.fenced.length > 0 && <span className="muted"> · fenced (stopped, kept): {s.fenced.join(', ')}</span>}
      </p>
      {s.replicas.length === 0 ? (
        <p className="muted small">No replicas. Set postgres/replicas in the spec to add streaming replicas.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Replica</th>
                <th>State</th>
                <th title="WAL written on the primary and not yet replayed">Lag</th>
                <th title="pg_stat_replication.replay_lag">Replay lag</th>
                <th title="now() − last replayed transaction, 0 when nothing is waiting">Own delay</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {s.replicas.map((r) => (
                <ReplicaRow key={r.service} r={r} cluster={cluster} onStarted={onStarted} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
