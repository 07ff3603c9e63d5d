import hdr from 'hdr-histogram-js';
import { isLatencyMetric } from './parse.ts';
import type { LatencySummary, Threshold, ThresholdVerdict } from './types.ts';

export type Histogram = ReturnType<typeof hdr.build>;

/** Latencies are recorded in microseconds: 1 µs to 1 h, 3 significant digits. */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram | null): LatencySummary {
  if (!h || h.totalCount === 0) return { count: 0, min: null, mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null };
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

export interface Figures {
  latency: LatencySummary;
  /** null when nothing finished yet. */
  errorRate: number | null;
  dropRate: number | null;
  /** null while the run is live (judged at the end). */
  rate: number | null;
}

function actualOf(t: Threshold, f: Figures): number | null {
  switch (t.metric) {
    case 'p50': return f.latency.p50;
    case 'p90': return f.latency.p90;
    case 'p95': return f.latency.p95;
    case 'p99': return f.latency.p99;
    case 'p99.9': return f.latency.p999;
    case 'max': return f.latency.max;
    case 'min': return f.latency.min;
    case 'avg': return f.latency.mean;
    case 'error_rate': return f.errorRate;
    case 'drop_rate': return f.dropRate;
    case 'rate': return f.rate;
  }
}

function holds(actual: number, op: Threshold['op'], value: number): boolean {
  switch (op) {
    case '<': return actual < value;
    case '<=': return actual <= value;
    case '>': return actual > value;
    case '>=': return actual >= value;
  }
}

/**
 * Live (final = false): latency and error thresholds judged on the run so far, `rate` pending.
 * Final: everything judged; a figure that could not be measured (no answers at all) fails.
 */
export function evaluateThresholds(list: Threshold[], f: Figures, final: boolean): ThresholdVerdict[] {
  return list.map((t) => {
    const actual = actualOf(t, f);
    let status: ThresholdVerdict['status'];
    if (actual === null) status = final ? 'fail' : 'pending';
    else status = holds(actual, t.op, t.value) ? 'pass' : 'fail';
    const shown = actual === null ? null : isLatencyMetric(t.metric) || t.metric === 'rate' ? Math.round(actual * 1000) / 1000 : Math.round(actual * 1e6) / 1e6;
    return { expr: t.expr, metric: t.metric, op: t.op, value: t.value, actual: shown, status, abortOnFail: t.abortOnFail };
  });
}
