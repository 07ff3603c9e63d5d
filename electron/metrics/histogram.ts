import type { Exposition, Sample } from './exposition.ts';
import { parseFloatStrict } from './exposition.ts';

/** A cumulative bucket: `count` observations were <= `le`. The last bucket is +Inf. */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * The quantile q (0..1) of a cumulative histogram, as Prometheus's histogram_quantile computes it:
 * find the bucket holding rank q*total and interpolate linearly inside it (the lowest bucket starts
 * at 0 when its bound is positive; a rank in the +Inf bucket answers the highest finite bound).
 * NaN when there are no observations or fewer than two buckets or no +Inf bucket.
 */
export function histogramQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const buckets = [...input].sort((a, b) => a.le - b.le);
  if (buckets.length < 2) return NaN;
  if (buckets[buckets.length - 1]!.le !== Infinity) return NaN;
  // Like Prometheus's ensureMonotonic: a scrape can see bucket counts that are not monotonic
  // (buckets read while being written); take the running maximum.
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else b.count = max;
  }
  const total = buckets[buckets.length - 1]!.count;
  if (!(total > 0)) return NaN;
  let rank = q * total;
  let b = buckets.findIndex((x) => x.count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  const end = buckets[b]!.le;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  if (count <= 0) return end;
  return start + (end - start) * (rank / count);
}

/** What one /metrics scrape says about HTTP traffic, summed over every label set. */
export interface HttpTotals {
  /** Requests observed (the histogram's _count, or a requests counter). */
  count: number;
  /** Cumulative bucket counts by upper bound, sorted by le (empty when only a counter was found). */
  buckets: Bucket[];
  c4xx: number;
  c5xx: number;
}

const STATUS_LABELS = ['status_code', 'status', 'code'];
const COUNTER_NAMES = ['http_requests_total', 'http_request_total', 'http_server_requests_total'];

function statusClass(labels: Record<string, string>): '4' | '5' | null {
  for (const name of STATUS_LABELS) {
    const v = labels[name];
    if (v !== undefined) {
      const c = v.trim()[0];
      return c === '4' || c === '5' ? c : null;
    }
  }
  return null;
}

function add(totals: HttpTotals, s: Sample) {
  totals.count += s.value;
  const cls = statusClass(s.labels);
  if (cls === '4') totals.c4xx += s.value;
  else if (cls === '5') totals.c5xx += s.value;
}

/**
 * Extract request totals from an exposition: the `<histogram>` histogram (buckets summed over all
 * labels except `le`; count and status classes from `_count`, or from the +Inf buckets when there
 * is no `_count`), falling back to an http requests counter. Null when neither is present.
 */
export function httpTotals(expo: Exposition, histogram = 'http_request_duration_seconds'): HttpTotals | null {
  const fam = expo.families.get(histogram);
  const totals: HttpTotals = { count: 0, buckets: [], c4xx: 0, c5xx: 0 };
  // A declared histogram without samples yet (a node that has served nothing) is zero traffic.
  if (fam && fam.samples.length === 0 && fam.type === 'histogram') return totals;
  if (fam && fam.samples.length > 0) {
    const byLe = new Map<number, number>();
    let sawCount = false;
    for (const s of fam.samples) {
      if (s.name === `${histogram}_bucket`) {
        const le = parseFloatStrict(s.labels.le ?? '');
        if (le === null || Number.isNaN(s.value)) continue;
        byLe.set(le, (byLe.get(le) ?? 0) + s.value);
      } else if (s.name === `${histogram}_count` && !Number.isNaN(s.value)) {
        sawCount = true;
        add(totals, s);
      }
    }
    if (!sawCount) {
      for (const s of fam.samples) {
        if (s.name === `${histogram}_bucket` && parseFloatStrict(s.labels.le ?? '') === Infinity) add(totals, s);
      }
    }
    totals.buckets = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
    if (totals.buckets.length > 0 || sawCount) return totals;
  }
  for (const name of COUNTER_NAMES) {
    const counter = expo.families.get(name) ?? expo.families.get(name.replace(/_total$/, ''));
    if (!counter) continue;
    for (const s of counter.samples) if (s.name === name && !Number.isNaN(s.value)) add(totals, s);
    return totals;
  }
  return null;
}

/** Per-interval change between two scrapes; a counter that went backwards (a restart) counts from zero. */
export function httpDelta(prev: HttpTotals | null, cur: HttpTotals): HttpTotals {
  if (!prev) return cur;
  const sameBuckets = prev.buckets.length === cur.buckets.length && prev.buckets.every((b, i) => b.le === cur.buckets[i]!.le);
  const reset =
    cur.count < prev.count || cur.c4xx < prev.c4xx || cur.c5xx < prev.c5xx || (sameBuckets && cur.buckets.some((b, i) => b.count < prev.buckets[i]!.count));
  if (reset) return cur;
  return {
    count: cur.count - prev.count,
    c4xx: cur.c4xx - prev.c4xx,
    c5xx: cur.c5xx - prev.c5xx,
    // Bucket layout changed (a new deploy): no quantiles from this interval.
    buckets: sameBuckets ? cur.buckets.map((b, i) => ({ le: b.le, count: b.count - prev.buckets[i]!.count })) : [],
  };
}

/** Sum interval deltas of several nodes (same bucket layout merged by le). */
export function mergeHttp(parts: HttpTotals[]): HttpTotals {
  const out: HttpTotals = { count: 0, buckets: [], c4xx: 0, c5xx: 0 };
  const byLe = new Map<number, number>();
  for (const p of parts) {
    out.count += p.count;
    out.c4xx += p.c4xx;
    out.c5xx += p.c5xx;
    for (const b of p.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  }
  out.buckets = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  return out;
}
