import type { SourceKind, SourceState, SourceStatus } from './types.ts';

/** Where collectors put what they measure. `metric` is a name from METRICS; t in ms. */
export type PointSink = (service: string, metric: string, t: number, v: number) => void;

export interface CollectorTiming {
  /** Time between scrapes (default 1000 ms). */
  intervalMs: number;
  /** A scrape taking longer fails as "timed out" (default 2 x interval, 1 s to 10 s). */
  timeoutMs: number;
  /** Backoff cap after repeated failures (default 15 s). */
  maxBackoffMs: number;
  /** Up turns into stale when nothing arrived for this long (default 3 x interval, at least 3 s). */
  staleAfterMs: number;
}

export function timing(intervalMs = 1000, over: Partial<CollectorTiming> = {}): CollectorTiming {
  return {
    intervalMs,
    timeoutMs: over.timeoutMs ?? Math.min(10_000, Math.max(1000, 2 * intervalMs)),
    maxBackoffMs: over.maxBackoffMs ?? 15_000,
    staleAfterMs: over.staleAfterMs ?? Math.max(3000, 3 * intervalMs),
  };
}

/** Exponential backoff: interval, 2x, 4x ... capped, with +-10 % jitter so sources do not sync up. */
export function backoffMs(failures: number, t: CollectorTiming, random = Math.random): number {
  const base = Math.min(t.maxBackoffMs, t.intervalMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.9 + 0.2 * random()));
}

export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return errorMessage(err.errors[0]);
  const e = err as { message?: unknown; code?: unknown };
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const code = typeof e?.code === 'string' && !msg.includes(e.code) ? ` (${e.code})` : '';
  return (msg + code).slice(0, 300);
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Run `fn` with an AbortSignal that fires after `ms`; the returned promise settles by then even if
 * `fn` ignores the signal (its late result or rejection is swallowed).
 */
export function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(ms);
      ac.abort(err);
      reject(err);
    }, ms);
  });
  let work: Promise<T>;
  try {
    work = fn(ac.signal);
  } catch (err) {
    work = Promise.reject(err);
  }
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Status bookkeeping of one source. */
export class SourceTracker {
  private status: SourceStatus;
  private hostLabel?: string;

  constructor(
    service: string,
    kind: SourceStatus['kind'],
    private readonly staleAfterMs: number,
  ) {
    this.status = { id: `${service}:${kind}`, service, kind, state: 'starting', lastOkAt: null, lastAttemptAt: null, failures: 0 };
  }

  get id(): string {
    return this.status.id;
  }

  /**
   * The source is on a host (a cluster placed on hosts): its status says which, and with `label`
   * (remote hosts) every error names the host unless it already does.
   */
  onHost(host: string, label?: string): this {
    this.status.host = host;
    this.hostLabel = label;
    return this;
  }

  private named(message: string): string {
    const h = this.status.host;
    if (!this.hostLabel || !h || message.includes(`host ${h}`)) return message;
    return `${this.hostLabel}: ${message}`;
  }

  ok(now: number, latencyMs?: number): void {
    const s = this.status;
    s.state = 'up';
    s.lastOkAt = now;
    s.lastAttemptAt = now;
    s.failures = 0;
    delete s.error;
    delete s.nextRetryAt;
    if (latencyMs !== undefined) s.latencyMs = Math.round(latencyMs * 10) / 10;
  }

  fail(now: number, err: unknown, nextRetryAt?: number): void {
    const s = this.status;
    s.state = 'down';
    s.lastAttemptAt = now;
    s.failures++;
    s.error = this.named(typeof err === 'string' ? err : errorMessage(err));
    if (nextRetryAt !== undefined) s.nextRetryAt = nextRetryAt;
    else delete s.nextRetryAt;
  }

  /** Mark down without counting an attempt (e.g. the container stopped). */
  down(reason: string): void {
    this.status.state = 'down';
    this.status.error = this.named(reason);
    delete this.status.nextRetryAt;
  }

  get failures(): number {
    return this.status.failures;
  }

  /** The status as of `now`: up turns stale when the last success is too old. */
  snapshot(now: number): SourceStatus {
    const s = { ...this.status };
    if (s.state === 'up' && s.lastOkAt !== null && now - s.lastOkAt > this.staleAfterMs) s.state = 'stale' as SourceState;
    return s;
  }
}

export interface Collector {
  readonly service: string;
  readonly kind: SourceKind;
  readonly tracker: SourceTracker;
  start(): void;
  /** Stop timers and close connections; never throws. */
  stop(): Promise<void>;
}

/**
 * Base of the polling collectors (nginx, api, redis, postgres): its own timer, one scrape at a
 * time with a hard timeout, exponential backoff after failures. Nothing is shared between
 * collectors, so a slow or dead source never delays another.
 */
export abstract class PollingCollector implements Collector {
  readonly tracker: SourceTracker;
  protected stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;

  constructor(
    readonly service: string,
    readonly kind: SourceKind,
    protected readonly timing: CollectorTiming,
    protected readonly sink: PointSink,
    protected readonly now: () => number = Date.now,
  ) {
    this.tracker = new SourceTracker(service, kind, timing.staleAfterMs);
  }

  /**
   * One scrape; throw to report the source down. Should honour `signal`. `startedAt` is the time
   * to stamp points with (the scrape's start, as Prometheus does: closer to when the source took
   * its reading than the time its answer arrived).
   */
  protected abstract scrape(signal: AbortSignal, startedAt: number): Promise<void>;

  /** Release connections (called after failures and on stop). */
  protected async reset(): Promise<void> {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inflight?.catch(() => undefined);
    await this.reset().catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inflight = this.tick()
        .catch(() => undefined)
        .finally(() => (this.inflight = null));
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = this.now();
    const t0 = performance.now();
    try {
      await withTimeout(this.timing.timeoutMs, (signal) => this.scrape(signal, started));
      if (this.stopped) return;
      this.tracker.ok(this.now(), performance.now() - t0);
      // Keep the cadence: the next scrape is due one interval after this one started.
      this.schedule(Math.max(0, started + this.timing.intervalMs - this.now()));
    } catch (err) {
      if (this.stopped) return;
      await this.reset().catch(() => undefined);
      const delay = backoffMs(this.tracker.failures + 1, this.timing);
      this.tracker.fail(this.now(), err, this.now() + delay);
      this.onFailure(err);
      this.schedule(delay);
    }
  }

  /** Hook: forget baselines after a failure so the next interval is not a merged one. */
  protected onFailure(_err: unknown): void {}
}
