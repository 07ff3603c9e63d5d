import { memo, type ReactNode } from 'react';
import { TimeChart } from '../../../components/charts/TimeChart.tsx';
import type { SourceStatus } from '../../../../../shared/metrics/types.ts';
import type { LiveMetrics } from '../../../data/metrics/live.ts';
import { formatClock, formatTick, formatValue, PALETTE, serviceOrder, type Unit } from './format.ts';

export interface SeriesDef {
  key: string;
  label: string;
  color: string;
  dashed?: boolean;
}

/** The scopes (services, `cluster`…) that have a series of this metric, in topology order. */
export function scopesWith(m: LiveMetrics, metric: string, filter: (scope: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const key of m.series.keys()) {
    const i = key.lastIndexOf(':');
    if (key.slice(i + 1) === metric && filter(key.slice(0, i))) out.push(key.slice(0, i));
  }
  return out.sort(serviceOrder);
}

/** One series per scope, coloured from the palette. */
export function perScope(scopes: string[], metric: string): SeriesDef[] {
  return scopes.map((s, i) => ({ key: `${s}:${metric}`, label: s, color: PALETTE[i % PALETTE.length]! }));
}

/** Where the x axis starts: the window's start, or the oldest point when the hub is younger. */
export function axisStart(m: LiveMetrics, windowMs: number): number {
  let first = m.at;
  for (const s of m.series.values()) if (s.t.length && s.t[0]! < first) first = s.t[0]!;
  return Math.max(m.at - windowMs, Math.min(first, m.at - 30_000));
}

export function latest(m: LiveMetrics, key: string): number | null {
  const s = m.series.get(key);
  return s && s.v.length ? s.v[s.v.length - 1]! : null;
}

/** Worst state among the sources a chart reads: down shows the error, stale a warning. */
export function SourceBanner({ sources }: { sources: SourceStatus[] }) {
  const down = sources.filter((s) => s.state === 'down');
  const stale = sources.filter((s) => s.state === 'stale');
  if (down.length === 0 && stale.length === 0) return null;
  return (
    <div className={`metric-source ${down.length ? 'tone-bad' : 'tone-warn'}`} role="status" data-testid="metric-source-problem">
      {down.map((s) => (
        <div key={s.id}>
          <strong className="mono">{s.id}</strong> down{s.failures > 1 ? ` (${s.failures} failures)` : ''}: <span className="mono">{s.error ?? 'no answer'}</span>
          {s.nextRetryAt ? <span className="muted"> · retrying at {formatClock(s.nextRetryAt)}</span> : null}
        </div>
      ))}
      {stale.map((s) => (
        <div key={s.id}>
          <strong className="mono">{s.id}</strong> stale: no fresh data{s.lastOkAt ? ` since ${formatClock(s.lastOkAt)}` : ''}
        </div>
      ))}
    </div>
  );
}

interface ChartProps {
  title: string;
  unit: Unit;
  series: SeriesDef[];
  metrics: LiveMetrics;
  windowMs: number;
  /** What the chart teaches while it has no data. */
  empty: ReactNode;
  sources?: SourceStatus[];
  area?: boolean;
  /** A horizontal line, e.g. max connections. */
  reference?: { value: number; label: string };
  testId: string;
  /** The value shown next to the title (defaults to the first series' latest). */
  headline?: string;
  yMax?: number;
}

/** One chart card: title with the latest value, legend, the chart, the state of its sources. */
export const MetricChart = memo(function MetricChart(p: ChartProps & { version: number }) {
  const from = axisStart(p.metrics, p.windowMs);
  const to = p.metrics.at;
  const series = p.series.map((s) => {
    const d = p.metrics.series.get(s.key);
    return { ...s, t: d?.t ?? [], v: d?.v ?? [] };
  });
  const hasData = series.some((s) => s.t.length > 0 && s.t[s.t.length - 1]! >= from);
  const head = p.headline ?? (p.series[0] ? formatValue(latest(p.metrics, p.series[0].key), p.unit) : '');

  return (
    <section className="card metric-card" data-testid={p.testId} data-has-data={hasData ? 'true' : 'false'}>
      <header className="metric-head">
        <h3 className="metric-title">{p.title}</h3>
        {hasData && (
          <span className="metric-value mono" data-testid={`${p.testId}-value`}>
            {head}
          </span>
        )}
      </header>
      {p.series.length > 1 && hasData && (
        <ul className="metric-legend">
          {p.series.map((s) => (
            <li key={s.key}>
              <span className={`legend-swatch${s.dashed ? ' dashed' : ''}`} style={{ background: s.dashed ? undefined : s.color, borderColor: s.color }} />
              <span>{s.label}</span>
              <span className="mono muted">{formatValue(latest(p.metrics, s.key), p.unit)}</span>
            </li>
          ))}
        </ul>
      )}
      {p.sources && <SourceBanner sources={p.sources} />}
      <div className="metric-plot">
        {hasData ? (
          <TimeChart
            series={series}
            from={from}
            to={to}
            version={p.version}
            area={p.area}
            reference={p.reference}
            yMax={p.yMax}
            formatY={(v) => formatTick(v, p.unit)}
            formatValue={(v) => formatValue(v, p.unit)}
            formatTime={formatClock}
            label={`${p.title}: ${p.series.map((s) => `${s.label} ${formatValue(latest(p.metrics, s.key), p.unit)}`).join(', ')}`}
          />
        ) : (
          <div className="metric-empty">{p.empty}</div>
        )}
      </div>
    </section>
  );
});

/** A tiny SVG sparkline (no axes): cheap enough for a row per node. */
export function Sparkline({ t, v, from, to, color, max }: { t: number[]; v: number[]; from: number; to: number; color: string; max?: number }) {
  const W = 120;
  const H = 26;
  if (v.length < 2) return <svg className="sparkline" width={W} height={H} aria-hidden="true" />;
  const top = Math.max(max ?? 0, ...v) || 1;
  const span = to - from || 1;
  const step = Math.max(1, Math.floor(v.length / W));
  let d = '';
  for (let i = 0; i < v.length; i += step) {
    const x = ((t[i]! - from) / span) * W;
    const y = H - 2 - (v[i]! / top) * (H - 4);
    d += `${d ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
  }
  return (
    <svg className="sparkline" width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true">
      <path d={d} fill="none" stroke={color} strokeWidth={1.5} />
    </svg>
  );
}
