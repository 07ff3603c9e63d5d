import { ScaleDeckError } from '../api/errors.ts';
import type {
  DurationInput,
  LoadModel,
  LoadTestDefinition,
  LoadTestInput,
  LoginFlow,
  RequestSpec,
  Stage,
  StageInput,
  Threshold,
  ThresholdInput,
  ThresholdMetric,
  ThresholdOp,
} from './types.ts';

/** A definition the engine cannot run; `path` names the offending field. */
export class LoadTestDefinitionError extends ScaleDeckError {
  constructor(path: string, message: string, hint?: string) {
    super('BAD_REQUEST', `${path}: ${message}`, hint);
    this.name = 'LoadTestDefinitionError';
  }
}

/** A target outside the allowed set (loopback, the caller's allow-list) without allowExternal. */
export class LoadTestTargetError extends ScaleDeckError {
  constructor(message: string, hint?: string) {
    super('BAD_REQUEST', message, hint);
    this.name = 'LoadTestTargetError';
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_RUN_MS = 24 * 3_600_000;

/** `250ms`, `30s`, `1m`, `1m30s`, `1.5s`, `2h`; a bare number is milliseconds. */
export function parseDuration(input: DurationInput, path = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new LoadTestDefinitionError(path, `expected a duration >= 0, got ${input}`);
    return input;
  }
  const s = String(input).trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return parseDuration(Number(s), path);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (!s || matched !== s.length) {
    throw new LoadTestDefinitionError(path, `"${input}" is not a duration`, 'write e.g. 500ms, 30s, 1m, 1m30s or 2h');
  }
  return total;
}

/** `30s:50,1m:50,30s:0` → [{durationMs: 30000, target: 50}, …] (duration:target, comma separated). */
export function parseStages(input: string | StageInput[], path = 'stages'): Stage[] {
  const list: StageInput[] =
    typeof input === 'string'
      ? input
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
          .map((part, i) => {
            const m = /^([^:]+):\s*(\d+(?:\.\d+)?)$/.exec(part);
            if (!m) throw new LoadTestDefinitionError(`${path}[${i}]`, `"${part}" is not duration:target`, 'write e.g. 30s:50,1m:50,30s:0');
            return { duration: m[1]!.trim(), target: Number(m[2]) };
          })
      : input;
  if (!Array.isArray(list) || list.length === 0) throw new LoadTestDefinitionError(path, 'at least one stage is needed', 'write e.g. 30s:50,1m:50,30s:0');
  return list.map((st, i) => {
    const durationMs = parseDuration(st.duration, `${path}[${i}].duration`);
    if (typeof st.target !== 'number' || !Number.isFinite(st.target) || st.target < 0) {
      throw new LoadTestDefinitionError(`${path}[${i}].target`, `expected a number >= 0, got ${String(st.target)}`);
    }
    return { durationMs, target: st.target };
  });
}

const METRICS: Record<string, ThresholdMetric> = {
  p50: 'p50', med: 'p50', median: 'p50', p90: 'p90', p95: 'p95', p99: 'p99', 'p99.9': 'p99.9', p999: 'p99.9',
  max: 'max', min: 'min', avg: 'avg', mean: 'avg',
  error_rate: 'error_rate', errors: 'error_rate', drop_rate: 'drop_rate', dropped: 'drop_rate', rate: 'rate', rps: 'rate',
};
const LATENCY_METRICS = new Set<ThresholdMetric>(['p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'min', 'avg']);

/**
 * `p95<500` (ms), `p99<=800ms`, `p95<1.5s`, `error_rate<1%` (or `<0.01`), `drop_rate<=0.5%`,
 * `rate>=100` (answers/s over the run). Spaces are ignored.
 */
export function parseThreshold(input: ThresholdInput, defaultAbort = false, path = 'threshold'): Threshold {
  const expr = typeof input === 'string' ? input : input?.threshold;
  const abortOnFail = typeof input === 'string' ? defaultAbort : (input.abortOnFail ?? defaultAbort);
  if (typeof expr !== 'string') throw new LoadTestDefinitionError(path, 'expected a string like p95<500');
  const s = expr.replace(/\s+/g, '');
  const m = /^([a-z_]+|p\d+(?:\.\d+)?)(<=|>=|<|>)(\d+(?:\.\d+)?)(ms|s|%)?$/i.exec(s);
  const hint = "write e.g. 'p95<500', 'p99<=800ms', 'error_rate<1%', 'rate>=100'";
  if (!m) throw new LoadTestDefinitionError(path, `"${expr}" is not a threshold`, hint);
  const name = m[1]!.toLowerCase();
  const metric = METRICS[name];
  if (!metric) throw new LoadTestDefinitionError(path, `unknown metric "${m[1]}" in "${expr}"`, `metrics: p50 p90 p95 p99 p99.9 max min avg error_rate drop_rate rate`);
  const op = m[2] as ThresholdOp;
  let value = Number(m[3]);
  const unit = m[4]?.toLowerCase();
  if (LATENCY_METRICS.has(metric)) {
    if (unit === '%') throw new LoadTestDefinitionError(path, `"${expr}": a latency takes ms or s, not %`, hint);
    if (unit === 's') value *= 1000;
  } else if (metric === 'rate') {
    if (unit) throw new LoadTestDefinitionError(path, `"${expr}": rate is in requests/s, without a unit`, hint);
  } else {
    if (unit === 'ms' || unit === 's') throw new LoadTestDefinitionError(path, `"${expr}": ${metric} is a fraction or a percentage`, hint);
    if (unit === '%') value /= 100;
    else if (value > 1) throw new LoadTestDefinitionError(path, `"${expr}": ${metric} ${value} is above 1; write a percentage, e.g. ${metric}<${value}%`);
  }
  return { expr: expr.trim(), metric, op, value, abortOnFail };
}

export function isLatencyMetric(m: ThresholdMetric): boolean {
  return LATENCY_METRICS.has(m);
}

export function stagesDurationMs(stages: Stage[]): number {
  return stages.reduce((a, s) => a + s.durationMs, 0);
}

/** The stages' target (VUs or req/s) at time t (ms since start): linear ramps, `start` before the first. */
export function targetAt(start: number, stages: Stage[], tMs: number): number {
  let from = start;
  let t0 = 0;
  for (const s of stages) {
    if (tMs < t0 + s.durationMs) return s.durationMs === 0 ? s.target : from + ((s.target - from) * (tMs - t0)) / s.durationMs;
    from = s.target;
    t0 += s.durationMs;
  }
  return from;
}

function int(v: unknown, path: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new LoadTestDefinitionError(path, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(v: unknown, path: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new LoadTestDefinitionError(path, `expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

const METHOD_RE = /^[A-Z]+$/;
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function normalizeModel(input: LoadTestInput['model']): LoadModel {
  if (!input || typeof input !== 'object') throw new LoadTestDefinitionError('model', "expected { kind: 'closed' | 'open', … }");
  if (input.kind === 'closed') {
    let stages: Stage[];
    let startVUs = int(input.startVUs, 'model.startVUs', 0, 100_000, 0);
    if (input.stages !== undefined) stages = parseStages(input.stages, 'model.stages');
    else {
      const vus = int(input.vus, 'model.vus', 1, 100_000, 10);
      stages = [{ durationMs: parseDuration(input.duration ?? '30s', 'model.duration'), target: vus }];
      startVUs = vus;
    }
    if (Math.max(startVUs, ...stages.map((s) => s.target)) > 100_000) throw new LoadTestDefinitionError('model.stages', 'at most 100000 VUs');
    if (stages.some((s) => !Number.isInteger(s.target))) throw new LoadTestDefinitionError('model.stages', 'VU targets must be whole numbers');
    let think = { min: 0, max: 0 };
    const tt = input.thinkTime;
    if (tt !== undefined) {
      if (typeof tt === 'object') think = { min: parseDuration(tt.min, 'model.thinkTime.min'), max: parseDuration(tt.max, 'model.thinkTime.max') };
      else think = { min: parseDuration(tt, 'model.thinkTime'), max: parseDuration(tt, 'model.thinkTime') };
      if (think.max < think.min) throw new LoadTestDefinitionError('model.thinkTime', 'max is below min');
    }
    return { kind: 'closed', startVUs, stages, thinkTimeMs: think };
  }
  if (input.kind === 'open') {
    let stages: Stage[];
    let startRate = num(input.startRate, 'model.startRate', 0, 10_000_000, 0);
    if (input.stages !== undefined) stages = parseStages(input.stages, 'model.stages');
    else {
      if (input.rate === undefined) throw new LoadTestDefinitionError('model.rate', 'the open model needs a rate (req/s) or stages');
      const rate = num(input.rate, 'model.rate', 0.001, 10_000_000, 0);
      stages = [{ durationMs: parseDuration(input.duration ?? '30s', 'model.duration'), target: rate }];
      startRate = rate;
    }
    if (stages.some((s) => s.target > 10_000_000)) throw new LoadTestDefinitionError('model.stages', 'at most 10 000 000 req/s');
    const maxInFlight = int(input.maxInFlight, 'model.maxInFlight', 1, 1_000_000, 1000);
    return { kind: 'open', startRate, stages, maxInFlight };
  }
  throw new LoadTestDefinitionError('model.kind', `expected 'closed' or 'open', got ${JSON.stringify((input as { kind?: unknown }).kind)}`);
}

function normalizeRequests(list: LoadTestInput['requests']): RequestSpec[] {
  const input = list && list.length ? list : [{}];
  return input.map((r, i) => {
    const p = `requests[${i}]`;
    const method = (r.method ?? (r.body ? 'POST' : 'GET')).toUpperCase();
    if (!METHOD_RE.test(method)) throw new LoadTestDefinitionError(`${p}.method`, `"${r.method}" is not an HTTP method`);
    const path = r.path ?? '/';
    if (!path.startsWith('/') || /[\s]/.test(path)) throw new LoadTestDefinitionError(`${p}.path`, `"${path}" must start with / and contain no spaces`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      if (!HEADER_NAME_RE.test(k)) throw new LoadTestDefinitionError(`${p}.headers`, `"${k}" is not a header name`);
      if (/[\r\n]/.test(String(v))) throw new LoadTestDefinitionError(`${p}.headers.${k}`, 'a header value cannot contain a line break');
      const lower = k.toLowerCase();
      if (lower === 'host' || lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') {
        throw new LoadTestDefinitionError(`${p}.headers.${k}`, 'set by the engine');
      }
      headers[k] = String(v);
    }
    const weight = num(r.weight, `${p}.weight`, 0, 1_000_000, 1);
    return { name: r.name ?? `${method} ${path}`, method, path, headers, body: r.body ?? null, weight };
  });
}

const DEFAULT_LOGIN_BODY = '{"username":"lt-{{run}}-{{user}}","email":"lt-{{run}}-{{user}}@loadtest.invalid","password":"Lt-{{run}}-pw1"}';

function normalizeLogin(input: LoadTestInput['login'], model: LoadModel): LoginFlow | null {
  if (!input) return null;
  const l = input === true ? {} : input;
  const peakVUs = model.kind === 'closed' ? Math.max(model.startVUs, ...model.stages.map((s) => s.target)) : 10;
  const body = l.body ?? DEFAULT_LOGIN_BODY;
  const registerPath = l.registerPath === undefined ? '/api/register' : l.registerPath;
  const loginPath = l.loginPath ?? '/api/login';
  for (const [k, v] of [['login.registerPath', registerPath], ['login.loginPath', loginPath]] as const) {
    if (v !== null && !v.startsWith('/')) throw new LoadTestDefinitionError(k, `"${v}" must start with /`);
  }
  const header = l.header ?? 'Authorization';
  if (!HEADER_NAME_RE.test(header)) throw new LoadTestDefinitionError('login.header', `"${header}" is not a header name`);
  return {
    registerPath,
    loginPath,
    body,
    registerBody: l.registerBody ?? body,
    tokenField: l.tokenField ?? 'accessToken',
    header,
    scheme: l.scheme ?? 'Bearer',
    users: int(l.users, 'login.users', 1, 10_000, Math.max(1, Math.min(50, peakVUs))),
  };
}

/** Fill defaults and validate; every error names its field. Does not check the target's safety. */
export function normalizeDefinition(input: LoadTestInput): LoadTestDefinition {
  if (!input || typeof input !== 'object') throw new LoadTestDefinitionError('definition', 'expected an object');
  let url: URL;
  try {
    url = new URL(input.target);
  } catch {
    throw new LoadTestDefinitionError('target', `"${input.target}" is not a URL`, 'write e.g. http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:') throw new LoadTestDefinitionError('target', `only http:// targets are supported, got ${url.protocol}`);
  const model = normalizeModel(input.model);
  const timeoutMs = parseDuration(input.timeout ?? '10s', 'timeout');
  if (timeoutMs < 1) throw new LoadTestDefinitionError('timeout', 'must be at least 1ms');
  const gracefulStopMs = parseDuration(input.gracefulStop ?? Math.min(timeoutMs, 10_000), 'gracefulStop');
  const stagesMs = stagesDurationMs(model.stages);
  if (stagesMs <= 0) throw new LoadTestDefinitionError('model.stages', 'the run has no duration');
  const maxDurationMs = Math.min(MAX_RUN_MS, parseDuration(input.maxDuration ?? stagesMs + gracefulStopMs + 30_000, 'maxDuration'));
  if (stagesMs > MAX_RUN_MS) throw new LoadTestDefinitionError('model.stages', 'a run lasts at most 24 h');
  const defaultAbort = !!input.abortOnFail;
  const workers = int(input.workers, 'workers', 1, 64, 1);
  const peak = model.kind === 'closed' ? Math.max(model.startVUs, ...model.stages.map((s) => s.target)) : model.maxInFlight;
  const connections = int(input.connections, 'connections', 1, 100_000, Math.max(workers, Math.min(peak, model.kind === 'open' ? 1000 : 100_000)));
  const target = url.href.replace(/\/$/, '');
  return {
    name: input.name ?? `${model.kind} ${url.host}`,
    target,
    model,
    requests: normalizeRequests(input.requests),
    login: normalizeLogin(input.login, model),
    connections: Math.max(connections, workers),
    timeoutMs,
    gracefulStopMs,
    thresholds: (input.thresholds ?? []).map((t, i) => parseThreshold(t, defaultAbort, `thresholds[${i}]`)),
    abortDelayMs: parseDuration(input.abortDelay ?? 0, 'abortDelay'),
    maxDurationMs,
    maxRequests: int(input.maxRequests, 'maxRequests', 1, 1e12, 50_000_000),
    workers,
    failStatusFrom: int(input.failStatusFrom, 'failStatusFrom', 100, 600, 400),
  };
}

export interface TargetPolicy {
  /** Hosts or URLs (e.g. a cluster's balancer URL) allowed besides loopback. */
  allowHosts?: string[];
  /** Allow any host: the CLI asks for a flag and a confirmation first. */
  allowExternal?: boolean;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Refuse to send load anywhere but loopback or an allowed host unless allowExternal is set.
 * Returns where to connect: `localhost` becomes 127.0.0.1 (load never depends on DNS order).
 */
export function checkTarget(target: string, policy: TargetPolicy = {}): { host: string; port: number; hostHeader: string; basePath: string } {
  const url = new URL(target);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 80;
  const allowed =
    isLoopback(host) ||
    (policy.allowHosts ?? []).some((a) => {
      try {
        const u = new URL(/^[a-z]+:\/\//i.test(a) ? a : `http://${a}`);
        const aHost = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
        return aHost === host.toLowerCase() && (!u.port || Number(u.port) === port);
      } catch {
        return false;
      }
    });
  if (!allowed && !policy.allowExternal) {
    throw new LoadTestTargetError(
      `Refusing to send load to ${url.host}: by default a load test only targets 127.0.0.1/localhost or the cluster's own balancer.`,
      'to load an external address on purpose pass allowExternal: true (CLI: --allow-external, then confirm)',
    );
  }
  return {
    host: host.toLowerCase() === 'localhost' ? '127.0.0.1' : host,
    port,
    hostHeader: url.host,
    basePath: url.pathname.replace(/\/$/, ''),
  };
}
