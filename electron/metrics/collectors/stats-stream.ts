import type { MetricsTarget } from '../address.ts';
import { containerFigures, sampleTime, type StatsSample } from '../container-stats.ts';
import { backoffMs, type Collector, type CollectorTiming, errorMessage, type PointSink, SourceTracker } from '../source.ts';

/** What the collector needs from the engine: one long-lived stats stream per container. */
export interface StatsSource {
  openStatsStream(containerId: string, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
}

/** Splits a byte stream into lines (the stats stream is newline-delimited JSON). */
export class LineSplitter {
  private buf = '';
  constructor(private readonly maxLine = 1024 * 1024) {}
  push(chunk: string, onLine: (line: string) => void): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (line) onLine(line);
    }
    if (this.buf.length > this.maxLine) {
      this.buf = '';
      throw new Error(`stats stream line longer than ${this.maxLine} bytes`);
    }
  }
}

/**
 * Per-container CPU %, memory and network from the engine's stats stream: one
 * `GET /containers/{id}/stats?stream=1` per container, parsed line by line (the engine sends a
 * sample about every second). When the stream ends or errors it is reopened with backoff; when it
 * goes silent it is marked stale and then reopened. Samples are thinned to the configured
 * interval; rates are computed against the previous kept sample.
 */
export class StatsStreamCollector implements Collector {
  readonly kind = 'stats' as const;
  readonly tracker: SourceTracker;
  readonly service: string;
  private stopped = true;
  private ac: AbortController | null = null;
  private stream: NodeJS.ReadableStream | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private prev: StatsSample | null = null;
  private lastDataAt = 0;
  private badLines = 0;
  /** Latest memory limit seen (bytes). */
  memLimitBytes?: number;
  /** Called when a sample says the container is not running. */
  onNotRunning?: () => void;

  constructor(
    private readonly target: MetricsTarget,
    private readonly source: StatsSource,
    private readonly timing: CollectorTiming,
    private readonly sink: PointSink,
    private readonly hostMemBytes?: number,
    private readonly now: () => number = Date.now,
  ) {
    this.service = target.service;
    this.tracker = new SourceTracker(target.service, 'stats', timing.staleAfterMs);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.watchdog = setInterval(() => this.checkSilence(), Math.max(1000, this.timing.intervalMs));
    this.watchdog.unref?.();
    void this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.retryTimer = this.watchdog = null;
    this.close();
  }

  private close(): void {
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    this.stream = null;
    this.ac?.abort();
    this.ac = null;
    try {
      s?.removeAllListeners?.('data');
      s?.destroy?.();
    } catch {
      /* already gone */
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.close();
    const ac = new AbortController();
    this.ac = ac;
    this.prev = null;
    this.lastDataAt = this.now();
    let stream: NodeJS.ReadableStream;
    try {
      const timer = setTimeout(() => ac.abort(new Error(`stats stream did not open within ${this.timing.timeoutMs} ms`)), this.timing.timeoutMs);
      try {
        stream = await this.source.openStatsStream(this.target.id, ac.signal);
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      if (this.ac === ac) this.failAndRetry(ac.signal.aborted && ac.signal.reason ? ac.signal.reason : err);
      return;
    }
    if (this.stopped || this.ac !== ac) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return;
    }
    this.stream = stream;
    const lines = new LineSplitter();
    let ended = false;
    const finish = (err?: unknown) => {
      if (ended) return;
      ended = true;
      if (this.stream !== stream || this.stopped) return;
      this.stream = null;
      this.failAndRetry(err ?? new Error('stats stream ended'));
    };
    stream.on('data', (chunk: Buffer | string) => {
      if (this.stream !== stream) return;
      this.lastDataAt = this.now();
      try {
        lines.push(chunk.toString(), (line) => this.onLine(line));
      } catch (err) {
        finish(err); // closes the stream and retries with backoff
      }
    });
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (err: unknown) => finish(err));
  }

  private onLine(line: string): void {
    let sample: StatsSample;
    try {
      sample = JSON.parse(line) as StatsSample;
      if (!sample || typeof sample !== 'object') throw new Error('not an object');
    } catch {
      // One bad line is tolerated; a stream of garbage is reopened.
      if (++this.badLines >= 3) throw new Error(`stats stream sent ${this.badLines} lines that are not JSON`);
      return;
    }
    this.badLines = 0;
    const t = sampleTime(sample);
    if (t === null) {
      // The engine keeps the stream open with zeroed samples for a stopped container.
      this.prev = null;
      this.tracker.down('container is not running');
      this.onNotRunning?.();
      return;
    }
    const prevT = this.prev ? sampleTime(this.prev) : null;
    // Thin to the configured interval when it is longer than the engine's (~1 s, whatever we
    // ask), tolerant of the engine's jitter. At 1 s or less every engine sample is kept.
    const interval = this.timing.intervalMs;
    if (interval > 1000 && prevT !== null && t - prevT < interval - 500) return;
    const f = containerFigures(sample, this.prev, this.hostMemBytes);
    this.prev = sample;
    if (!f) return;
    const now = this.now();
    const svc = this.service;
    // Stamp with our clock (the engine's may differ from ours, e.g. a remote host).
    if (f.cpuPct !== undefined) this.sink(svc, 'cpu_pct', now, f.cpuPct);
    if (f.memBytes !== undefined) this.sink(svc, 'mem_bytes', now, f.memBytes);
    if (f.memPct !== undefined) this.sink(svc, 'mem_pct', now, f.memPct);
    if (f.rxBps !== undefined) this.sink(svc, 'net_rx_bps', now, f.rxBps);
    if (f.txBps !== undefined) this.sink(svc, 'net_tx_bps', now, f.txBps);
    if (f.memLimitBytes !== undefined) this.memLimitBytes = f.memLimitBytes;
    this.tracker.ok(now);
  }

  private failAndRetry(err: unknown): void {
    if (this.stopped) return;
    this.close();
    const delay = backoffMs(this.tracker.failures + 1, this.timing);
    const now = this.now();
    this.tracker.fail(now, errorMessage(err), now + delay);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.open();
    }, delay);
    this.retryTimer.unref?.();
  }

  /** No bytes for a long while: reopen (a wedged connection looks exactly like this). */
  private checkSilence(): void {
    if (this.stopped || !this.stream) return;
    const silentMs = this.now() - this.lastDataAt;
    if (silentMs > Math.max(10_000, 5 * this.timing.intervalMs)) {
      this.failAndRetry(new Error(`stats stream silent for ${Math.round(silentMs / 1000)} s`));
    }
  }
}
