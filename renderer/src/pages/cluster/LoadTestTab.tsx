import { useState } from 'react';
import { Card, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useCluster } from '../../data/clusters/queries.ts';
import { useLiveRun } from '../../data/loadtests/live.ts';
import { useLoadTests, useStartLoadTest } from '../../data/loadtests/queries.ts';
import { useLiveMetrics } from '../../data/metrics/live.ts';
import { LoadTestForm } from '../loadtests/LoadTestForm.tsx';
import { comparePair, runWindowMs } from '../loadtests/model.ts';
import { CompareRuns, RunHistory } from '../loadtests/RunHistory.tsx';
import { isLive, RunPanel } from '../loadtests/RunPanel.tsx';
import { MetricChart, perScope, scopesWith } from './metrics/MetricChart.tsx';
import { formatValue, PALETTE } from './metrics/format.ts';

/** What the cluster itself saw during the run, on the same time axis: the nodes' view of the load. */
function ClusterSide({ name, windowMs }: { name: string; windowMs: number }) {
  // Whole minutes: the hub's window only changes (and a snapshot is only fetched again) per minute.
  const { metrics: m } = useLiveMetrics(name, Math.max(1, Math.ceil(windowMs / 60_000)) * 60_000, false);
  const v = m.version;
  const stats = scopesWith(m, 'cpu_pct', (s) => s.startsWith('api-') || s === 'balancer');
  const teach = <p className="teach">Waiting for the cluster’s own metrics…</p>;
  return (
    <div className="run-side" data-testid="loadtest-cluster-side">
      <h4 className="side-title">The cluster’s view</h4>
      <MetricChart
        testId="lt-side-rps"
        title="Requests at the nodes"
        unit="req/s"
        metrics={m}
        version={v}
        windowMs={windowMs}
        series={[{ key: 'cluster:rps', label: 'all nodes', color: 'var(--accent)' }]}
        empty={teach}
      />
      <MetricChart
        testId="lt-side-p95"
        title="p95 at the nodes"
        unit="ms"
        metrics={m}
        version={v}
        windowMs={windowMs}
        headline={`p95 ${formatValue(m.series.get('cluster:p95_ms')?.v.at(-1), 'ms')}`}
        series={[{ key: 'cluster:p95_ms', label: 'p95', color: PALETTE[1]! }]}
        empty={teach}
      />
      <MetricChart testId="lt-side-cpu" title="CPU" unit="%" metrics={m} version={v} windowMs={windowMs} series={perScope(stats, 'cpu_pct')} empty={teach} />
    </div>
  );
}

function Run({ name, runId }: { name: string; runId: string }) {
  const view = useLiveRun(runId);
  const windowMs = runWindowMs(view.series, view.live?.durationS ?? 0);
  // Beside a live run: the cluster's metrics. A finished run's report stands alone (the metrics hub keeps 15 min).
  return <RunPanel view={view} runId={runId} aside={isLive(view.state) ? <ClusterSide name={name} windowMs={windowMs} /> : undefined} />;
}

/**
 * Load test: design a run against this cluster's balancer, watch it live beside the cluster's own
 * metrics, read the verdict, export the report, and compare any two runs of this cluster.
 */
export default function LoadTestTab({ name }: { name: string }) {
  const cluster = useCluster(name, { poll: false });
  const runs = useLoadTests();
  const start = useStartLoadTest();
  const [selected, setSelected] = useState<string | null>(null);
  const [compare, setCompare] = useState<string[]>([]);

  const running = runs.data?.running.filter((r) => r.cluster === name) ?? [];
  const reports = runs.data?.reports.filter((r) => r.cluster === name) ?? [];
  const current = running[0]?.id ?? selected;
  const url = cluster.data?.url ?? null;
  const pair = comparePair(compare, (id) => reports.find((r) => r.id === id)?.startedAt);
  const blocked = !cluster.data ? 'Reading the cluster…' : !url ? 'The cluster has no running balancer: start it first.' : running.length ? 'A load test is running on this cluster.' : null;

  return (
    <div className="tab-stack">
      <p className="tab-intro muted">
        Send load through the balancer, watch the run beside the nodes’ own figures, and keep every report. Traffic goes only to this cluster’s balancer.
      </p>
      {current && <Run key={current} name={name} runId={current} />}
      <LoadTestForm
        balancerUrl={url}
        blocked={blocked}
        pending={start.isPending}
        error={start.error}
        onStart={(input) =>
          start.mutate(
            { cluster: name, definition: input },
            {
              onSuccess: (r) => {
                setSelected(r.runId);
              },
            },
          )
        }
      />
      <Card title="Runs of this cluster">
        {runs.isPending ? (
          <Skeleton width="100%" height={80} />
        ) : runs.isError ? (
          <ErrorNotice error={runs.error} title="Could not list the runs" />
        ) : reports.length === 0 ? (
          <p className="muted" data-testid="loadtest-empty">
            No runs yet. Start with <strong>Steady rate</strong>: 50 requests a second is gentle, and the report shows what a p95 of your cluster looks like at rest. Then ramp up and compare.
          </p>
        ) : (
          <>
            <RunHistory reports={reports} selected={current} onOpen={setSelected} compare={compare} onCompareChange={setCompare} />
            <p className="muted small">Tick two runs to compare them.</p>
          </>
        )}
      </Card>
      {pair && <CompareRuns a={pair[0]} b={pair[1]} onClose={() => setCompare([])} />}
    </div>
  );
}
