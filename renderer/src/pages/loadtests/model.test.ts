import { describe as suite, expect, it } from 'vitest';
import type { SecondSnapshot } from '../../../../shared/loadtest/types.ts';
import { checkForm, comparePair, describe, fieldOf, PRESETS, runToMetrics, runWindowMs, toInput, type LoadTestForm } from './model.ts';

const form = (patch: Partial<LoadTestForm> = {}): LoadTestForm => ({ ...PRESETS[0]!.form(), ...patch });

suite('load test form', () => {
  it('turns the steady preset into an open-model input the engine accepts', () => {
    const r = checkForm(form());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.definition.model).toMatchObject({ kind: 'open', stages: [{ durationMs: 30_000, target: 50 }] });
    expect(r.definition.thresholds.map((t) => t.expr)).toEqual(['p95<500', 'error_rate<1%']);
    expect(describe(r.definition)).toBe('up to 50 requests/s for 30 s (about 1,500 requests), 1 request in the mix.');
  });

  it('every preset is valid as given', () => {
    for (const p of PRESETS) expect(checkForm(p.form()), p.id).toMatchObject({ ok: true });
  });

  it('names the field of a bad threshold, duration, stage or rate', () => {
    const bad = (f: LoadTestForm) => {
      const r = checkForm(f);
      if (r.ok) throw new Error('expected an error');
      return { field: fieldOf(r.path), message: r.message };
    };
    expect(bad(form({ thresholds: [{ id: 1, expr: 'p95<fast', abort: false }] }))).toMatchObject({ field: 'threshold-0', message: expect.stringContaining('not a threshold') });
    expect(bad(form({ duration: 'forever' })).field).toBe('duration');
    expect(bad(form({ shape: 'stages', stages: '10s-20' })).field).toBe('stages');
    expect(bad(form({ level: '0' })).field).toBe('level');
    expect(bad(form({ model: 'closed', thinkTime: 'soon' })).field).toBe('thinkTime');
  });

  it('closed model with stages, a body and login', () => {
    const input = toInput(form({ model: 'closed', shape: 'stages', stages: '5s:10,5s:0', thinkTime: '100ms', login: true, requests: [{ id: 1, method: 'POST', path: '/api/orders', weight: '2', body: '{"n":1}' }] }), 'http://127.0.0.1:9');
    expect(input.model).toEqual({ kind: 'closed', stages: '5s:10,5s:0', thinkTime: '100ms' });
    expect(input.requests).toEqual([{ method: 'POST', path: '/api/orders', weight: 2, body: '{"n":1}', headers: { 'content-type': 'application/json' } }]);
    expect(input.login).toBe(true);
    expect(input.target).toBe('http://127.0.0.1:9');
  });
});

function snap(t: number, requests: number, p95: number | null, failed = 0): SecondSnapshot {
  return {
    runId: 'r',
    t,
    requests,
    sent: requests,
    dropped: 0,
    failed,
    errors: { timeout: 0, refused: 0, reset: 0, other: 0 },
    statusClasses: {},
    latency: { count: requests, min: null, mean: null, p50: null, p90: null, p95, p99: null, p999: null, max: null },
    active: 3,
    target: 40,
    cumulative: { requests: 0, failed: 0, errorRate: 0, p95: null, p99: null },
    thresholds: [],
  };
}

suite('run charts', () => {
  it('plots each second at its end, skips missing figures, and ends the axis at the planned end', () => {
    const m = runToMetrics([snap(0, 40, 5), snap(1, 38, null, 2)], 1_000_000, 6);
    expect(m.series.get('run:rate')).toEqual({ t: [1_001_000, 1_002_000], v: [40, 38] });
    expect(m.series.get('run:p95')).toEqual({ t: [1_001_000], v: [5] });
    expect(m.series.get('run:error_pct')!.v[1]).toBeCloseTo((2 / 38) * 100);
    expect(m.at).toBe(1_006_000);
    expect(runWindowMs([snap(0, 1, 1)], 6)).toBe(6_000);
    expect(runWindowMs([snap(0, 1, 1), snap(30, 1, 1)], 6)).toBe(31_000);
  });

  it('compares older (A) with newer (B) whatever order they were ticked in', () => {
    const at: Record<string, string> = { x: '2026-01-02T00:00:00Z', y: '2026-01-01T00:00:00Z' };
    expect(comparePair(['x', 'y'], (id) => at[id])).toEqual(['y', 'x']);
    expect(comparePair(['x'], (id) => at[id])).toBeNull();
  });
});
