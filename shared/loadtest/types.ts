/**
 * Load test definitions, live snapshots and reports. Everything here is plain JSON data: a
 * definition round-trips through a report file, snapshots cross the API contract as events.
 *
 * Units: durations in milliseconds, latencies in milliseconds (3 decimals), rates in requests/s.
 */

// ---------------------------------------------------------------------------------------------
// Input (what a user, the UI or the CLI writes): strings allowed, defaults filled by normalize.
// ---------------------------------------------------------------------------------------------

/** `250ms`, `30s`, `1m`, `1m30s`, `1h`, or a number of milliseconds. */
export type DurationInput = string | number;

/** One stage: ramp linearly from the previous target to `target` over `duration`. */
export interface StageInput {
  duration: DurationInput;
  target: number;
}

/**
 * Closed model: `vus` virtual users (or `stages` that ramp their count), each sending its next
 * request only after the previous answer plus think time. Throughput follows the server's speed.
 */
export interface ClosedModelInput {
  kind: 'closed';
  /** `30s:50,1m:50,30s:0` or a list; targets are VU counts. */
  stages?: string | StageInput[];
  /** Constant VUs for `duration` (when no stages are given). */
  vus?: number;
  duration?: DurationInput;
  /** VUs at t=0 before the first stage ramps (default 0). */
  startVUs?: number;
  /** Pause after each answer: a fixed time or a uniform random range. Default 0. */
  thinkTime?: DurationInput | { min: DurationInput; max: DurationInput };
}

/**
 * Open model (k6's constant-arrival-rate / ramping-arrival-rate): requests start on a fixed
 * timeline whatever the server does; latency is measured from each request's scheduled start.
 */
export interface OpenModelInput {
  kind: 'open';
  /** Constant arrival rate in requests/s for `duration` (when no stages are given). */
  rate?: number;
  duration?: DurationInput;
  /** Ramping arrival rate: `30s:100,1m:100,30s:0` or a list; targets are requests/s. */
  stages?: string | StageInput[];
  /** Rate at t=0 before the first stage ramps (default 0). */
  startRate?: number;
  /** Requests waiting or in flight at once; a request due when this is reached is dropped. */
  maxInFlight?: number;
}

export interface RequestInput {
  name?: string;
  method?: string;
  /** Path (and query) appended to the target's path. Placeholders allowed. */
  path?: string;
  headers?: Record<string, string>;
  /**
   * Body template. Placeholders: {{vu}} (VU number; open model: user slot), {{iter}} (the VU's
   * iteration; open model: the request's index on the timeline), {{rand}} (random integer),
   * {{time}} (epoch ms), {{user}} (login user index), {{run}} (run id).
   */
  body?: string;
  /** Relative weight in the mix (default 1). */
  weight?: number;
}

/** Register then log in N users before the run; their JWTs go on every request of the mix. */
export interface LoginInput {
  /** `null` to skip registration. Default `/api/register`. Answers 4xx (already exists) are tolerated. */
  registerPath?: string | null;
  /** Default `/api/login`. */
  loginPath?: string;
  /** Body template for register and login (same placeholders as requests). */
  body?: string;
  registerBody?: string;
  /** Field of the login answer holding the token, dotted for nesting. Default `accessToken`. */
  tokenField?: string;
  /** Header and scheme used on the mix. Default `Authorization: Bearer <token>`. */
  header?: string;
  scheme?: string;
  /** How many users to log in (default: the closed model's peak VUs up to 50, else 10). */
  users?: number;
}

/** `p95<500`, `p99<=800ms`, `error_rate<1%`, `rate>=100`, or an object to set abortOnFail. */
export type ThresholdInput = string | { threshold: string; abortOnFail?: boolean };

