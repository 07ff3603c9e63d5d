import type { ActiveAlert, AlertEvent, AlertRule, Comparator, Point, SeriesKey } from './types.ts';

/** Replica lag bound of the default rule, in seconds. */
export const DEFAULT_REPLICA_LAG_S = 10;

/** The default rules every cluster starts with (editable per cluster). */
export const DEFAULT_RULES: AlertRule[] = [
  { id: 'p95-latency', name: 'p95 latency over 500 ms', series: 'cluster:p95_ms', op: '>', threshold: 500, forS: 5, clearAfterS: 10, severity: 'warning', enabled: true },
  { id: 'error-rate', name: 'Error rate (5xx) over 1%', series: 'cluster:error_pct', op: '>', threshold: 1, forS: 5, clearAfterS: 10, severity: 'critical', enabled: true },
  { id: 'cpu', name: 'CPU over 85%', series: '*:cpu_pct', op: '>', threshold: 85, forS: 5, clearAfterS: 10, severity: 'warning', enabled: true },
  { id: 'memory', name: 'Memory over 90% of limit', series: '*:mem_pct', op: '>', threshold: 90, forS: 5, clearAfterS: 10, severity: 'warning', enabled: true },
  { id: 'db-connections', name: 'Database connections over 95% of max', series: 'postgres*:conn_pct', op: '>', threshold: 95, forS: 5, clearAfterS: 10, severity: 'critical', enabled: true },
  {
    id: 'replica-lag',
    name: `Replica lag over ${DEFAULT_REPLICA_LAG_S} s`,
    series: 'postgres*:repl_lag_s',
    op: '>',
    threshold: DEFAULT_REPLICA_LAG_S,
    forS: 5,
    clearAfterS: 10,
    severity: 'warning',
    enabled: true,
  },
];

