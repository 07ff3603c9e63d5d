import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { checkTarget, normalizeDefinition, stagesDurationMs, targetAt, type TargetPolicy } from './parse.ts';
import { evaluateThresholds, newHistogram, summarize, type Figures, type Histogram } from './stats.ts';
import type {
  ErrorCounts,
  LiveStatus,
  LoadTestDefinition,
  LoadTestInput,
  LoadTestReport,
  RunState,
  RunTotals,
  SecondSnapshot,
  ThresholdVerdict,
} from './types.ts';
import { workerSource, type FromWorker, type ToWorker, type WorkerConfig } from './worker.ts';

/**
 * The load test engine's main-thread half: it starts the worker threads that send the load,
 * aggregates what they report into HDR histograms (per second and for the whole run), checks
 * thresholds every second, emits snapshots and builds the report. It never sends a request
 * itself, so the caller's event loop stays free.
 *
 *   const run = startLoadTest({ target, model: { kind: 'open', rate: 200, duration: '30s' } });
 *   run.on('snapshot', (s) => chart.push(s));      // or: for await (const s of run) …
 *   const report = await run.done;                  // run.stop() ends it early
 */

export const MODEL_DESCRIPTIONS = {
  open:
    'Open model (arrival rate): requests start on a fixed schedule whatever the server does; each latency is measured from ' +
    "the request's scheduled start, so a stalled server shows up in the percentiles (no coordinated omission). Requests " +
    'that could not be sent because maxInFlight was reached are counted as dropped.',
  closed:
    'Closed model (virtual users): each VU sends its next request only after the previous answer (plus think time); ' +
    'latency is measured from when each request was sent. A stalled server also slows the sending, so stalls are ' +
    'under-represented in the percentiles (coordinated omission).',
} as const;

export interface StartOptions extends TargetPolicy {
  /** Run id (default: generated, `lt-YYYYMMDD-HHMMSS-xxxx`). */
  id?: string;
  /** The cluster whose balancer is the target; kept in the status and the report. */
  cluster?: string | null;
}


export function newRunId(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `lt-${stamp}-${randomBytes(2).toString('hex')}`;
}

function isDefinition(x: LoadTestInput | LoadTestDefinition): x is LoadTestDefinition {
  const d = x as LoadTestDefinition;
  return typeof d.timeoutMs === 'number' && Array.isArray(d.model?.stages) && typeof d.model.stages[0]?.durationMs === 'number';
}

/**
 * Validate the definition and the target (throws LoadTestDefinitionError / LoadTestTargetError),
 * then start the run on the next turn of the event loop (attach listeners right away).
 */
export function startLoadTest(input: LoadTestInput | LoadTestDefinition, options: StartOptions = {}): LoadTestRun {
  const def = isDefinition(input) ? input : normalizeDefinition(input);
  const target = checkTarget(def.target, options);
  return new LoadTestRun(def, target, options.id ?? newRunId(), options.cluster ?? null);
}

const emptyErrors = (): ErrorCounts => ({ timeout: 0, refused: 0, reset: 0, other: 0 });
const ERROR_KINDS = ['timeout', 'refused', 'reset', 'other'] as const;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

interface SecAgg {
  hist: Histogram | null;
  requests: number;
  failed: number;
  sent: number;
  dropped: number;
  errors: ErrorCounts;
  statusClasses: Record<string, number>;
}
const newAgg = (): SecAgg => ({ hist: null, requests: 0, failed: 0, sent: 0, dropped: 0, errors: emptyErrors(), statusClasses: {} });

type BatchMsg = Extract<FromWorker, { type: 'batch' }>;

export class LoadTestRun extends EventEmitter {
  readonly id: string;
  readonly cluster: string | null;
  readonly definition: LoadTestDefinition;
  readonly model: 'open' | 'closed';
  /** Resolves with the report when the run ends (whatever the verdict); rejects if it cannot run. */
  readonly done: Promise<LoadTestReport>;
  state: RunState = 'starting';
  latest: SecondSnapshot | null = null;
  report: LoadTestReport | null = null;

