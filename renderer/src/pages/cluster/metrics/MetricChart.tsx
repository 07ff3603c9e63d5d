import { memo, useMemo, type ReactNode } from 'react';
import { Area, AreaChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { SourceStatus } from '../../../../../shared/metrics/types.ts';
import type { LiveMetrics } from '../../../data/metrics/live.ts';
import { formatClock, formatTick, formatValue, PALETTE, serviceOrder, type Unit } from './format.ts';

export interface SeriesDef {
  key: string;
  label: string;
  color: string;
  dashed?: boolean;
}

const MAX_POINTS = 300;

type Row = { t: number } & Record<string, number | null>;

/** Merge series into rows on a shared time grid (bucket averages), at most MAX_POINTS rows. */
export function buildRows(m: LiveMetrics, keys: string[], windowMs: number): Row[] {
  const bucket = Math.max(m.intervalMs || 1000, Math.ceil(windowMs / MAX_POINTS / 1000) * 1000);
  const from = m.at - windowMs;
  const rows = new Map<number, { t: number; sums: Record<string, [number, number]> }>();
  for (const key of keys) {
    const s = m.series.get(key);
    if (!s) continue;
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i]!;
      if (t < from) continue;
      const b = Math.floor(t / bucket) * bucket;
      let row = rows.get(b);
      if (!row) rows.set(b, (row = { t: b, sums: {} }));
      const acc = (row.sums[key] ??= [0, 0]);
      acc[0] += s.v[i]!;
      acc[1]++;
    }
  }
  // Collectors tick at different offsets, so a series can skip a bucket its neighbours hit:
  // carry a value forward up to two buckets so tooltips show every series at each point.
  const lastSeen: Record<string, [number, number]> = {};
  return [...rows.values()]
    .sort((a, b) => a.t - b.t)
    .map((r) => {
      const out: Row = { t: r.t } as Row;
      for (const key of keys) {
        const acc = r.sums[key];
        if (acc) {
          out[key] = acc[0] / acc[1];
          lastSeen[key] = [r.t, out[key]];
        } else {
          const prev = lastSeen[key];
          out[key] = prev && r.t - prev[0] <= 2 * bucket ? prev[1] : null;
        }
      }
      return out;
    });
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

function ChartBody({ rows, unit, series, from, at, area, reference, yMax }: { rows: Row[]; unit: Unit; series: SeriesDef[]; from: number; at: number; area?: boolean; reference?: ChartProps['reference']; yMax?: number }) {
  const common = { data: rows, margin: { top: 6, right: 10, bottom: 0, left: 0 } };
  const axes = (
    <>
      <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
      <XAxis dataKey="t" type="number" scale="time" domain={[from, at]} tickFormatter={formatClock} stroke="var(--text-faint)" fontSize={11} minTickGap={40} tickLine={false} />
      <YAxis
        stroke="var(--text-faint)"
        fontSize={11}
        width={48}
        tickLine={false}
        axisLine={false}
        tickFormatter={(v: number) => formatTick(v, unit)}
        domain={[0, yMax ?? 'auto']}
        allowDecimals={unit !== 'count'}
      />
      <Tooltip
        isAnimationActive={false}
        contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12, color: 'var(--text)' }}
        labelStyle={{ color: 'var(--text-muted)' }}
        labelFormatter={(t) => formatClock(Number(t))}
        formatter={(v) => formatValue(typeof v === 'number' ? v : Number(v), unit)}
      />
      {reference && <ReferenceLine y={reference.value} stroke="var(--bad)" strokeDasharray="4 4" label={{ value: reference.label, position: 'insideTopRight', fill: 'var(--text-muted)', fontSize: 11 }} />}
    </>
  );
  if (area) {
    return (
      <AreaChart {...common}>
        {axes}
        {series.map((s) => (
          <Area key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={s.color} fill={s.color} fillOpacity={0.15} strokeWidth={1.6} dot={false} isAnimationActive={false} connectNulls />
        ))}
      </AreaChart>
    );
  }
  return (
    <LineChart {...common}>
      {axes}
      {series.map((s) => (
        <Line key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={s.color} strokeWidth={1.6} strokeDasharray={s.dashed ? '5 4' : undefined} dot={false} isAnimationActive={false} connectNulls />
      ))}
    </LineChart>
  );
}

/** One chart card: title with the latest value, legend, the chart, the state of its sources. */
export const MetricChart = memo(function MetricChart(p: ChartProps & { version: number }) {
  const keys = p.series.map((s) => s.key);
  const keyStr = keys.join('|');
  // `version` stands for the mutable store (series are updated in place).
  const rows = useMemo(() => buildRows(p.metrics, keys, p.windowMs), [p.metrics, p.version, keyStr, p.windowMs]);
  const hasData = rows.length > 0;
  const head = p.headline ?? (p.series[0] ? formatValue(latest(p.metrics, p.series[0].key), p.unit) : '');
  const last = rows[rows.length - 1];

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
              <span className="mono muted">{formatValue(last?.[s.key] ?? latest(p.metrics, s.key), p.unit)}</span>
            </li>
          ))}
        </ul>
      )}
      {p.sources && <SourceBanner sources={p.sources} />}
      <div className="metric-plot">
        {hasData ? (
          <ResponsiveContainer width="100%" height="100%">
            <ChartBody rows={rows} unit={p.unit} series={p.series} from={axisStart(p.metrics, p.windowMs)} at={p.metrics.at} area={p.area} reference={p.reference} yMax={p.yMax} />
          </ResponsiveContainer>
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