export class RuleValidationError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid alert rules: ${errors.join('; ')}`);
    this.name = 'RuleValidationError';
  }
}

const OPS: Comparator[] = ['>', '>=', '<', '<='];

/**
 * Check rules given as plain JSON; errors name their path (`rules/2/threshold: must be a number`).
 * Missing optional fields take defaults: name = id, forS 5, clearAfterS = forS, severity warning,
 * enabled true.
 */
export function validateRules(input: unknown): AlertRule[] {
  const errors: string[] = [];
  if (!Array.isArray(input)) throw new RuleValidationError(['rules: must be a list of rules']);
  const ids = new Set<string>();
  const out: AlertRule[] = [];
  input.forEach((raw, i) => {
    const at = (f: string) => `rules/${i}/${f}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      errors.push(`rules/${i}: must be an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    const known = new Set(['id', 'name', 'series', 'op', 'threshold', 'forS', 'clearAfterS', 'severity', 'enabled']);
    for (const k of Object.keys(r)) if (!known.has(k)) errors.push(`${at(k)}: unknown field (expected one of ${[...known].join(', ')})`);
    const before = errors.length;
    if (typeof r.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(r.id)) errors.push(`${at('id')}: must be a name of letters, digits, . _ -`);
    else if (ids.has(r.id)) errors.push(`${at('id')}: duplicate id ${r.id}`);
    else ids.add(r.id);
    if (r.name !== undefined && typeof r.name !== 'string') errors.push(`${at('name')}: must be a string`);
    if (typeof r.series !== 'string' || !/^[A-Za-z0-9_*.-]+:[A-Za-z0-9_*]+$/.test(r.series)) {
      errors.push(`${at('series')}: must be a series key or pattern such as cluster:p95_ms or *:cpu_pct`);
    }
    if (!OPS.includes(r.op as Comparator)) errors.push(`${at('op')}: must be one of ${OPS.join(' ')}`);
    if (typeof r.threshold !== 'number' || !Number.isFinite(r.threshold)) errors.push(`${at('threshold')}: must be a number`);
    for (const f of ['forS', 'clearAfterS'] as const) {
      const v = r[f];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 86_400)) errors.push(`${at(f)}: must be a number of seconds (0 to 86400)`);
    }
    if (r.severity !== undefined && r.severity !== 'warning' && r.severity !== 'critical') errors.push(`${at('severity')}: must be warning or critical`);
    if (r.enabled !== undefined && typeof r.enabled !== 'boolean') errors.push(`${at('enabled')}: must be true or false`);
    if (errors.length > before) return;
    const forS = (r.forS as number | undefined) ?? 5;
    out.push({
      id: r.id as string,
      name: (r.name as string | undefined) ?? (r.id as string),
      series: r.series as string,
      op: r.op as Comparator,
      threshold: r.threshold as number,
      forS,
      clearAfterS: (r.clearAfterS as number | undefined) ?? forS,
      severity: (r.severity as AlertRule['severity'] | undefined) ?? 'warning',
      enabled: (r.enabled as boolean | undefined) ?? true,
    });
  });
  if (errors.length) throw new RuleValidationError(errors);
  return out;
}

export function compare(op: Comparator, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

const globCache = new Map<string, RegExp>();
export function matchSeries(pattern: string, key: SeriesKey): boolean {
  if (!pattern.includes('*')) return pattern === key;
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    globCache.set(pattern, re);
  }
  return re.test(key);
}

interface RuleState {
  rule: AlertRule;
  series: SeriesKey;
  pendingSince: number | null;
  falseSince: number | null;
  firing: ActiveAlert | null;
}

/**
 * The alert state machine, per (rule, matching series):
 *   inactive --cond--> pending --cond held forS--> firing --cond false (or no fresh data) for
 *   clearAfterS--> inactive. pending --cond false--> inactive. firing --cond again--> firing.
 * A series without a point newer than `staleMs` counts as "condition false" (no data clears).
 */
export class AlertEngine {
  private rules: AlertRule[];
  private readonly states = new Map<string, RuleState>();
  private readonly recentEvents: AlertEvent[] = [];

  constructor(
    rules: AlertRule[] = DEFAULT_RULES,
    private readonly opts: { staleMs?: number; recentLimit?: number } = {},
  ) {
    this.rules = rules.map((r) => ({ ...r }));
  }

  getRules(): AlertRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Replace the rules. Alerts of rules that were removed, disabled or changed are cleared. */
  setRules(rules: AlertRule[], now = Date.now()): AlertEvent[] {
    const next = new Map(rules.map((r) => [r.id, r]));
    const events: AlertEvent[] = [];
    for (const [id, st] of this.states) {
      const nr = next.get(st.rule.id);
      if (nr && JSON.stringify(nr) === JSON.stringify(st.rule)) continue;
      if (st.firing) events.push(this.clearEvent(st, now, null));
      this.states.delete(id);
    }
    this.rules = rules.map((r) => ({ ...r }));
    this.record(events);
    return events;
  }

  /** Evaluate every rule against the latest points; returns fired/cleared events. */
  evaluate(now: number, keys: Iterable<SeriesKey>, latest: (key: SeriesKey) => Point | undefined): AlertEvent[] {
    const staleMs = this.opts.staleMs ?? 5000;
    const events: AlertEvent[] = [];
    const keyList = [...keys];
    const seen = new Set<string>();
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      for (const key of keyList) {
        if (!matchSeries(rule.series, key)) continue;
        const id = `${rule.id}|${key}`;
        seen.add(id);
        let st = this.states.get(id);
        if (!st) {
          st = { rule, series: key, pendingSince: null, falseSince: null, firing: null };
          this.states.set(id, st);
        }
        const p = latest(key);
        const fresh = p !== undefined && now - p[0] <= staleMs ? p[1] : null;
        this.step(st, now, fresh, events);
      }
    }
    // Series that disappeared entirely: no data.
    for (const [id, st] of this.states) {
      if (seen.has(id)) continue;
      this.step(st, now, null, events);
      if (!st.firing && st.pendingSince === null) this.states.delete(id);
    }
    this.record(events);
    return events;
  }

  private step(st: RuleState, now: number, value: number | null, events: AlertEvent[]): void {
    const { rule } = st;
    const cond = value !== null && compare(rule.op, value, rule.threshold);
    if (cond) {
      st.falseSince = null;
      if (st.firing) {
        st.firing.lastValue = value;
        return;
      }
      st.pendingSince ??= now;
      if (now - st.pendingSince >= rule.forS * 1000) {
        st.firing = {
          ruleId: rule.id,
          ruleName: rule.name,
          severity: rule.severity,
          series: st.series,
          op: rule.op,
          threshold: rule.threshold,
          firedAt: now,
          value: value,
          lastValue: value,
        };
        st.pendingSince = null;
        events.push({
          kind: 'fired',
          ruleId: rule.id,
          ruleName: rule.name,
          severity: rule.severity,
          series: st.series,
          op: rule.op,
          threshold: rule.threshold,
          value,
          at: now,
        });
      }
      return;
    }
    st.pendingSince = null;
    if (!st.firing) return;
    st.firing.lastValue = value;
    st.falseSince ??= now;
    if (now - st.falseSince >= rule.clearAfterS * 1000) {
      events.push(this.clearEvent(st, now, value));
      st.firing = null;
      st.falseSince = null;
    }
  }

  private clearEvent(st: RuleState, now: number, value: number | null): AlertEvent {
    const { rule } = st;
    return {
      kind: 'cleared',
      ruleId: rule.id,
      ruleName: rule.name,
      severity: rule.severity,
      series: st.series,
      op: rule.op,
      threshold: rule.threshold,
      value,
      at: now,
      firedAt: st.firing?.firedAt,
    };
  }

  private record(events: AlertEvent[]): void {
    const limit = this.opts.recentLimit ?? 200;
    for (const e of events) this.recentEvents.push(e);
    if (this.recentEvents.length > limit) this.recentEvents.splice(0, this.recentEvents.length - limit);
  }

  active(): ActiveAlert[] {
    return [...this.states.values()].filter((s) => s.firing).map((s) => ({ ...s.firing! }));
  }

  /** Fired and cleared events, newest last. */
  recent(): AlertEvent[] {
    return [...this.recentEvents];
  }
}
