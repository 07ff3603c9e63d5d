import { afterAll, describe, expect, it } from 'vitest';
import { startLoadTest } from './engine.ts';
import { stallServer, type TestServer } from './testing.ts';
import type { LoadTestReport } from './types.ts';

/**
 * The "must show": against a server that stalls for 1 s once every 10 s, at about
 * 100 req/s for 21 s, the open model's p99 shows the stall and the closed model (2 VUs with
 * think time, about the same throughput) mostly hides it; both counts match the server's.
 * Both runs go at the same time against two servers, so the file takes about 23 s.
 */
describe('coordinated omission: open vs closed model against a stalling server', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('open p99 >= 900 ms, closed p99 far lower, counts equal the server', { timeout: 60_000 }, async () => {
    // Stalls at 0.3-1.3 s, 10.3-11.3 s and 20.3-21.3 s after each server's first request: 30 of
    // the open model's 2100 requests (1.4 %, those due in a stall's first 100 ms) wait >= 900 ms,
    // so its p99 must show the stall.
    const a = await stallServer({ firstAfterMs: 300 });
    const b = await stallServer({ firstAfterMs: 300 });
    servers.push(a, b);
    const open = startLoadTest({ name: 'stall-open', target: a.url, model: { kind: 'open', rate: 100, duration: '21s' } });
    const closed = startLoadTest({
      name: 'stall-closed',
      target: b.url,
      model: { kind: 'closed', vus: 2, duration: '21s', thinkTime: '19ms' },
    });
    const snapshots: number[] = [];
    open.on('snapshot', (s: { t: number }) => snapshots.push(s.t));
    const [ro, rc] = await Promise.all([open.done, closed.done]);
    const line = (r: LoadTestReport) =>
      `${r.model}: ${r.totals.requests} answers at ${r.totals.rate}/s, p50 ${r.latency.p50} p99 ${r.latency.p99} max ${r.latency.max} ms`;
    console.log(`${line(ro)}\n${line(rc)}\nserver counts ${a.count()} / ${b.count()}; open schedule ${JSON.stringify(ro.totals.schedule)}`);

    // The report states the model used.
    expect(ro.model).toBe('open');
    expect(rc.model).toBe('closed');
    expect(ro.modelDescription).toMatch(/scheduled start/);
    expect(rc.modelDescription).toMatch(/coordinated omission/);
    expect(ro.definition.model.kind).toBe('open');

    // Comparable throughput (the closed model loses some during the stalls).
    expect(ro.totals.rate).toBeGreaterThan(95);
    expect(rc.totals.rate).toBeGreaterThan(50);
    expect(rc.totals.rate).toBeLessThan(130);

    // The open model shows the stall, the closed one hides it.
    expect(ro.latency.p99).toBeGreaterThanOrEqual(900);
    expect(rc.latency.p99!).toBeLessThan(500);
    expect(rc.latency.p99!).toBeLessThan(ro.latency.p99! / 3);
    // Both saw stalls: the max is about a second either way.
    expect(ro.latency.max).toBeGreaterThan(900);
    expect(rc.latency.max).toBeGreaterThan(500);

    // The engine's request count equals the server's own within 0.1 %.
    for (const [r, s] of [[ro, a], [rc, b]] as const) {
      expect(r.totals.failed).toBe(0);
      expect(Math.abs(r.totals.requests - s.count())).toBeLessThanOrEqual(Math.max(1, s.count() * 0.001));
      expect(r.totals.sent).toBe(s.count());
    }
    // Open model: the timeline holds 2100 requests, every one of them answered, none dropped.
    expect(ro.totals.requests).toBe(2100);
    expect(ro.totals.dropped).toBe(0);
    // Per-second series were emitted live, one per second.
    expect(snapshots.slice(0, 21)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(ro.series.length).toBeGreaterThanOrEqual(21);
  });
});