export interface LoadTestInput {
  name?: string;
  /** `http://127.0.0.1:8080` (a path prefix is allowed). Only http. */
  target: string;
  model: ClosedModelInput | OpenModelInput;
  /** Default: one `GET /`. */
  requests?: RequestInput[];
  login?: LoginInput | boolean;
  /** Connection pool bound for the whole run (split between workers). */
  connections?: number;
  /** Per request, from its (scheduled) start. Default 10 s. */
  timeout?: DurationInput;
  /** After the last stage, how long in-flight requests may finish. Default min(timeout, 10 s). */
  gracefulStop?: DurationInput;
  thresholds?: ThresholdInput[];
  /** Default for thresholds given as plain strings. */
  abortOnFail?: boolean;
  /** Abort-on-fail is not acted on before this much of the run has passed (default 0). */
  abortDelay?: DurationInput;
  /** Hard cap on the whole run (default: stages + gracefulStop + 30 s; never above 24 h). */
  maxDuration?: DurationInput;
  /** Hard cap on requests sent (default 50 million). */
  maxRequests?: number;
  /** Worker threads sending load (default 1). */
  workers?: number;
  /** Answers with this status or above count as failed (default 400). */
  failStatusFrom?: number;
}

// ---------------------------------------------------------------------------------------------
// Normalized definition (stored in reports).
// ---------------------------------------------------------------------------------------------

export interface Stage {
  durationMs: number;
  target: number;
}

export interface ClosedModel {
  kind: 'closed';
  startVUs: number;
  stages: Stage[];
  thinkTimeMs: { min: number; max: number };
}

export interface OpenModel {
  kind: 'open';
  startRate: number;
  stages: Stage[];
  maxInFlight: number;
}

export type LoadModel = ClosedModel | OpenModel;

export interface RequestSpec {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  weight: number;
}

export interface LoginFlow {
  registerPath: string | null;
  loginPath: string;
  body: string;
  registerBody: string;
  tokenField: string;
  header: string;
  scheme: string;
  users: number;
}

export type ThresholdMetric =
  | 'p50' | 'p90' | 'p95' | 'p99' | 'p99.9' | 'max' | 'min' | 'avg'
  | 'error_rate' | 'drop_rate' | 'rate';
export type ThresholdOp = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** As written, e.g. `p95<500`. */
  expr: string;
  metric: ThresholdMetric;
  op: ThresholdOp;
  /** Milliseconds for latency metrics, a fraction (0.01 = 1 %) for rates of errors/drops, req/s for `rate`. */
  value: number;
  abortOnFail: boolean;
}

export interface LoadTestDefinition {
  name: string;
  target: string;
  model: LoadModel;
  requests: RequestSpec[];
  login: LoginFlow | null;
  connections: number;
  timeoutMs: number;
  gracefulStopMs: number;
  thresholds: Threshold[];
  abortDelayMs: number;
  maxDurationMs: number;
  maxRequests: number;
  workers: number;
  failStatusFrom: number;
}

// ---------------------------------------------------------------------------------------------
// Results.
// ---------------------------------------------------------------------------------------------

