import { METRICS, splitSeriesKey, type MetricInfo } from '../../../../../shared/metrics/types.ts';

export type Unit = MetricInfo['unit'];

/** Fixed mid-tone colours, readable on light and dark surfaces. */
export const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#14b8a6'];

export function unitOf(key: string): Unit {
  const { metric } = splitSeriesKey(key);
  return (METRICS as Record<string, MetricInfo>)[metric]?.unit ?? 'count';
}

export function formatBytes(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(2)} GiB`;
  if (abs >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(abs >= 100 * 1024 ** 2 ? 0 : 1)} MiB`;
  if (abs >= 1024) return `${(v / 1024).toFixed(0)} KiB`;
  return `${Math.round(v)} B`;
}

// Reused formatters (one per precision): toLocaleString builds a new one per call.
const NUMBER_FORMATS: Intl.NumberFormat[] = [];
function num(v: number, digits: number): string {
  const f = (NUMBER_FORMATS[digits] ??= new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
  return f.format(v);
}

export function formatValue(v: number | null | undefined, unit: Unit): string {
  if (v == null || !Number.isFinite(v)) return '—';
  switch (unit) {
    case '%':
      return `${num(v, v < 10 ? 1 : 0)} %`;
    case 'ms':
      return `${num(v, v < 10 ? 2 : v < 100 ? 1 : 0)} ms`;
    case 's':
      return `${num(v, 2)} s`;
    case 'bytes':
      return formatBytes(v);
    case 'bytes/s':
      return `${formatBytes(v)}/s`;
    case 'count':
      return num(v, 0);
    default:
      return `${num(v, v < 10 ? 1 : 0)} ${unit}`;
  }
}

/** Short form for axis ticks. */
export function formatTick(v: number, unit: Unit): string {
  if (unit === 'bytes' || unit === 'bytes/s') {
    const [n, u] = formatBytes(v).split(' ');
    const x = Number(n);
    return `${x >= 10 ? Math.round(x) : Number(x.toFixed(1))} ${u}`;
  }
  if (Math.abs(v) >= 1000) return `${num(v / 1000, 1)}k`;
  return num(v, Math.abs(v) < 10 ? 1 : 0);
}

// One formatter, reused: toLocaleTimeString builds a new Intl formatter per call, and charts
// format every axis candidate on every update (it was 40 % of a dashboard update).
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const clockCache = new Map<number, string>();

export function formatClock(t: number): string {
  const s = Math.floor(t / 1000);
  let out = clockCache.get(s);
  if (out === undefined) {
    if (clockCache.size > 4096) clockCache.clear();
    out = CLOCK.format(s * 1000);
    clockCache.set(s, out);
  }
  return out;
}

/** Services in topology order: balancer, api nodes, others, redis, postgres. */
// localeCompare with options builds a collator per call; one, reused.
const NATURAL = new Intl.Collator(undefined, { numeric: true });
export function serviceOrder(a: string, b: string): number {
  const rank = (s: string) => (s === 'balancer' ? 0 : s.startsWith('api-') ? 1 : s.startsWith('redis') ? 3 : s.startsWith('postgres') ? 4 : 2);
  return rank(a) - rank(b) || NATURAL.compare(a, b);
}
