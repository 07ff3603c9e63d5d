import type { FigureDelta, ReportComparison, ReportSummary } from '../../../../shared/loadtest/types.ts';
import { Badge, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useCompareRuns } from '../../data/loadtests/queries.ts';
import { fmtMs, fmtPct, STATE_TONE } from './RunPanel.tsx';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * Saved runs, newest first. A click opens one; two ticked boxes compare them side by side.
 * `showCluster` adds the cluster column (the top-level Load tests page lists every cluster's runs).
 */
export function RunHistory({
  reports,
  selected,
  onOpen,
  compare,
  onCompareChange,
  showCluster,
}: {
  reports: ReportSummary[];
  selected: string | null;
  onOpen: (id: string) => void;
  compare: string[];
  onCompareChange: (ids: string[]) => void;
  showCluster?: boolean;
}) {
  const toggle = (id: string) => onCompareChange(compare.includes(id) ? compare.filter((x) => x !== id) : [...compare, id].slice(-2));
  return (
    <div className="table-wrap">
      <table className="table" data-testid="loadtest-history">
        <thead>
          <tr>
            <th>
              <span className="sr-only">Compare</span>
            </th>
            <th>Run</th>
            {showCluster && <th>Cluster</th>}
            <th>Model</th>
            <th>Result</th>
            <th className="num">Requests</th>
            <th className="num">Rate</th>
            <th className="num">Errors</th>
            <th className="num">p95</th>
            <th className="num">p99</th>
          </tr>
        </thead>
        <tbody>
          {reports.map((r) => (
            <tr key={r.id} className={`row-link${selected === r.id ? ' selected' : ''}`} data-testid={`loadtest-row-${r.id}`} onClick={() => onOpen(r.id)}>
              <td onClick={(e) => e.stopPropagation()}>
                <input type="checkbox" aria-label={`Compare ${r.id}`} data-testid={`loadtest-compare-${r.id}`} checked={compare.includes(r.id)} onChange={() => toggle(r.id)} />
              </td>
              <td>
                <div>{r.name}</div>
                <div className="muted small">{when(r.startedAt)}</div>
              </td>
              {showCluster && <td className="mono">{r.cluster ?? <span className="muted">URL</span>}</td>}
              <td>{r.model}</td>
              <td>
                <Badge tone={r.pass ? STATE_TONE[r.state] : 'bad'}>{r.pass ? (r.state === 'completed' ? 'pass' : r.state) : 'fail'}</Badge>
              </td>
              <td className="mono num">{r.requests.toLocaleString()}</td>
              <td className="mono num">{r.rate.toFixed(1)}</td>
              <td className="mono num">{fmtPct(r.errorRate)}</td>
              <td className="mono num">{fmtMs(r.p95)}</td>
              <td className="mono num">{fmtMs(r.p99)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FIGURES: { key: keyof ReportComparison['figures']; label: string; fmt: (v: number | null) => string }[] = [
  { key: 'rate', label: 'Rate (req/s)', fmt: (v) => (v == null ? '—' : v.toFixed(1)) },
  { key: 'requests', label: 'Requests', fmt: (v) => (v == null ? '—' : v.toLocaleString()) },
  { key: 'errorRate', label: 'Error rate', fmt: fmtPct },
  { key: 'dropRate', label: 'Drop rate', fmt: fmtPct },
  { key: 'p50', label: 'p50', fmt: fmtMs },
  { key: 'p90', label: 'p90', fmt: fmtMs },
  { key: 'p95', label: 'p95', fmt: fmtMs },
  { key: 'p99', label: 'p99', fmt: fmtMs },
  { key: 'p999', label: 'p99.9', fmt: fmtMs },
  { key: 'max', label: 'max', fmt: fmtMs },
];

function Delta({ d }: { d: FigureDelta }) {
  if (d.deltaPct === null) return <span className="muted">—</span>;
  const tone = d.better === null ? 'muted' : d.better ? 'delta-better' : 'delta-worse';
  return (
    <span className={`mono ${tone}`}>
      {d.deltaPct > 0 ? '+' : ''}
      {d.deltaPct.toFixed(1)} %
    </span>
  );
}

/** Two runs side by side: each figure, the change and whether it got better. */
export function CompareRuns({ a, b, onClose }: { a: string; b: string; onClose: () => void }) {
  const q = useCompareRuns(a, b);
  return (
    <section className="card" data-testid="loadtest-comparison">
      <header className="card-head">
        <h2 className="card-title">Compare runs</h2>
        <button type="button" className="btn btn-sm btn-ghost" onClick={onClose}>
          Close
        </button>
      </header>
      {q.isPending ? (
        <Skeleton width="100%" height={200} />
      ) : q.isError ? (
        <ErrorNotice error={q.error} title="Could not compare" />
      ) : (
        <>
          {!q.data.sameModel && (
            <p className="field-msg warn" data-testid="loadtest-compare-model-warning">
              These runs used different load models ({q.data.a.model} vs {q.data.b.model}): their latencies measure different things.
            </p>
          )}
          <table className="table compact">
            <thead>
              <tr>
                <th />
                <th className="num">
                  A · {q.data.a.name}
                  <div className="muted small mono">{q.data.a.id}</div>
                </th>
                <th className="num">
                  B · {q.data.b.name}
                  <div className="muted small mono">{q.data.b.id}</div>
                </th>
                <th className="num">B vs A</th>
              </tr>
            </thead>
            <tbody>
              {FIGURES.map((f) => {
                const d = q.data.figures[f.key];
                return (
                  <tr key={f.key} data-testid={`compare-${f.key}`}>
                    <td>{f.label}</td>
                    <td className="mono num">{f.fmt(d.a)}</td>
                    <td className="mono num">{f.fmt(d.b)}</td>
                    <td className="num">
                      <Delta d={d} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
