import { describe, expect, it } from 'vitest';
import { AlertEngine, DEFAULT_RULES, matchSeries, RuleValidationError, validateRules } from './alerts.ts';
import type { AlertRule, Point } from './types.ts';

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'cpu',
  name: 'CPU over 85%',
  series: '*:cpu_pct',
  op: '>',
  threshold: 85,
  forS: 5,
  clearAfterS: 3,
  severity: 'warning',
  enabled: true,
  ...over,
});

/** Drive the engine with one value per second for a key. */
function run(engine: AlertEngine, values: (number | null)[], key = 'api-1:cpu_pct', start = 0) {
  const points = new Map<string, Point>();
  const out = [];
  for (let i = 0; i < values.length; i++) {
    const now = start + i * 1000;
    const v = values[i];
    if (v !== null && v !== undefined) points.set(key, [now, v]);
    out.push(...engine.evaluate(now, points.keys(), (k) => points.get(k)).map((e) => ({ ...e, i })));
  }
  return out;
}

describe('AlertEngine state machine', () => {
  it('fires only after the condition held for `forS`, and clears after `clearAfterS` of false', () => {
    const e = new AlertEngine([rule()]);
    const ev = run(e, [50, 90, 90, 90, 90, 90, 95, 90, 40, 40, 40, 40]);
    expect(ev.map((x) => [x.kind, x.i, x.value])).toEqual([
      ['fired', 6, 95], // first true at i=1, held 5 s → i=6
      ['cleared', 11, 40], // first false at i=8, 3 s later → i=11
    ]);
    expect(ev[1]!.firedAt).toBe(6000);
    expect(e.active()).toEqual([]);
    expect(e.recent().map((x) => x.kind)).toEqual(['fired', 'cleared']);
  });

  it('a dip below threshold while pending restarts the `for` clock', () => {
    const e = new AlertEngine([rule({ forS: 3 })]);
    const ev = run(e, [90, 90, 50, 90, 90, 90, 90]);
    expect(ev.map((x) => [x.kind, x.i])).toEqual([['fired', 6]]);
  });

  it('a brief recovery shorter than clearAfter keeps it firing', () => {
    const e = new AlertEngine([rule({ forS: 0, clearAfterS: 3 })]);
    const ev = run(e, [90, 50, 50, 90, 50, 50, 50, 50]);
    expect(ev.map((x) => [x.kind, x.i])).toEqual([
      ['fired', 0],
      ['cleared', 7], // false again from i=4; 3 s later
    ]);
  });

  it('no fresh data counts as false (clears), and active alerts show the latest value', () => {
    const e = new AlertEngine([rule({ forS: 0, clearAfterS: 2 })], { staleMs: 1500 });
    const ev = run(e, [99, 98, null, null, null, null, null]);
    expect(e.active()).toEqual([]);
    expect(ev.map((x) => [x.kind, x.i, x.value])).toEqual([
      ['fired', 0, 99],
      ['cleared', 5, null], // stale from i=3 (1500 ms after the last point at i=1), 2 s later
    ]);
    const e2 = new AlertEngine([rule({ forS: 0 })]);
    run(e2, [99, 97]);
    expect(e2.active()).toMatchObject([{ series: 'api-1:cpu_pct', value: 99, lastValue: 97, firedAt: 0 }]);
  });

  it('evaluates each matching series on its own', () => {
    const e = new AlertEngine([rule({ forS: 0 })]);
    const pts = new Map<string, Point>([
      ['api-1:cpu_pct', [0, 95]],
      ['api-2:cpu_pct', [0, 10]],
      ['redis:cpu_pct', [0, 99]],
      ['cluster:cpu_total_pct', [0, 500]],
    ]);
    const ev = e.evaluate(0, pts.keys(), (k) => pts.get(k));
    expect(ev.map((x) => x.series).sort()).toEqual(['api-1:cpu_pct', 'redis:cpu_pct']);
  });

  it('supports < and <=, and disabled rules never fire', () => {
    const e = new AlertEngine([rule({ id: 'low', series: 'cluster:nodes_up', op: '<', threshold: 1, forS: 0 }), rule({ id: 'off', enabled: false, forS: 0 })]);
    const pts = new Map<string, Point>([
      ['cluster:nodes_up', [0, 0]],
      ['api-1:cpu_pct', [0, 100]],
    ]);
    expect(e.evaluate(0, pts.keys(), (k) => pts.get(k)).map((x) => x.ruleId)).toEqual(['low']);
  });

  it('changing or removing a rule clears its active alerts', () => {
    const e = new AlertEngine([rule({ forS: 0 })]);
    run(e, [99]);
    expect(e.active()).toHaveLength(1);
    const ev = e.setRules([rule({ forS: 0, threshold: 99.5 })], 5000);
    expect(ev).toMatchObject([{ kind: 'cleared', ruleId: 'cpu', at: 5000 }]);
    expect(e.active()).toHaveLength(0);
    expect(e.setRules([rule({ forS: 0, threshold: 99.5 })])).toEqual([]);
  });
});

describe('rules', () => {
  it('defaults cover latency, errors, CPU, memory, DB connections and replica lag', () => {
    expect(DEFAULT_RULES.map((r) => r.series)).toEqual(['cluster:p95_ms', 'cluster:error_pct', '*:cpu_pct', '*:mem_pct', 'postgres*:conn_pct', 'postgres*:repl_lag_s']);
    expect(validateRules(JSON.parse(JSON.stringify(DEFAULT_RULES)))).toEqual(DEFAULT_RULES);
  });
  it('fills defaults for optional fields', () => {
    expect(validateRules([{ id: 'x', series: 'api-1:p95_ms', op: '>=', threshold: 100, forS: 2 }])).toEqual([
      { id: 'x', name: 'x', series: 'api-1:p95_ms', op: '>=', threshold: 100, forS: 2, clearAfterS: 2, severity: 'warning', enabled: true },
    ]);
  });
  it('reports every problem with its path', () => {
    try {
      validateRules([{ id: 'a', series: 'no colon', op: '=>', threshold: 'high', forS: -1, extra: 1 }, 'x', { ...DEFAULT_RULES[0], id: 'a' }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RuleValidationError);
      const errors = (err as RuleValidationError).errors;
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^rules\/0\/extra: unknown field/),
          expect.stringMatching(/^rules\/0\/series: /),
          expect.stringMatching(/^rules\/0\/op: must be one of/),
          expect.stringMatching(/^rules\/0\/threshold: must be a number/),
          expect.stringMatching(/^rules\/0\/forS: /),
          'rules/1: must be an object',
          'rules/2/id: duplicate id a',
        ]),
      );
    }
    expect(() => validateRules({})).toThrow(/must be a list/);
  });
  it('glob matching', () => {
    expect(matchSeries('*:cpu_pct', 'api-1:cpu_pct')).toBe(true);
    expect(matchSeries('*:cpu_pct', 'cluster:cpu_total_pct')).toBe(false);
    expect(matchSeries('postgres*:conn_pct', 'postgres-replica-1:conn_pct')).toBe(true);
    expect(matchSeries('cluster:p95_ms', 'cluster:p95_ms')).toBe(true);
    expect(matchSeries('api-1:p95_ms', 'api-11:p95_ms')).toBe(false);
    expect(matchSeries('a.b:*', 'axb:c')).toBe(false);
  });
});
