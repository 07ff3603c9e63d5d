// Rate limiting in Redis, shared by two nodes: one budget per client across the cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Infra, NodeProc, buildTemplate, docker, killAll, metric, metrics, nodeEnv, req, secret, signUp } from './helpers.ts';

let infra: Infra;
let a: NodeProc;
let b: NodeProc;

beforeAll(async () => {
  [infra] = await Promise.all([Infra.start(), buildTemplate()]);
  const env = nodeEnv(infra, secret(), { RATE_LIMIT_MAX: '10', RATE_LIMIT_WINDOW_SECONDS: '60', EXPORT_RATE_LIMIT_MAX: '2', EXPORT_RATE_LIMIT_WINDOW_SECONDS: '60' });
  [a, b] = await Promise.all([NodeProc.start({ ...env, NODE_NAME: 'api-1' }), NodeProc.start({ ...env, NODE_NAME: 'api-2' })]);
  await Promise.all([a.waitReady(), b.waitReady()]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await killAll();
  await infra?.stop();
});

// Behind NGINX the client is X-Forwarded-For (trusted from private/loopback addresses only);
// tests use it to be several distinct clients.
const client = (ip: string) => ({ 'x-forwarded-for': ip });

describe('rate limiting across nodes', () => {
  it('two nodes share one budget per client, with RateLimit headers, then 429 + Retry-After', async () => {
    const ip = '203.0.113.10';
    const seen: Array<{ node: string; status: number; remaining: string | null }> = [];
    for (let i = 0; i < 10; i++) {
      const node = i % 2 ? b : a;
      const r = await req(node.url, 'GET', '/api/users/1', { headers: client(ip) }); // 401, but counted
      seen.push({ node: node.name, status: r.status, remaining: r.headers.get('ratelimit-remaining') });
      expect(r.headers.get('ratelimit-limit')).toBe('10');
      expect(r.headers.get('ratelimit-policy')).toBe('10;w=60');
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    expect(seen.map((s) => s.status)).toEqual(Array(10).fill(401));
    expect(seen.map((s) => Number(s.remaining))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    for (const node of [a, b]) {
      const r = await req(node.url, 'GET', '/api/users/1', { headers: client(ip) });
      expect(r.status).toBe(429);
      expect(r.json.message).toMatch(/rate limit exceeded: 10 requests per 60 s/);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.headers.get('ratelimit-remaining')).toBe('0');
    }
    // Another client is unaffected.
    expect((await req(a.url, 'GET', '/api/users/1', { headers: client('203.0.113.11') })).status).toBe(401);
    const total = metric(await metrics(a.url), 'rate_limit_rejections_total', { policy: 'api' }) + metric(await metrics(b.url), 'rate_limit_rejections_total', { policy: 'api' });
    expect(total).toBe(2);
  });

  it('/, /health, /ready and /metrics are never limited', async () => {
    const ip = '203.0.113.10'; // already over its budget
    for (const path of ['/', '/health', '/ready', '/metrics']) {
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => req((i % 2 ? b : a).url, 'GET', path, { headers: client(ip) })));
      expect(rs.map((r) => r.status)).toEqual(Array(30).fill(200));
      expect(rs[0]!.headers.get('ratelimit-limit')).toBeNull();
    }
  });

  it('POST /api/exports has its own, stricter limit', async () => {
    const ip = '203.0.113.20';
    const u = await signUp(a.url, `rl-${secret(4)}@example.com`.toLowerCase(), 'password123', 'RL', client(ip));
    const r1 = await req(a.url, 'POST', '/api/exports', { token: u.token, headers: client(ip) });
    const r2 = await req(b.url, 'POST', '/api/exports', { token: u.token, headers: client(ip) });
    const r3 = await req(a.url, 'POST', '/api/exports', { token: u.token, headers: client(ip) });
    expect([r1.status, r2.status, r3.status]).toEqual([202, 202, 429]);
    expect(r1.headers.get('ratelimit-limit')).toBe('2');
    expect(r3.headers.get('ratelimit-policy')).toBe('2;w=60');
    // The general budget of this client still has room (register + login + this one).
    const other = await req(b.url, 'GET', `/api/users/${u.id}`, { token: u.token, headers: client(ip) });
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe('7');
  });

  it('fails open while Redis is down (requests still served), and recovers', async () => {
    await docker('stop', '-t', '1', infra.redis.name);
    const r = await req(a.url, 'GET', '/api/users/1', { headers: client('203.0.113.30') });
    expect(r.status).toBe(401); // reached the handler: not 429, not 500
    expect(r.headers.get('ratelimit-limit')).toBeNull();
    expect(metric(await metrics(a.url), 'rate_limit_errors_total')).toBeGreaterThanOrEqual(1);
    expect((await req(a.url, 'GET', '/ready')).json.checks.redis).toBe(false);
    await docker('start', infra.redis.name);
    await a.waitReady(30_000);
    const back = await req(a.url, 'GET', '/api/users/1', { headers: client('203.0.113.31') });
    expect(back.headers.get('ratelimit-remaining')).toBe('9');
  });
});
