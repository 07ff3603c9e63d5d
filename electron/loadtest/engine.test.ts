import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoadTest } from './engine.ts';
import { appServer } from './testing.ts';
import type { SecondSnapshot } from './types.ts';

/** The real engine (worker threads, raw sockets) against real servers on 127.0.0.1. */
describe('load test engine', () => {
  let app: Awaited<ReturnType<typeof appServer>>;
  beforeAll(async () => {
    app = await appServer();
  });
  afterAll(async () => {
    await app.close();
  });

  it('logs users in, then sends their JWT on the mix', { timeout: 20_000 }, async () => {
    const before = app.count();
    const run = startLoadTest({
      target: app.url,
      model: { kind: 'closed', vus: 3, duration: '1500ms', thinkTime: '5ms' },
      requests: [{ path: '/api/me' }],
      login: { users: 3 },
    });
    const r = await run.done;
    expect(r.totals.login).toEqual({ users: 3, failed: 0 });
    expect(r.totals.requests).toBeGreaterThan(50);
    expect(r.totals.statuses).toEqual({ '200': r.totals.requests });
    expect(app.authorized()).toBe(r.totals.requests);
    expect(app.unauthorized()).toBe(0);
    expect(app.count() - before).toBe(r.totals.requests + 6); // 3 register + 3 login
  });

  it('fails clearly when the login flow cannot get a token', { timeout: 20_000 }, async () => {
    const run = startLoadTest({
      target: app.url,
      model: { kind: 'closed', vus: 1, duration: '1s' },
      login: { users: 2, registerPath: null },
    });
    await expect(run.done).rejects.toThrow(/login flow failed for all 2 users: POST \/api\/login answered 401/);
    expect(run.state).toBe('failed');
  });

  it('parses Content-Length, chunked and Connection: close answers; weights; statuses', { timeout: 20_000 }, async () => {
    const before = app.count();
    const run = startLoadTest({
      target: app.url,
      model: { kind: 'closed', vus: 4, duration: '1500ms' },
      requests: [
        { path: '/', weight: 3 },
        { path: '/chunked', weight: 1 },
        { path: '/close', weight: 1 },
        { path: '/status/404', weight: 1 },
        { path: '/status/204', weight: 1 },
        { method: 'HEAD', path: '/', weight: 1 },
      ],
    });
    const r = await run.done;
    const s = r.totals.statuses;
    expect(Object.keys(s).sort()).toEqual(['200', '204', '404']);
    expect(r.totals.requests).toBe(app.count() - before);
    expect(r.totals.failed).toBe(s['404']);
    expect(r.totals.errors).toEqual({ timeout: 0, refused: 0, reset: 0, other: 0 });
    // weights: 404 is 1/8 of the mix
    expect(s['404']! / r.totals.requests).toBeGreaterThan(0.06);
    expect(s['404']! / r.totals.requests).toBeLessThan(0.2);
    expect(r.totals.statusClasses['4xx']).toBe(s['404']);
  });

  it('renders body templates per request', { timeout: 20_000 }, async () => {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${req.headers['content-type']} ${b}`);
        res.end();
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    try {
      const r = await startLoadTest({
        target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        model: { kind: 'closed', vus: 2, duration: '300ms', thinkTime: '50ms' },
        requests: [{ path: '/items/{{vu}}', body: '{"vu":{{vu}},"iter":{{iter}},"r":{{rand}}}' }],
      }).done;
      expect(r.totals.requests).toBe(bodies.length);
      expect(bodies[0]).toMatch(/^POST \/items\/[01] application\/json \{"vu":[01],"iter":0,"r":\d+\}$/);
      expect(bodies.some((b) => b.includes('"iter":1'))).toBe(true);
    } finally {
      server.close();
    }
  });

  it('follows a ramping arrival-rate timeline exactly', { timeout: 20_000 }, async () => {
    const before = app.count();
    // 0 → 200 req/s over 1 s, then 200 req/s for 1 s: 100 + 200 = 300 requests.
    const r = await startLoadTest({ target: app.url, model: { kind: 'open', stages: '1s:200,1s:200' } }).done;
    expect(r.totals.sent).toBe(300);
    expect(r.totals.requests).toBe(300);
    expect(app.count() - before).toBe(300);
    expect(r.series[0]!.target).toBeCloseTo(100, 0);
    expect(r.series[1]!.target).toBeCloseTo(200, 0);
  });

  it('drops what cannot be sent in time (maxInFlight) and counts it', { timeout: 20_000 }, async () => {
    const r = await startLoadTest({
      target: app.url,
      model: { kind: 'open', rate: 200, duration: '1s', maxInFlight: 2 },
      requests: [{ path: '/slow?ms=40' }],
    }).done;
    expect(r.totals.sent + r.totals.dropped).toBe(200);
    expect(r.totals.dropped).toBeGreaterThan(100);
    expect(r.totals.dropRate).toBeGreaterThan(0.5);
    expect(r.totals.requests).toBe(r.totals.sent);
  });

  it('counts timeouts and refused connections by kind', { timeout: 20_000 }, async () => {
    const t = await startLoadTest({
      target: app.url,
      model: { kind: 'open', rate: 20, duration: '500ms' },
      requests: [{ path: '/slow?ms=3000' }],
      timeout: '200ms',
    }).done;
    expect(t.totals.errors.timeout).toBe(10);
    expect(t.totals.failed).toBe(10);
    expect(t.totals.errorRate).toBe(1);

    const probe = http.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const c = await startLoadTest({ target: `http://127.0.0.1:${port}`, model: { kind: 'open', rate: 20, duration: '500ms' } }).done;
    expect(c.totals.errors.refused).toBe(10);
    expect(c.totals.requests).toBe(0);
    expect(c.latency.p95).toBeNull();
  });

  it('stops on request, caps requests, and streams snapshots as an async iterator', { timeout: 20_000 }, async () => {
    const capped = await startLoadTest({ target: app.url, model: { kind: 'closed', vus: 2, duration: '10s' }, maxRequests: 50 }).done;
    expect(capped.state).toBe('capped');
    expect(capped.totals.sent).toBe(50);
    expect(capped.totals.requests).toBe(50);

    const run = startLoadTest({ target: app.url, model: { kind: 'closed', vus: 2, duration: '30s', thinkTime: '10ms' } });
    const seen: SecondSnapshot[] = [];
    const t0 = Date.now();
    for await (const s of run) {
      seen.push(s);
      if (seen.length === 2) run.stop();
    }
    const r = await run.done;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.state).toBe('stopped');
    expect(r.endReason).toMatch(/stopped/);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]!.t).toBe(0);
    expect(seen[0]!.active).toBe(2);
    expect(seen[0]!.requests).toBeGreaterThan(20);
  });

  it('aborts on a failed threshold when asked', { timeout: 20_000 }, async () => {
    const t0 = Date.now();
    const r = await startLoadTest({
      target: app.url,
      model: { kind: 'open', rate: 50, duration: '20s' },
      requests: [{ path: '/status/500' }],
      thresholds: [{ threshold: 'error_rate<1%', abortOnFail: true }, 'p95<1000'],
    }).done;
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(r.state).toBe('aborted');
    expect(r.endReason).toMatch(/error_rate<1% failed/);
    expect(r.pass).toBe(false);
    expect(r.thresholds.map((v) => v.status)).toEqual(['fail', 'pass']);
  });
});

