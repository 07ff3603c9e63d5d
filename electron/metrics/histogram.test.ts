import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.ts';
import { type Bucket, histogramQuantile, httpDelta, httpTotals, mergeHttp } from './histogram.ts';

const b = (pairs: [number, number][]): Bucket[] => pairs.map(([le, count]) => ({ le, count }));

describe('histogramQuantile (as Prometheus histogram_quantile)', () => {
  const h = b([
    [0.1, 10],
    [0.2, 30],
    [0.5, 90],
    [1, 100],
    [Infinity, 100],
  ]);
  it('interpolates linearly inside the bucket holding the rank', () => {
    // rank 50 is in (0.2, 0.5]: 20 of the 60 observations in it → 0.2 + 0.3 * 20/60
    expect(histogramQuantile(0.5, h)).toBeCloseTo(0.3, 10);
    // rank 95 in (0.5, 1]: 5 of 10 → 0.75
    expect(histogramQuantile(0.95, h)).toBeCloseTo(0.75, 10);
    // the lowest bucket starts at 0: rank 5 of 10 → 0.05
    expect(histogramQuantile(0.05, h)).toBeCloseTo(0.05, 10);
  });
  it('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(histogramQuantile(0.99, b([[0.1, 10], [0.5, 50], [Infinity, 100]]))).toBe(0.5);
  });
  it('q out of range, no observations, too few buckets, no +Inf', () => {
    expect(histogramQuantile(-0.1, h)).toBe(-Infinity);
    expect(histogramQuantile(1.1, h)).toBe(Infinity);
    expect(histogramQuantile(0.5, b([[0.1, 0], [Infinity, 0]]))).toBeNaN();
    expect(histogramQuantile(0.5, b([[Infinity, 5]]))).toBeNaN();
    expect(histogramQuantile(0.5, b([[0.1, 1], [1, 5]]))).toBeNaN();
    expect(histogramQuantile(NaN, h)).toBeNaN();
  });
  it('sorts unsorted buckets and fixes non-monotonic counts', () => {
    const unsorted = b([[Infinity, 100], [0.5, 90], [0.1, 10], [1, 100], [0.2, 30]]);
    expect(histogramQuantile(0.5, unsorted)).toBeCloseTo(0.3, 10);
    // 0.5 bucket dips below 0.2's: treated as 30
    expect(histogramQuantile(0.5, b([[0.1, 10], [0.2, 30], [0.5, 25], [1, 100], [Infinity, 100]]))).toBeCloseTo(0.5 + 0.5 * (20 / 70), 10);
  });
  it('q=1 answers the upper bound of the last non-empty finite bucket region', () => {
    expect(histogramQuantile(1, h)).toBe(1);
  });
});

const expo = (lines: string) => parseExposition(`# TYPE http_request_duration_seconds histogram\n${lines}`);
const node = (n200: number, n404: number, n500: number) =>
  expo(
    [
      `http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="0.05"} ${n200}`,
      `http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="0.1"} ${n200}`,
      `http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="+Inf"} ${n200}`,
      `http_request_duration_seconds_count{method="GET",route="/",status_code="200"} ${n200}`,
      `http_request_duration_seconds_bucket{method="GET",route="/x",status_code="404",le="0.05"} ${n404}`,
      `http_request_duration_seconds_bucket{method="GET",route="/x",status_code="404",le="0.1"} ${n404}`,
      `http_request_duration_seconds_bucket{method="GET",route="/x",status_code="404",le="+Inf"} ${n404}`,
      `http_request_duration_seconds_count{method="GET",route="/x",status_code="404"} ${n404}`,
      `http_request_duration_seconds_bucket{method="POST",route="/y",status_code="500",le="0.05"} 0`,
      `http_request_duration_seconds_bucket{method="POST",route="/y",status_code="500",le="0.1"} ${n500}`,
      `http_request_duration_seconds_bucket{method="POST",route="/y",status_code="500",le="+Inf"} ${n500}`,
      `http_request_duration_seconds_count{method="POST",route="/y",status_code="500"} ${n500}`,
    ].join('\n'),
  );

describe('httpTotals / httpDelta / mergeHttp', () => {
  it('sums buckets and counts over every label set, and classes statuses', () => {
    const t = httpTotals(node(80, 15, 5))!;
    expect(t.count).toBe(100);
    expect(t.c4xx).toBe(15);
    expect(t.c5xx).toBe(5);
    expect(t.buckets).toEqual(b([[0.05, 95], [0.1, 100], [Infinity, 100]]));
  });
  it('uses +Inf buckets when there is no _count, and other status label names', () => {
    const t = httpTotals(expo('http_request_duration_seconds_bucket{code="503",le="1"} 2\nhttp_request_duration_seconds_bucket{code="503",le="+Inf"} 4\n'))!;
    expect(t).toMatchObject({ count: 4, c5xx: 4, c4xx: 0 });
  });
  it('falls back to http_requests_total; null when nothing fits', () => {
    const t = httpTotals(parseExposition('# TYPE http_requests_total counter\nhttp_requests_total{status="200"} 7\nhttp_requests_total{status="404"} 3\n'))!;
    expect(t).toMatchObject({ count: 10, c4xx: 3, buckets: [] });
    expect(httpTotals(parseExposition('process_cpu_seconds_total 3\n'))).toBeNull();
    // declared but nothing observed yet: zero traffic, not an error
    expect(httpTotals(parseExposition('# HELP http_request_duration_seconds x\n# TYPE http_request_duration_seconds histogram\nup 1\n'))).toEqual({ count: 0, buckets: [], c4xx: 0, c5xx: 0 });
  });
  it('per-interval deltas; a counter reset counts from zero', () => {
    const a = httpTotals(node(80, 15, 5))!;
    const c = httpTotals(node(180, 15, 5))!;
    const d = httpDelta(a, c);
    expect(d).toMatchObject({ count: 100, c4xx: 0, c5xx: 0 });
    expect(d.buckets).toEqual(b([[0.05, 100], [0.1, 100], [Infinity, 100]]));
    const restarted = httpTotals(node(3, 0, 0))!;
    expect(httpDelta(c, restarted)).toEqual(restarted);
  });
  it('p95 of interval deltas differs from the cumulative one', () => {
    const a = httpTotals(node(100, 0, 0))!;
    const slow = httpTotals(
      expo(
        [
          'http_request_duration_seconds_bucket{status_code="200",le="0.05"} 100',
          'http_request_duration_seconds_bucket{status_code="200",le="0.1"} 200',
          'http_request_duration_seconds_bucket{status_code="200",le="+Inf"} 200',
          'http_request_duration_seconds_count{status_code="200"} 200',
        ].join('\n'),
      ),
    )!;
    const d = httpDelta(a, slow);
    expect(histogramQuantile(0.95, d.buckets)).toBeCloseTo(0.05 + 0.05 * 0.95, 10);
    expect(histogramQuantile(0.95, slow.buckets)).toBeCloseTo(0.05 + 0.05 * 0.9, 10);
  });
  it('merges nodes by le', () => {
    const m = mergeHttp([httpTotals(node(10, 0, 0))!, httpTotals(node(0, 0, 10))!]);
    expect(m).toMatchObject({ count: 20, c5xx: 10 });
    expect(m.buckets).toEqual(b([[0.05, 10], [0.1, 20], [Infinity, 20]]));
  });
});
