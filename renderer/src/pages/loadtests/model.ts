import { normalizeDefinition } from '../../../../shared/loadtest/parse.ts';
import type { LoadTestDefinition, LoadTestInput, SecondSnapshot } from '../../../../shared/loadtest/types.ts';
import type { LiveMetrics, LiveSeries } from '../../data/metrics/live.ts';

/**
 * The load test form's state and what it becomes: a LoadTestInput checked by the same
 * normalizeDefinition the engine runs, so every error the form shows is the one the server
 * would give, with the field it names.
 */

export interface RequestRow {
  id: number;
  method: string;
  path: string;
  weight: string;
  body: string;
}

export interface ThresholdRow {
  id: number;
  expr: string;
  abort: boolean;
}

export interface LoadTestForm {
  name: string;
  model: 'open' | 'closed';
  /** constant: one rate (or VU count) for a duration; stages: ramps `30s:50,1m:50,30s:0`. */
  shape: 'constant' | 'stages';
  /** Open model: requests/s; closed model: virtual users. */
  level: string;
  duration: string;
  stages: string;
  thinkTime: string;
  maxInFlight: string;
  connections: string;
  timeout: string;
  login: boolean;
  requests: RequestRow[];
  thresholds: ThresholdRow[];
}

let nextId = 1;
export const newRequest = (r: Partial<RequestRow> = {}): RequestRow => ({ id: nextId++, method: 'GET', path: '/', weight: '1', body: '', ...r });
export const newThreshold = (expr = '', abort = false): ThresholdRow => ({ id: nextId++, expr, abort });

export interface Preset {
  id: string;
  title: string;
  line: string;
  form: () => LoadTestForm;
}

const base = (): LoadTestForm => ({
  name: '',
  model: 'open',
  shape: 'constant',
  level: '50',
  duration: '30s',
  stages: '10s:20,20s:100,10s:0',
  thinkTime: '0',
  maxInFlight: '',
  connections: '',
  timeout: '10s',
  login: false,
  requests: [newRequest()],
  thresholds: [newThreshold('p95<500'), newThreshold('error_rate<1%')],
});

/** Starting points that teach the two models; every field stays editable. */
export const PRESETS: Preset[] = [
  { id: 'steady', title: 'Steady rate', line: '50 requests/s for 30 s, open model: latency from the schedule.', form: base },
  {
    id: 'ramp',
    title: 'Ramp up',
    line: 'Arrival rate climbs 20 → 100 req/s and back: find where p95 bends.',
    form: () => ({ ...base(), shape: 'stages', stages: '10s:20,20s:100,10s:0' }),
  },
  {
    id: 'users',
    title: 'Virtual users',
    line: '20 users, 100 ms think time, closed model: throughput follows the server.',
    form: () => ({ ...base(), model: 'closed', level: '20', thinkTime: '100ms' }),
  },
  {
    id: 'login',
    title: 'Log in, then order',
    line: 'Registers and logs in users, then reads and writes with their JWTs.',
    form: () => ({
      ...base(),
      level: '30',
      login: true,
      requests: [
        newRequest({ method: 'GET', path: '/', weight: '3' }),
        newRequest({ method: 'POST', path: '/api/orders', weight: '1', body: '{"product":"widget-{{rand}}","quantity":1,"unit_price_cents":250}' }),
      ],
    }),
  },
];

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

/** The form as the API's LoadTestInput (the target is filled in by the server: the cluster's balancer). */
export function toInput(f: LoadTestForm, target = 'http://127.0.0.1'): LoadTestInput {
  const level = Number(f.level);
  const model: LoadTestInput['model'] =
    f.model === 'open'
      ? f.shape === 'constant'
        ? { kind: 'open', rate: level, duration: f.duration.trim(), maxInFlight: num(f.maxInFlight) }
        : { kind: 'open', stages: f.stages.trim(), maxInFlight: num(f.maxInFlight) }
      : f.shape === 'constant'
        ? { kind: 'closed', vus: level, duration: f.duration.trim(), thinkTime: f.thinkTime.trim() || 0 }
        : { kind: 'closed', stages: f.stages.trim(), thinkTime: f.thinkTime.trim() || 0 };
  return {
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    target,
    model,
    requests: f.requests.map((r) => ({
      method: r.method,
      path: r.path.trim() || '/',
      weight: num(r.weight) ?? 1,
      ...(r.body.trim() ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}),
    })),
    login: f.login,
    thresholds: f.thresholds.filter((t) => t.expr.trim()).map((t) => ({ threshold: t.expr.trim(), abortOnFail: t.abort })),
    ...(num(f.connections) !== undefined ? { connections: num(f.connections) } : {}),
    timeout: f.timeout.trim() || '10s',
  };
}

export type FormCheck = { ok: true; definition: LoadTestDefinition } | { ok: false; path: string; message: string };

