import { useState } from 'react';
import { Badge, Card, ErrorNotice, Skeleton } from '../components/ui.tsx';
import { useLiveRun } from '../data/loadtests/live.ts';
import { useLoadTests } from '../data/loadtests/queries.ts';
import { navigate, paths } from '../lib/router.ts';
import { comparePair } from './loadtests/model.ts';
import { CompareRuns, RunHistory } from './loadtests/RunHistory.tsx';
import { RunPanel, STATE_TONE } from './loadtests/RunPanel.tsx';

function OpenRun({ runId }: { runId: string }) {
  const view = useLiveRun(runId);
  const cluster = view.report?.cluster ?? view.live?.cluster ?? null;
  return (
    <>
      {cluster && (
        <p className="small">
          Against <a href={paths.clusterTab(cluster, 'loadtest')}>{cluster}</a>
          <span className="muted"> · design another run from the cluster’s Load test tab</span>
        </p>
      )}
      <RunPanel view={view} runId={runId} />
    </>
  );
}

/**
 * Every load test in the workspace: runs in progress, saved reports of every cluster (and of
 * plain URLs run from the CLI), one opened with its charts and figures, and two compared.
 */
export default function LoadTestsPage({ runId }: { runId: string | null }) {
  const runs = useLoadTests();
  const [compare, setCompare] = useState<string[]>([]);
  const running = runs.data?.running ?? [];
  const reports = runs.data?.reports ?? [];
  const pair = comparePair(compare, (id) => reports.find((r) => r.id === id)?.startedAt);

  return (
    <div className="page page-wide">
      <header className="page-head">
        <div>
          <h1>Load tests</h1>
          <p className="muted">Every run’s report is kept in the workspace. Open one to see its charts, tick two to compare.</p>
        </div>
      </header>
      {running.length > 0 && (
        <Card title="Running now">
          <ul className="plain-list" data-testid="loadtests-running">
            {running.map((r) => (
              <li key={r.id}>
                <a href={paths.loadtests(r.id)}>{r.name}</a> <Badge tone={STATE_TONE[r.state]}>{r.state}</Badge>{' '}
                <span className="mono small muted">
                  {Math.floor(r.elapsedS)} / {Math.round(r.durationS)} s · {r.totals.requests.toLocaleString()} requests
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {runId && <OpenRun key={runId} runId={runId} />}
      {pair && <CompareRuns a={pair[0]} b={pair[1]} onClose={() => setCompare([])} />}
      <Card title="Reports">
        {runs.isPending ? (
          <Skeleton width="100%" height={120} />
        ) : runs.isError ? (
          <ErrorNotice error={runs.error} title="Could not list the runs" />
        ) : reports.length === 0 ? (
          <div className="empty-teach" data-testid="loadtests-empty">
            <p>No load tests yet.</p>
            <p className="muted">
              Open a cluster’s <strong>Load test</strong> tab to design one, or from a terminal: <code className="inline-code">scaledeck loadtest &lt;cluster&gt; --rate 50 --duration 30s --threshold &apos;p95&lt;500&apos;</code>. An
              <em> open</em> model sends requests on a schedule the way real users arrive, so a slow server shows up as latency; a <em>closed</em> model of virtual users slows down with the server and
              can hide a stall. Both are here; the report always says which one ran.
            </p>
          </div>
        ) : (
          <RunHistory reports={reports} selected={runId} onOpen={(id) => navigate(paths.loadtests(id))} compare={compare} onCompareChange={setCompare} showCluster />
        )}
      </Card>
    </div>
  );
}
