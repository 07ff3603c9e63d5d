import { useMemo, useState } from 'react';
import type { LatencySummary, LoadTestReport, RunState, ThresholdVerdict } from '../../../../shared/loadtest/types.ts';
import { Badge, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import type { RunView } from '../../data/loadtests/live.ts';
import { useReportExport, useStopLoadTest } from '../../data/loadtests/queries.ts';
import { saveFile } from '../../lib/download.ts';
import type { Tone } from '../../lib/health.ts';
import { MetricChart } from '../cluster/metrics/MetricChart.tsx';
import { formatValue, PALETTE } from '../cluster/metrics/format.ts';
import { runToMetrics, runWindowMs } from './model.ts';

export const STATE_TONE: Record<RunState, Tone> = { starting: 'info', running: 'info', completed: 'ok', aborted: 'bad', stopped: 'warn', capped: 'warn', failed: 'bad' };
export const isLive = (s: RunState | null) => s === 'starting' || s === 'running';

export function fmtMs(v: number | null | undefined): string {
  return formatValue(v, 'ms');
}
export function fmtPct(fraction: number | null | undefined): string {
  return fraction == null ? '—' : `${(fraction * 100).toFixed(fraction < 0.001 && fraction > 0 ? 3 : 2)} %`;
}

function verdictValue(v: ThresholdVerdict, x: number | null): string {
  if (x === null) return '—';
  if (v.metric === 'error_rate' || v.metric === 'drop_rate') return fmtPct(x);
  if (v.metric === 'rate') return `${x.toFixed(1)} req/s`;
  return fmtMs(x);
}

export function ThresholdTable({ verdicts }: { verdicts: ThresholdVerdict[] }) {
  if (!verdicts.length) return <p className="muted small">No thresholds: this run reports figures without a verdict.</p>;
  return (
    <table className="table compact" data-testid="loadtest-verdicts">
      <thead>
        <tr>
          <th>Threshold</th>
          <th>Measured</th>
          <th>Result</th>
        </tr>
      </thead>
      <tbody>
        {verdicts.map((v) => (
          <tr key={v.expr} data-status={v.status}>
            <td className="mono">
              {v.expr}
              {v.abortOnFail ? <span className="muted small"> · aborts</span> : null}
            </td>
            <td className="mono num">{verdictValue(v, v.actual)}</td>
            <td>
              <Badge tone={v.status === 'pass' ? 'ok' : v.status === 'fail' ? 'bad' : 'idle'}>{v.status}</Badge>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const LATENCY_ROWS: [keyof LatencySummary, string][] = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];

/** The figures of a finished run: verdict, throughput, errors, latency, and the two exports. */
export function ReportFigures({ report }: { report: LoadTestReport }) {
  const exp = useReportExport();
  const [exportError, setExportError] = useState<unknown>(null);
  const t = report.totals;
  const save = async (kind: 'html' | 'json') => {
    setExportError(null);
    try {
      if (kind === 'html') saveFile(`${report.id}.html`, await exp.html(report.id), 'text/html');
      else saveFile(`${report.id}.json`, JSON.stringify(await exp.json(report.id), null, 2), 'application/json');
    } catch (err) {
      setExportError(err);
    }
  };
  return (
    <div className="report-figures" data-testid="loadtest-report">
      <div className="verdict-row">
        <Badge tone={report.pass ? 'ok' : 'bad'} testId="loadtest-verdict">
          {report.pass ? 'PASS' : 'FAIL'}
        </Badge>
        <span className="small">
          {report.state} · {report.endReason}
        </span>
        <span className="spacer" />
        <button type="button" className="btn btn-sm" data-testid="loadtest-export-html" onClick={() => void save('html')}>
          Export HTML
        </button>
        <button type="button" className="btn btn-sm" data-testid="loadtest-export-json" onClick={() => void save('json')}>
          Export JSON
        </button>
      </div>
      {exportError ? <ErrorNotice error={exportError} title="Export failed" compact /> : null}
      <p className="muted small" data-testid="loadtest-model-note">
        <strong>{report.model === 'open' ? 'Open model.' : 'Closed model.'}</strong> {report.modelDescription}
      </p>
      <dl className="facts facts-grid">
        <div>
          <dt>Requests</dt>
          <dd className="mono" data-testid="loadtest-total-requests">
            {t.requests.toLocaleString()}
          </dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd className="mono">{t.rate.toFixed(1)} req/s</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd className="mono">
            {t.failed.toLocaleString()} ({fmtPct(t.errorRate)})
          </dd>
        </div>
        <div>
          <dt>Dropped</dt>
          <dd className="mono">{report.model === 'open' ? `${t.dropped.toLocaleString()} (${fmtPct(t.dropRate)})` : 'n/a (closed)'}</dd>
        </div>
        {LATENCY_ROWS.map(([k, label]) => (
          <div key={k}>
            <dt>{label}</dt>
            <dd className="mono">{fmtMs(report.latency[k])}</dd>
          </div>
        ))}
        <div>
          <dt>Duration</dt>
          <dd className="mono">{t.durationS.toFixed(1)} s</dd>
        </div>
      </dl>
      <ThresholdTable verdicts={report.thresholds} />
    </div>
  );
}

/** The run's own charts: achieved vs scheduled rate, latency percentiles, errors, users or in-flight. */
export function RunCharts({ view, plannedS }: { view: RunView; plannedS: number }) {
  const m = useMemo(() => runToMetrics(view.series, view.startedAt, plannedS), [view.series, view.startedAt, plannedS]);
  const windowMs = runWindowMs(view.series, plannedS);
  const open = (view.report?.model ?? view.live?.model) !== 'closed';
  const wait = <p className="teach">The first second of figures arrives a second after the start.</p>;
  // Every chart reads the same run store, window and empty text.
  const shared = { metrics: m, version: m.version, windowMs, empty: wait };
  return (
    <div className="metrics-grid loadtest-charts">
      <MetricChart
        {...shared}
        testId="lt-chart-rate"
        title="Throughput"
        unit="req/s"
        series={[
          { key: 'run:rate', label: 'answers/s', color: 'var(--accent)' },
          ...(open ? [{ key: 'run:target', label: 'scheduled', color: PALETTE[1]!, dashed: true }] : []),
        ]}
      />
      <MetricChart
        {...shared}
        testId="lt-chart-latency"
        title="Latency"
        unit="ms"
        series={[
          { key: 'run:p50', label: 'p50', color: PALETTE[2]! },
          { key: 'run:p95', label: 'p95', color: PALETTE[1]! },
          { key: 'run:p99', label: 'p99', color: PALETTE[3]! },
        ]}
        headline={`p95 ${fmtMs(view.series[view.series.length - 1]?.latency.p95)}`}
      />
      <MetricChart {...shared} testId="lt-chart-errors" title="Errors" unit="%" series={[{ key: 'run:error_pct', label: 'failed + dropped', color: PALETTE[3]! }]} />
      <MetricChart
        {...shared}
        testId="lt-chart-active"
        title={open ? 'In flight' : 'Virtual users'}
        unit="count"
        series={[
          { key: 'run:active', label: open ? 'in flight' : 'running', color: PALETTE[4]! },
          ...(!open ? [{ key: 'run:target', label: 'target', color: PALETTE[1]!, dashed: true }] : []),
        ]}
      />
    </div>
  );
}

/** Header of a run: name, model, state, progress, Stop. */
export function RunHeader({ view, runId }: { view: RunView; runId: string }) {
  const stop = useStopLoadTest();
  const state = view.state;
  const name = view.report?.name ?? view.live?.name ?? runId;
  const model = view.report?.model ?? view.live?.model;
  // The status read at mount ages; each progress event is one more second.
  const elapsed = view.report?.totals.durationS ?? Math.max(view.live?.elapsedS ?? 0, view.series.length);
  const total = view.live?.durationS ?? view.report?.totals.durationS ?? 0;
  const pct = total > 0 ? Math.min(100, (elapsed / total) * 100) : 0;
  return (
    <header className="run-head">
      <div className="run-title">
        <h3 className="card-title">{name}</h3>
        <span className="mono muted small">{runId}</span>
        {model && <Badge tone="info">{model === 'open' ? 'open model' : 'closed model'}</Badge>}
        {state && (
          <Badge tone={STATE_TONE[state]} testId="loadtest-state">
            {state}
          </Badge>
        )}
      </div>
      {isLive(state) && (
        <div className="run-progress">
          <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-label="Run progress">
            <span style={{ width: `${pct}%` }} />
          </div>
          <span className="mono small">
            {Math.floor(elapsed)} / {Math.round(total)} s
          </span>
          <button type="button" className="btn btn-sm btn-danger-outline" data-testid="loadtest-stop" disabled={stop.isPending} onClick={() => stop.mutate(runId)}>
            {stop.isPending ? 'Stopping…' : 'Stop'}
          </button>
        </div>
      )}
      {stop.isError && <ErrorNotice error={stop.error} title="Could not stop the run" compact />}
    </header>
  );
}

/** A run, live or finished: header, charts, then the verdict so far or the report's figures. */
export function RunPanel({ view, runId, aside }: { view: RunView; runId: string; aside?: React.ReactNode }) {
  if (view.status === 'loading') return <Skeleton width="100%" height={320} />;
  if (view.status === 'error') return <ErrorNotice error={view.error} title="Could not read the run" />;
  const plannedS = view.live?.durationS ?? view.report?.totals.durationS ?? 0;
  const verdicts = view.report?.thresholds ?? view.series[view.series.length - 1]?.thresholds ?? view.live?.thresholds ?? [];
  return (
    <section className="card run-panel" data-testid="loadtest-run" data-state={view.state ?? ''}>
      <RunHeader view={view} runId={runId} />
      <div className={aside ? 'run-columns' : undefined}>
        <div>
          <RunCharts view={view} plannedS={plannedS} />
        </div>
        {aside}
      </div>
      {view.report ? <ReportFigures report={view.report} /> : <ThresholdTable verdicts={verdicts} />}
    </section>
  );
}
