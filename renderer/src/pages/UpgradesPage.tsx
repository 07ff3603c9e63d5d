import { useQueries } from '@tanstack/react-query';
import type { UpgradeRecord } from '../../../shared/api/index.ts';
import { useApi } from '../api/ApiContext.tsx';
import { Badge, Card, ErrorNotice, Skeleton } from '../components/ui.tsx';
import { useClusters } from '../data/clusters/queries.ts';
import { upgradeKeys } from '../data/upgrades/keys.ts';
import { formatAgo, formatDuration, shortImage } from '../lib/format.ts';
import { paths } from '../lib/router.ts';
import { useNow } from '../lib/useNow.ts';
import { STATE_TEXT, STATE_TONE } from './cluster/upgrades/model.ts';

function failedDuring(r: UpgradeRecord): string {
  const p = r.probe?.phases.during;
  if (!p) return '—';
  return `${p.failed.toLocaleString()} of ${p.sent.toLocaleString()}`;
}

/**
 * Every cluster's upgrades in one list, newest first: what is running, what waits for a
 * blue-green finalize, and the history with the probe's proof. Acting on one happens on its
 * cluster's Upgrades tab.
 */
export default function UpgradesPage() {
  const api = useApi();
  const now = useNow(true, 15_000);
  const clusters = useClusters();
  const names = (clusters.data ?? []).map((c) => c.name);
  const lists = useQueries({
    queries: names.map((name) => ({
      queryKey: upgradeKeys.list(name),
      queryFn: () => api['upgrades.list']({ cluster: name }),
      refetchInterval: 10_000,
    })),
  });
  const records = lists.flatMap((q) => q.data ?? []).sort((a, b) => b.startedAt - a.startedAt);
  const waiting = records.filter((r) => r.state === 'running' || r.state === 'awaiting-finalize');
  const loading = clusters.isPending || lists.some((q) => q.isPending);

  return (
    <div className="page page-wide">
      <header className="page-head">
        <div>
          <h1>Upgrades</h1>
          <p className="muted">Rolling and blue-green upgrades of every cluster, with the traffic probe’s count of failed requests during each.</p>
        </div>
      </header>
      {waiting.length > 0 && (
        <Card title="Needs attention">
          <ul className="plain-list" data-testid="upgrades-waiting">
            {waiting.map((r) => (
              <li key={r.id}>
                <a href={paths.clusterTab(r.cluster, 'upgrades')}>{r.cluster}</a> <Badge tone={STATE_TONE[r.state]}>{STATE_TEXT[r.state]}</Badge>{' '}
                <span className="small muted">
                  {r.strategy} to <span className="mono">{shortImage(r.to.image)}</span>
                  {r.state === 'awaiting-finalize' ? ' · finalize or roll back on its Upgrades tab' : ''}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      <Card title="History">
        {clusters.isError ? (
          <ErrorNotice error={clusters.error} title="Could not list the clusters" />
        ) : loading ? (
          <Skeleton width="100%" height={100} />
        ) : records.length === 0 ? (
          <div className="empty-teach" data-testid="upgrades-all-empty">
            <p>No upgrades yet.</p>
            <p className="muted">
              Start one from a cluster’s <strong>Upgrades</strong> tab. <em>Rolling</em> replaces nodes a batch at a time, each new node proven healthy before the old one leaves; <em>blue-green</em>{' '}
              starts a whole new set beside the old one and switches NGINX in one reload, keeping the old set for an instant rollback. Either way a probe counts every failed request.
            </p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="upgrades-all">
              <thead>
                <tr>
                  <th>Cluster</th>
                  <th>Strategy</th>
                  <th>Image</th>
                  <th>State</th>
                  <th className="num">Failed during</th>
                  <th className="num">Took</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {records.map((r) => (
                  <tr key={r.id} data-testid={`upgrades-all-row-${r.id}`}>
                    <td>
                      <a className="mono" href={paths.clusterTab(r.cluster, 'upgrades')}>
                        {r.cluster}
                      </a>
                    </td>
                    <td>{r.strategy}</td>
                    <td className="mono small">
                      {shortImage(r.from.image)} → {shortImage(r.to.image)}
                    </td>
                    <td>
                      <Badge tone={STATE_TONE[r.state]}>{STATE_TEXT[r.state]}</Badge>
                    </td>
                    <td className="mono num">{failedDuring(r)}</td>
                    <td className="mono num">{r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : '…'}</td>
                    <td className="small muted">{formatAgo(r.startedAt, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