  private resolveDone!: (r: LoadTestReport) => void;
  private rejectDone!: (e: Error) => void;
  private readonly conn: ReturnType<typeof checkTarget>;
  private workers: Worker[] = [];
  private ready = 0;
  private finishedWorkers = 0;
  private capped = false;
  private interrupted = 0;
  private loginUsers = 0;
  private loginFailed = 0;
  private startEpoch = 0;
  private startedAt: Date | null = null;
  private timelineEndEpoch: number | null = null;
  private endState: RunState | null = null;
  private endReason = '';
  private timers: ReturnType<typeof setTimeout>[] = [];
  private secTimer: ReturnType<typeof setTimeout> | null = null;
  private nextFinal = 0;
  private maxSecSeen = -1;
  private secs = new Map<number, SecAgg>();
  private series: SecondSnapshot[] = [];
  private totalHist = newHistogram();
  private totals = {
    requests: 0, sent: 0, failed: 0, dropped: 0, errors: emptyErrors(), statuses: new Map<number, number>(),
    late: 0, lagSum: 0, lagMax: 0,
  };
  private gaugeActive: number[] = [];
  private gaugeInFlight: number[] = [];
  private liveVerdicts: ThresholdVerdict[] = [];
  private settled = false;
  private finishing = false;

  constructor(def: LoadTestDefinition, conn: ReturnType<typeof checkTarget>, id: string, cluster: string | null = null) {
    super();
    this.id = id;
    this.cluster = cluster;
    this.definition = def;
    this.model = def.model.kind;
    this.conn = conn;
    this.done = new Promise<LoadTestReport>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined); // callers that never await must not crash the process
    this.liveVerdicts = evaluateThresholds(def.thresholds, this.figures(false), false);
    setImmediate(() => this.launch());
  }

  /** Stop early: in-flight requests are cut off (counted as interrupted) and a report is still made. */
  stop(reason = 'stopped by the user', state: RunState = 'stopped'): void {
    if (this.settled || this.endState) return;
    this.endState = state;
    this.endReason = reason;
    if (this.state === 'starting') {
      for (const w of this.workers) void w.terminate();
      this.finishRun();
      return;
    }
    this.timelineEndEpoch = Math.min(this.nowEpoch(), this.startEpoch + stagesDurationMs(this.definition.model.stages));
    for (const w of this.workers) this.post(w, { type: 'stop', graceful: false });
    // Workers answer within a few ms; do not wait for ever on one that is wedged.
    this.timers.push(setTimeout(() => this.finishRun(), 5000));
  }

  /** The per-second series so far. */
  seriesSoFar(): SecondSnapshot[] {
    return [...this.series];
  }

  status(): LiveStatus {
    const stagesS = stagesDurationMs(this.definition.model.stages) / 1000;
    return {
      id: this.id,
      name: this.definition.name,
      cluster: this.cluster,
      target: this.definition.target,
      model: this.model,
      state: this.state,
      startedAt: this.startedAt?.toISOString() ?? null,
      elapsedS: this.startEpoch ? Math.max(0, round3((this.nowEpoch() - this.startEpoch) / 1000)) : 0,
      durationS: stagesS,
      latest: this.latest,
      thresholds: this.liveVerdicts,
      totals: { requests: this.totals.requests, failed: this.totals.failed, dropped: this.totals.dropped },
    };
  }

  /** `for await (const snapshot of run)`: one per second until the run ends. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SecondSnapshot> {
    const queue: SecondSnapshot[] = [];
    let waiting: ((r: IteratorResult<SecondSnapshot>) => void) | null = null;
    let ended = this.settled;
    const onSnap = (s: SecondSnapshot) => {
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: s, done: false });
      } else queue.push(s);
    };
    const onEnd = () => {
      ended = true;
      cleanup();
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: undefined, done: true });
      }
    };
    const cleanup = () => {
      this.off('snapshot', onSnap);
      this.off('end', onEnd);
      this.off('failed', onEnd);
    };
    this.on('snapshot', onSnap);
    this.on('end', onEnd);
    this.on('failed', onEnd);
    const it: AsyncIterableIterator<SecondSnapshot> = {
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
        if (ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((r) => (waiting = r));
      },
      return: () => {
        ended = true;
        cleanup();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  // ---------------------------------------------------------------------------------------------

  private nowEpoch(): number {
    return performance.timeOrigin + performance.now();
  }

  private post(w: Worker, m: ToWorker): void {
    try {
      w.postMessage(m);
    } catch {
      // the worker is gone; its exit handler deals with it
    }
  }

  private setState(s: RunState): void {
    this.state = s;
    this.emit('state', s);
  }

  private launch(): void {
    if (this.settled) return;
    const def = this.definition;
    const n = def.workers;
    const share = (total: number, k: number) => Math.floor(total / n) + (k < total % n ? 1 : 0);
    const src = workerSource();
    for (let k = 0; k < n; k++) {
      const cfg: WorkerConfig = {
        index: k,
        count: n,
        runId: this.id,
        host: this.conn.host,
        port: this.conn.port,
        hostHeader: this.conn.hostHeader,
        basePath: this.conn.basePath,
        model: def.model,
        requests: def.requests,
        login: def.login,
        connections: Math.max(1, share(def.connections, k)),
        maxInFlight: def.model.kind === 'open' ? Math.max(1, share(def.model.maxInFlight, k)) : Number.MAX_SAFE_INTEGER,
        maxRequests: Math.max(1, share(def.maxRequests, k)),
        timeoutMs: def.timeoutMs,
        gracefulStopMs: def.gracefulStopMs,
      };
      let w: Worker;
      try {
        // A larger young generation: fewer scavenges, so fewer pauses that make a request late on the schedule.
        w = new Worker(src, { eval: true, workerData: cfg, name: `scaledeck-loadtest-${k}`, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      } catch (err) {
        return this.fail(err instanceof Error ? err : new Error(String(err)));
      }
      this.gaugeActive.push(0);
      this.gaugeInFlight.push(0);
      w.on('message', (m: FromWorker) => this.onMessage(k, m));
      w.on('error', (err) => this.fail(new Error(`load worker ${k} crashed: ${err.message}`)));
      w.on('exit', (code) => {
        if (!this.settled && this.finishedWorkers < n && code !== 0) this.fail(new Error(`load worker ${k} exited with code ${code}`));
      });
      this.workers.push(w);
    }
    const setupMs = def.login ? Math.min(300_000, 30_000 + def.timeoutMs * Math.ceil(def.login.users / 8) * 2) : 30_000;
    this.timers.push(
      setTimeout(() => {
        if (this.state === 'starting') this.fail(new Error(`load workers not ready after ${Math.round(setupMs / 1000)} s (login flow?)`));
      }, setupMs),
    );
  }

  private onMessage(k: number, m: FromWorker): void {
    if (this.settled) return;
    switch (m.type) {
      case 'ready':
        this.loginUsers += m.users;
        this.loginFailed += m.loginFailed;
        if (++this.ready === this.workers.length) this.begin();
        break;
      case 'batch':
        this.onBatch(k, m);
        break;
      case 'done':
        this.interrupted += m.interrupted;
        if (m.capped) this.capped = true;
        if (++this.finishedWorkers === this.workers.length) this.finishRun();
        break;
      case 'fatal':
        this.fail(new Error(m.message));
        break;
    }
  }

  private begin(): void {
    if (this.endState) return this.finishRun();
    const def = this.definition;
    this.startEpoch = this.nowEpoch() + 50;
    this.startedAt = new Date(this.startEpoch);
    for (const w of this.workers) this.post(w, { type: 'start', startAtEpochMs: this.startEpoch });
    this.setState('running');
    this.scheduleSecond();
    this.timers.push(
      setTimeout(() => this.stop(`hard cap: the run may last at most ${Math.round(def.maxDurationMs / 1000)} s`, 'capped'), def.maxDurationMs + 50),
    );
  }

  /** Close second s once every worker has had time to report it (they flush every 100 ms). */
  private scheduleSecond(): void {
    const at = this.startEpoch + (this.nextFinal + 1) * 1000 + 250;
    this.secTimer = setTimeout(() => {
      this.finalizeSecond(this.nextFinal++);
      this.scheduleSecond();
    }, Math.max(0, at - this.nowEpoch()));
  }

  private onBatch(k: number, m: BatchMsg): void {
    this.gaugeActive[k] = m.active;
    this.gaugeInFlight[k] = m.inFlight;
    const late = m.sec < this.nextFinal;
    const agg = late ? null : this.secs.get(m.sec) ?? this.secs.set(m.sec, newAgg()).get(m.sec)!;
    if (m.sec > this.maxSecSeen && (m.lat.length || m.sent || m.dropped || m.statuses.length || m.errors.some(Boolean))) this.maxSecSeen = m.sec;
    const T = this.totals;
    const failFrom = this.definition.failStatusFrom;
    // Latencies: into this second's histogram, or straight into the run's when the second is closed.
    if (m.lat.length) {
      const h = agg ? (agg.hist ??= newHistogram()) : this.totalHist;
      for (let i = 0; i < m.lat.length; i++) h.recordValue(m.lat[i]!);
    }
    const entry = late ? this.series.find((s) => s.t === m.sec) : undefined;
    let requests = 0;
    let failed = 0;
    for (let i = 0; i < m.statuses.length; i += 2) {
      const code = m.statuses[i]!;
      const count = m.statuses[i + 1]!;
      requests += count;
      if (code >= failFrom) failed += count;
      T.statuses.set(code, (T.statuses.get(code) ?? 0) + count);
      const cls = `${Math.floor(code / 100)}xx`;
      const target = agg?.statusClasses ?? entry?.statusClasses;
      if (target) target[cls] = (target[cls] ?? 0) + count;
    }
    let errors = 0;
    ERROR_KINDS.forEach((kind, i) => {
      const c = m.errors[i] ?? 0;
      if (!c) return;
      errors += c;
      T.errors[kind] += c;
      if (agg) agg.errors[kind] += c;
      else if (entry) entry.errors[kind] += c;
    });
    failed += errors;
    T.requests += requests;
    T.failed += failed;
    T.sent += m.sent;
    T.dropped += m.dropped;
    T.late += m.late;
    T.lagSum += m.lagSumMs;
    if (m.lagMaxMs > T.lagMax) T.lagMax = m.lagMaxMs;
    const into = agg ?? entry;
    if (into) {
      into.requests += requests;
      into.failed += failed;
      into.sent += m.sent;
      into.dropped += m.dropped;
    }
  }

  private figures(final: boolean): Figures {
    const T = this.totals;
    const transportErrors = T.errors.timeout + T.errors.refused + T.errors.reset + T.errors.other;
    const finishedCount = T.requests + transportErrors;
    const scheduled = T.sent + T.dropped;
    let rate: number | null = null;
    if (final) {
      const d = this.measuredDurationS();
      rate = d > 0 ? T.requests / d : 0;
    }
    return {
      latency: summarize(this.totalHist),
      errorRate: finishedCount ? T.failed / finishedCount : null,
      dropRate: scheduled ? T.dropped / scheduled : null,
      rate,
    };
  }

  private measuredDurationS(): number {
    if (!this.startEpoch) return 0;
    const stagesEnd = this.startEpoch + stagesDurationMs(this.definition.model.stages);
    const end = this.timelineEndEpoch ?? Math.min(this.nowEpoch(), stagesEnd);
    return Math.max(0, (end - this.startEpoch) / 1000);
  }

  private finalizeSecond(s: number): void {
    const agg = this.secs.get(s) ?? newAgg();
    this.secs.delete(s);
    const latency = summarize(agg.hist);
    if (agg.hist) this.totalHist.add(agg.hist);
    const f = this.figures(false);
    this.liveVerdicts = evaluateThresholds(this.definition.thresholds, f, false);
    const model = this.definition.model;
    const snap: SecondSnapshot = {
      runId: this.id,
      t: s,
      requests: agg.requests,
      sent: agg.sent,
      dropped: agg.dropped,
      failed: agg.failed,
      errors: agg.errors,
      statusClasses: agg.statusClasses,
      latency,
      active:
        model.kind === 'closed' ? this.gaugeActive.reduce((a, b) => a + b, 0) : this.gaugeInFlight.reduce((a, b) => a + b, 0),
      target: round3(targetAt(model.kind === 'closed' ? model.startVUs : model.startRate, model.stages, (s + 0.5) * 1000)),
      cumulative: {
        requests: this.totals.requests,
        failed: this.totals.failed,
        errorRate: round3((f.errorRate ?? 0) * 1e3) / 1e3,
        p95: f.latency.p95,
        p99: f.latency.p99,
      },
      thresholds: this.liveVerdicts,
    };
    this.series.push(snap);
    this.latest = snap;
    if (this.state === 'running' || this.settled) this.emit('snapshot', snap);
    if (this.state === 'running' && !this.endState && !this.finishing) {
      const elapsedMs = this.nowEpoch() - this.startEpoch;
      const broken = this.liveVerdicts.find((v) => v.status === 'fail' && v.abortOnFail);
      if (broken && elapsedMs >= this.definition.abortDelayMs) {
        this.stop(`threshold ${broken.expr} failed (${broken.metric} = ${broken.actual}), aborted on fail`, 'aborted');
      }
    }
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimers();
    for (const w of this.workers) void w.terminate();
    this.setState('failed');
    this.emit('failed', err);
    this.rejectDone(err);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.secTimer) clearTimeout(this.secTimer);
    this.secTimer = null;
  }

  private finishRun(): void {
    if (this.settled) return;
    this.clearTimers();
    this.finishing = true;
    for (const w of this.workers) void w.terminate();
    if (this.startEpoch) {
      const last = Math.max(this.maxSecSeen, this.nextFinal - 1);
      while (this.nextFinal <= last) this.finalizeSecond(this.nextFinal++);
    }
    this.settled = true;
    const def = this.definition;
    const state: RunState = this.endState ?? (this.capped ? 'capped' : 'completed');
    const reason =
      this.endReason ||
      (this.capped ? `request cap of ${def.maxRequests} reached` : 'all stages completed');
    const f = this.figures(true);
    const verdicts = evaluateThresholds(def.thresholds, f, true);
    this.liveVerdicts = verdicts;
    const T = this.totals;
    const durationS = round3(this.measuredDurationS());
    const statusClasses: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    for (const [code, c] of [...T.statuses.entries()].sort((a, b) => a[0] - b[0])) {
      statuses[String(code)] = c;
      const cls = `${Math.floor(code / 100)}xx`;
      statusClasses[cls] = (statusClasses[cls] ?? 0) + c;
    }
    const ok = [...T.statuses.entries()].reduce((a, [code, c]) => (code < def.failStatusFrom ? a + c : a), 0);
    const totals: RunTotals = {
      requests: T.requests,
      sent: T.sent,
      ok,
      failed: T.failed,
      errorRate: round3((f.errorRate ?? 0) * 1e3) / 1e3,
      dropped: T.dropped,
      dropRate: round3((f.dropRate ?? 0) * 1e3) / 1e3,
      interrupted: this.interrupted,
      rate: round3(f.rate ?? 0),
      durationS,
      statusClasses,
      statuses,
      errors: T.errors,
      schedule:
        def.model.kind === 'open'
          ? {
              lateOver1ms: T.late,
              latePct: T.sent ? round3((T.late / T.sent) * 100) : 0,
              meanLagMs: T.sent ? round3(T.lagSum / T.sent) : 0,
              maxLagMs: round3(T.lagMax),
            }
          : null,
      login: def.login ? { users: this.loginUsers, failed: this.loginFailed } : null,
    };
    const report: LoadTestReport = {
      kind: 'scaledeck.loadtest-report',
      version: 1,
      id: this.id,
      name: def.name,
      cluster: this.cluster,
      target: def.target,
      model: def.model.kind,
      modelDescription: MODEL_DESCRIPTIONS[def.model.kind],
      state,
      endReason: reason,
      startedAt: (this.startedAt ?? new Date()).toISOString(),
      endedAt: new Date().toISOString(),
      definition: def,
      totals,
      latency: f.latency,
      thresholds: verdicts,
      pass: verdicts.every((v) => v.status === 'pass'),
      series: this.series,
      engine: { workers: def.workers, node: process.version },
    };
    this.report = report;
    this.setState(state);
    this.emit('end', report);
    this.resolveDone(report);
  }
}