/** Check the form with the engine's own validation; errors carry the field path (`thresholds[1]`…). */
export function checkForm(f: LoadTestForm): FormCheck {
  if (f.shape === 'constant' && !(Number(f.level) > 0 && Number.isFinite(Number(f.level)))) {
    return { ok: false, path: 'level', message: f.model === 'open' ? 'the rate must be a number of requests/s above 0' : 'the number of virtual users must be above 0' };
  }
  try {
    return { ok: true, definition: normalizeDefinition(toInput(f)) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /^([\w.[\]]+): (.*)$/s.exec(msg);
    const hint = (err as { hint?: string }).hint;
    return { ok: false, path: m?.[1] ?? '', message: `${m?.[2] ?? msg}${hint ? ` (${hint})` : ''}` };
  }
}

/** Which form field an error path belongs to. */
export function fieldOf(path: string): string {
  if (path.startsWith('thresholds')) return path.replace(/^thresholds\[(\d+)\].*$/, 'threshold-$1');
  if (path.startsWith('requests')) return path.replace(/^requests\[(\d+)\].*$/, 'request-$1');
  if (/stages/.test(path)) return 'stages';
  if (/duration/.test(path)) return 'duration';
  if (/thinkTime/.test(path)) return 'thinkTime';
  if (/maxInFlight/.test(path)) return 'maxInFlight';
  if (/rate|vus|level/.test(path)) return 'level';
  return path;
}

/** A short line for what the run will do. */
export function describe(d: LoadTestDefinition): string {
  const m = d.model;
  const start = m.kind === 'open' ? m.startRate : m.startVUs;
  const secs = m.stages.reduce((a, s) => a + s.durationMs, 0) / 1000;
  const peak = Math.max(start, ...m.stages.map((s) => s.target));
  let total = '';
  if (m.kind === 'open') {
    // Each stage ramps linearly from the previous target: its requests are the trapezoid's area.
    let from = start;
    let n = 0;
    for (const s of m.stages) {
      n += ((from + s.target) / 2) * (s.durationMs / 1000);
      from = s.target;
    }
    total = ` (about ${Math.round(n).toLocaleString()} requests)`;
  }
  const what = m.kind === 'open' ? `up to ${peak} requests/s` : `up to ${peak} virtual users`;
  const mix = `${d.requests.length} request${d.requests.length === 1 ? '' : 's'} in the mix`;
  return `${what} for ${secs} s${total}, ${mix}${d.login ? `, ${d.login.users} logged-in users` : ''}.`;
}

/**
 * A run's per-second snapshots as the metrics store the charts already draw (MetricChart), so a
 * load test's charts look and behave like the cluster's. Second t covers [t, t+1): plotted at its end.
 */
export function runToMetrics(series: SecondSnapshot[], startedAt: number | null, plannedS = 0, version = series.length): LiveMetrics {
  const map = new Map<string, LiveSeries>();
  const put = (key: string, t: number, v: number | null) => {
    if (v === null || !Number.isFinite(v)) return;
    let s = map.get(key);
    if (!s) map.set(key, (s = { t: [], v: [] }));
    s.t.push(t);
    s.v.push(v);
  };
  const t0 = startedAt ?? Date.now() - series.length * 1000;
  for (const s of series) {
    const t = t0 + (s.t + 1) * 1000;
    put('run:rate', t, s.requests);
    put('run:target', t, s.target);
    put('run:active', t, s.active);
    put('run:p50', t, s.latency.p50);
    put('run:p95', t, s.latency.p95);
    put('run:p99', t, s.latency.p99);
    put('run:failed', t, s.failed);
    put('run:dropped', t, s.dropped);
    put('run:error_pct', t, s.requests + s.dropped > 0 ? ((s.failed + s.dropped) / (s.requests + s.dropped)) * 100 : 0);
  }
  const last = series.length ? t0 + (series[series.length - 1]!.t + 1) * 1000 : t0;
  return {
    status: 'live',
    error: null,
    version,
    // The axis ends where the run is planned to end, so a live run fills it from the left.
    at: Math.max(last, t0 + plannedS * 1000),
    seq: series.length,
    intervalMs: 1000,
    series: map,
    sources: new Map(),
    services: [],
    active: [],
    recent: [],
  };
}

/** The chart window for a run: the whole run as planned (or as long as it went). */
export function runWindowMs(series: SecondSnapshot[], plannedS = 0): number {
  const seen = series.length ? series[series.length - 1]!.t + 1 : 0;
  return Math.max(1, seen, plannedS) * 1000;
}

/** Two runs to compare, older first (A is the baseline, B the change). */
export function comparePair(ids: string[], startedAt: (id: string) => string | undefined): [string, string] | null {
  if (ids.length !== 2) return null;
  const [x, y] = ids as [string, string];
  return (startedAt(x) ?? '') <= (startedAt(y) ?? '') ? [x, y] : [y, x];
}
