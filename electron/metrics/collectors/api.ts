import { Agent } from 'node:http';
import type { AddressResolver, MetricsTarget } from '../address.ts';
import { parseExposition } from '../exposition.ts';
import { type HttpTotals, histogramQuantile, httpDelta, httpTotals } from '../histogram.ts';
import { type CollectorTiming, PollingCollector, type PointSink } from '../source.ts';
import { httpGetText } from './http.ts';

/** One interval of one API node: what the cluster aggregate merges. */
export interface ApiInterval {
  /** Scrape time (end of the interval). */
  t: number;
  dtS: number;
  delta: HttpTotals;
}

export interface ApiCollectorOptions {
  port?: number;
  path?: string;
  histogram?: string;
}

/** Emit rps, p50/p95/p99 and error rates of one interval (quantiles and rates only with traffic). */
export function emitHttpInterval(sink: PointSink, scope: string, t: number, dtS: number, d: HttpTotals): void {
  sink(scope, 'rps', t, d.count / dtS);
  if (d.count <= 0) return;
  if (d.buckets.length >= 2) {
    for (const [q, metric] of [
      [0.5, 'p50_ms'],
      [0.95, 'p95_ms'],
      [0.99, 'p99_ms'],
    ] as const) {
      const v = histogramQuantile(q, d.buckets);
      if (Number.isFinite(v)) sink(scope, metric, t, v * 1000);
    }
  }
  sink(scope, 'err4xx_pct', t, (d.c4xx / d.count) * 100);
  sink(scope, 'err5xx_pct', t, (d.c5xx / d.count) * 100);
  sink(scope, 'error_pct', t, (d.c5xx / d.count) * 100);
}

/**
 * An API node's GET /metrics (Prometheus text): requests/s, latency quantiles from the
 * `http_request_duration_seconds` histogram's per-interval bucket deltas, error rates by status
 * class. Label sets (method, route, status_code, ...) are summed over.
 */
export class ApiCollector extends PollingCollector {
  private prev: { t: number; totals: HttpTotals } | null = null;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  /** The latest interval, for the cluster aggregate. */
  latest: ApiInterval | null = null;
  private readonly port: number;
  private readonly path: string;
  private readonly histogram: string;

  constructor(
    private readonly target: MetricsTarget,
    private readonly resolver: AddressResolver,
    timing: CollectorTiming,
    sink: PointSink,
    opts: ApiCollectorOptions = {},
  ) {
    super(target.service, 'api', timing, sink);
    this.port = opts.port ?? 3000;
    this.path = opts.path ?? '/metrics';
    this.histogram = opts.histogram ?? 'http_request_duration_seconds';
  }

  protected async scrape(signal: AbortSignal, startedAt: number): Promise<void> {
    const address = await this.resolver.resolveAddress(this.target, this.port);
    const res = await httpGetText(address, this.path, { signal, agent: this.agent });
    const expo = parseExposition(res.body);
    const totals = httpTotals(expo, this.histogram);
    if (!totals) throw new Error(`${this.path} has no ${this.histogram} histogram (nor an http_requests_total counter)`);
    const t = startedAt;
    if (this.prev && t > this.prev.t) {
      const dtS = (t - this.prev.t) / 1000;
      const delta = httpDelta(this.prev.totals, totals);
      emitHttpInterval(this.sink, this.service, t, dtS, delta);
      this.latest = { t, dtS, delta };
    }
    this.prev = { t, totals };
  }

  protected override onFailure(): void {
    this.prev = null;
    this.latest = null;
    this.resolver.invalidate?.(this.target);
  }

  protected override async reset(): Promise<void> {
    this.agent.destroy();
  }
}