/** Milliseconds; null when nothing was measured. */
export interface LatencySummary {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export type ErrorKind = 'timeout' | 'refused' | 'reset' | 'other';
export type ErrorCounts = Record<ErrorKind, number>;

export interface ThresholdVerdict {
  expr: string;
  metric: ThresholdMetric;
  op: ThresholdOp;
  value: number;
  /** The measured figure (same unit as value), null when not measurable yet. */
  actual: number | null;
  /** `pending`: not decidable live (e.g. `rate` is judged at the end). */
  status: 'pass' | 'fail' | 'pending';
  abortOnFail: boolean;
}

/** One second of the run (by completion time), emitted live and kept in the report's series. */
export interface SecondSnapshot {
  runId: string;
  /** Second index since the start: this covers [t, t+1). */
  t: number;
  /** Answers received this second (= the achieved rate, per second). */
  requests: number;
  /** Requests written to a socket this second. */
  sent: number;
  /** Open model: requests due this second that could not be sent (maxInFlight reached). */
  dropped: number;
  /** Failed requests this second: transport errors + answers >= failStatusFrom. */
  failed: number;
  errors: ErrorCounts;
  /** `2xx`… counts of answers. */
  statusClasses: Record<string, number>;
  latency: LatencySummary;
  /** Closed model: running VUs; open model: requests in flight or waiting (end of the second). */
  active: number;
  /** Closed: the stages' VU target; open: the scheduled arrival rate. */
  target: number;
  /** Whole run so far. */
  cumulative: { requests: number; failed: number; errorRate: number; p95: number | null; p99: number | null };
  thresholds: ThresholdVerdict[];
}

export type RunState = 'starting' | 'running' | 'completed' | 'aborted' | 'stopped' | 'capped' | 'failed';

export interface RunTotals {
  /** Answers received. */
  requests: number;
  /** Requests written. */
  sent: number;
  /** Answers below failStatusFrom. */
  ok: number;
  /** Transport errors + answers >= failStatusFrom. */
  failed: number;
  errorRate: number;
  dropped: number;
  dropRate: number;
  /** In flight when the run ended and cut off (not counted as failed). */
  interrupted: number;
  /** Answers per second over the measured duration. */
  rate: number;
  durationS: number;
  statusClasses: Record<string, number>;
  statuses: Record<string, number>;
  errors: ErrorCounts;
  /**
   * Open model: how closely requests left on their schedule (generator health). Lag = write time
   * minus scheduled time; `latePct` = requests written more than 1 ms late, in % of those sent.
   */
  schedule: { lateOver1ms: number; latePct: number; meanLagMs: number; maxLagMs: number } | null;
  /** Login flow: users logged in / failed. */
  login: { users: number; failed: number } | null;
}

export interface LoadTestReport {
  kind: 'scaledeck.loadtest-report';
  version: 1;
  id: string;
  name: string;
  /** The cluster whose balancer was the target (absent for a plain URL). */
  cluster?: string | null;
  target: string;
  /** Stated explicitly: which load model produced these numbers, and what that means. */
  model: 'open' | 'closed';
  modelDescription: string;
  state: RunState;
  endReason: string;
  startedAt: string;
  endedAt: string;
  definition: LoadTestDefinition;
  totals: RunTotals;
  latency: LatencySummary;
  thresholds: ThresholdVerdict[];
  /** True when every threshold passed (true when there are none). */
  pass: boolean;
  series: SecondSnapshot[];
  engine: { workers: number; node: string };
}

/** What listReports gives: enough for a table of runs. */
export interface ReportSummary {
  id: string;
  name: string;
  cluster: string | null;
  target: string;
  model: 'open' | 'closed';
  state: RunState;
  pass: boolean;
  startedAt: string;
  durationS: number;
  requests: number;
  rate: number;
  errorRate: number;
  p95: number | null;
  p99: number | null;
}

export interface FigureDelta {
  a: number | null;
  b: number | null;
  /** b - a */
  delta: number | null;
  /** (b - a) / a in percent, null when a is 0 or missing. */
  deltaPct: number | null;
  /** Whether b is better than a for this figure (null when equal or unknown). */
  better: boolean | null;
}

export interface ReportComparison {
  a: ReportSummary;
  b: ReportSummary;
  sameModel: boolean;
  figures: Record<'rate' | 'requests' | 'errorRate' | 'dropRate' | 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max' | 'mean', FigureDelta>;
}

/** A run in progress, as `loadtests.list` and `loadtests.get` show it. */
export interface LiveStatus extends Pick<ReportSummary, 'id' | 'name' | 'cluster' | 'target' | 'model' | 'state'> {
  startedAt: string | null;
  elapsedS: number;
  /** The stages' planned duration (a report's durationS is the measured one). */
  durationS: number;
  latest: SecondSnapshot | null;
  thresholds: ThresholdVerdict[];
  totals: { requests: number; failed: number; dropped: number };
}

export type LiveRun = LiveStatus & { series: SecondSnapshot[] };
