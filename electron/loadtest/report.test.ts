import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_DESCRIPTIONS } from './engine.ts';
import { normalizeDefinition } from './parse.ts';
import { compareReports, listReports, loadReport, renderHtmlReport, saveReport } from './report.ts';
import { evaluateThresholds } from './stats.ts';
import type { LatencySummary, LoadTestReport, SecondSnapshot } from './types.ts';

const lat = (p50: number, p95: number, p99: number, count = 100): LatencySummary => ({ count, min: 0.1, mean: p50, p50, p90: p95 * 0.9, p95, p99, p999: p99 * 1.2, max: p99 * 1.5 });

function fakeReport(id: string, opts: { rate: number; p95: number; model?: 'open' | 'closed'; name?: string; startedAt?: string }): LoadTestReport {
  const model = opts.model ?? 'open';
  const def = normalizeDefinition({
    name: opts.name ?? id,
    target: 'http://127.0.0.1:8080',
    model: model === 'open' ? { kind: 'open', rate: opts.rate, duration: '5s' } : { kind: 'closed', vus: 5, duration: '5s' },
    thresholds: ['p95<500', 'rate>=100'],
  });
  const series: SecondSnapshot[] = Array.from({ length: 5 }, (_, t) => ({
    runId: id, t, requests: opts.rate, sent: opts.rate, dropped: 0, failed: t === 2 ? 3 : 0,
    errors: { timeout: 0, refused: 0, reset: 0, other: 0 }, statusClasses: { '2xx': opts.rate }, latency: lat(1, opts.p95, opts.p95 * 2),
    active: 3, target: opts.rate, cumulative: { requests: opts.rate * (t + 1), failed: 0, errorRate: 0, p95: opts.p95, p99: opts.p95 * 2 }, thresholds: [],
  }));
  const latency = lat(1, opts.p95, opts.p95 * 2, opts.rate * 5);
  const thresholds = evaluateThresholds(def.thresholds, { latency, errorRate: 0.006, dropRate: 0, rate: opts.rate }, true);
  return {
    kind: 'scaledeck.loadtest-report', version: 1, id, name: def.name, target: def.target, model, modelDescription: MODEL_DESCRIPTIONS[model],
    state: 'completed', endReason: 'all stages completed', startedAt: opts.startedAt ?? '2025-01-01T00:00:00.000Z', endedAt: '2025-01-01T00:00:05.000Z',
    definition: def,
    totals: {
      requests: opts.rate * 5, sent: opts.rate * 5, ok: opts.rate * 5 - 3, failed: 3, errorRate: 0.006, dropped: 0, dropRate: 0, interrupted: 0, rate: opts.rate, durationS: 5,
      statusClasses: { '2xx': opts.rate * 5 - 3, '5xx': 3 }, statuses: { '200': opts.rate * 5 - 3, '503': 3 }, errors: { timeout: 0, refused: 0, reset: 0, other: 0 },
      schedule: model === 'open' ? { lateOver1ms: 0, latePct: 0, meanLagMs: 0.05, maxLagMs: 0.4 } : null, login: null,
    },
    latency, thresholds, pass: thresholds.every((v) => v.status === 'pass'), series, engine: { workers: 1, node: process.version },
  };
}

describe('reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scaledeck-lt-reports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders a self-contained HTML page that states the model', () => {
    const html = renderHtmlReport(fakeReport('lt-a', { rate: 200, p95: 12, name: '<img src=x onerror=alert(1)>' }));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|@import|src="http|href="http/i);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toMatch(/<style>/);
    expect(html).toMatch(/<svg[^>]*viewBox/);
    expect(html).toMatch(/<polyline[^>]*class="p95"/);
    expect(html).toMatch(/<polyline[^>]*class="p99"/);
    expect(html).toMatch(/Model: OPEN \(arrival rate\)/);
    expect(html).toContain('scheduled start');
    expect(html).toMatch(/p95&lt;500<\/td><td>12<\/td><td>PASS/);
    expect(renderHtmlReport(fakeReport('lt-b', { rate: 50, p95: 900, model: 'closed' }))).toMatch(/Model: CLOSED \(virtual users\)[\s\S]*FAIL/);
  });

  it('saves, lists (newest first), loads and compares', () => {
    const a = fakeReport('lt-20250101-000000-aaaa', { rate: 100, p95: 20, startedAt: '2025-01-01T00:00:00.000Z' });
    const b = fakeReport('lt-20250102-000000-bbbb', { rate: 150, p95: 10, startedAt: '2025-01-02T00:00:00.000Z' });
    saveReport(dir, a);
    saveReport(dir, b);
    writeFileSync(join(dir, 'other.json'), '{"not":"a report"}');
    writeFileSync(join(dir, 'broken.json'), '{');
    const list = listReports(dir);
    expect(list.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(list[0]).toMatchObject({ model: 'open', rate: 150, p95: 10, pass: true, requests: 750 });
    expect(loadReport(dir, a.id)).toEqual(a);
    expect(() => loadReport(dir, '../etc/passwd')).toThrow(/not a load test report id/);
    expect(() => loadReport(dir, 'lt-missing')).toThrow(/No load test report/);
    expect(() => loadReport(dir, 'other')).toThrow(/not a ScaleDeck load test report/);

    const cmp = compareReports(a, b);
    expect(cmp.sameModel).toBe(true);
    expect(cmp.figures.rate).toEqual({ a: 100, b: 150, delta: 50, deltaPct: 50, better: true });
    expect(cmp.figures.p95).toEqual({ a: 20, b: 10, delta: -10, deltaPct: -50, better: true });
    expect(cmp.figures.errorRate.better).toBeNull();
    expect(compareReports(b, a).figures.p99.better).toBe(false);
    expect(compareReports(a, fakeReport('x', { rate: 1, p95: 1, model: 'closed' })).sameModel).toBe(false);
  });

  it('judges thresholds live and at the end', () => {
    const def = normalizeDefinition({ target: 'http://127.0.0.1:1', model: { kind: 'open', rate: 1 }, thresholds: ['p95<500', 'rate>=100', 'error_rate<1%'] });
    const live = evaluateThresholds(def.thresholds, { latency: lat(1, 600, 700), errorRate: null, dropRate: null, rate: null }, false);
    expect(live.map((v) => v.status)).toEqual(['fail', 'pending', 'pending']);
    const end = evaluateThresholds(def.thresholds, { latency: lat(1, 100, 700), errorRate: 0.02, dropRate: 0, rate: 120 }, true);
    expect(end.map((v) => [v.status, v.actual])).toEqual([['pass', 100], ['pass', 120], ['fail', 0.02]]);
    const nothing = evaluateThresholds(def.thresholds, { latency: { ...lat(0, 0, 0), p95: null }, errorRate: null, dropRate: null, rate: 0 }, true);
    expect(nothing.map((v) => v.status)).toEqual(['fail', 'fail', 'fail']);
  });
});
