// Every endpoint of one API node (plus the worker) against real Postgres and Redis containers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Infra, NodeProc, buildTemplate, killAll, metric, metrics, nodeEnv, req, secret, signUp, waitFor, type Res } from './helpers.ts';

let infra: Infra;
let api: NodeProc;
let worker: NodeProc;
const JWT_SECRET = `jwt-${secret(16)}`;
const issuedTokens: string[] = [];
const PASSWORDS: string[] = [];
let base = '';

beforeAll(async () => {
  [infra] = await Promise.all([Infra.start(), buildTemplate()]);
  const env = nodeEnv(infra, JWT_SECRET, { RATE_LIMIT_MAX: '100000', LOG_LEVEL: 'debug' });
  api = await NodeProc.start({ ...env, NODE_NAME: 'api-1' });
  worker = await NodeProc.start({ ...env, NODE_NAME: 'worker-1' }, { script: 'worker' });
  await api.waitReady();
  await worker.waitReady();
  base = api.url;
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await killAll();
  await infra?.stop();
});

async function user(tag: string) {
  const password = `pw-${secret(9)}`;
  PASSWORDS.push(password);
  const u = await signUp(base, `${tag}-${secret(4)}@example.com`.toLowerCase(), password, `User ${tag}`);
  issuedTokens.push(u.token, u.refresh);
  return u;
}

const expectError = (r: Res, status: number, message?: RegExp) => {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  expect(r.json.error).toBeTypeOf('string');
  expect(r.json.message).toBeTypeOf('string');
  if (message) expect(r.json.message).toMatch(message);
};

describe('operational routes', () => {
  it('GET / names the node, needs no auth and survives 30 quick requests', async () => {
    const rs = await Promise.all(Array.from({ length: 30 }, () => req(base, 'GET', '/')));
    for (const r of rs) {
      expect(r.status).toBe(200);
      expect(r.json.node).toBe('api-1');
    }
  });

  it('GET /health is 200 and cheap; /ready checks database, Redis and migrations', async () => {
    const h = await req(base, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(h.json).toEqual({ status: 'ok' });
    const r = await req(base, 'GET', '/ready');
    expect(r.status).toBe(200);
    expect(r.json.checks).toEqual({ database: true, redis: true, migrations: true });
  });

  it('GET /metrics is Prometheus text with latency, process, pool and cache metrics', async () => {
    await req(base, 'GET', '/');
    const m = await metrics(base);
    expect(m).toContain('# TYPE http_request_duration_seconds histogram');
    expect(m).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/"[^}]*status_code="200"/);
    expect(m).toContain('process_cpu_user_seconds_total');
    expect(m).toContain('nodejs_eventloop_lag_seconds');
    expect(m).toMatch(/db_pool_connections\{[^}]*pool="primary"/);
    expect(m).toContain('# TYPE cache_hits_total counter');
    expect(m).toContain('# TYPE cache_misses_total counter');
  });

  it('security headers on every response, no CORS by default, request ids', async () => {
    for (const path of ['/', '/health', '/api/users/1', '/nope']) {
      const r = await req(base, 'GET', path, { headers: { origin: 'https://evil.example' } });
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      expect(r.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    // HSTS when the (trusted) proxy in front terminated TLS.
    const tls = await req(base, 'GET', '/health', { headers: { 'x-forwarded-proto': 'https' } });
    expect(tls.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    // An incoming request id is kept (for tracing through NGINX), a weird one is replaced.
    expect((await req(base, 'GET', '/', { headers: { 'x-request-id': 'trace-123' } })).headers.get('x-request-id')).toBe('trace-123');
    expect((await req(base, 'GET', '/', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id')).not.toContain('bad');
    const pre = await req(base, 'OPTIONS', '/api/orders', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('unknown routes are JSON 404s', async () => {
    expectError(await req(base, 'GET', '/api/nothing-here'), 404, /no route for GET \/api\/nothing-here/);
    expectError(await req(base, 'DELETE', '/api/users/1'), 404);
  });
});

describe('auth', () => {
  it('registers (201), refuses duplicates (409) and bad input (400 naming the field)', async () => {
    const email = `reg-${secret(4)}@example.com`.toLowerCase();
    const r = await req(base, 'POST', '/api/register', { body: { email, password: 'long enough pw', name: 'Reg' } });
    expect(r.status).toBe(201);
    expect(r.json.user).toMatchObject({ email, name: 'Reg', role: 'user' });
    expect(r.json.user.password_hash).toBeUndefined();
    expect(r.text).not.toContain('long enough pw');
    expectError(await req(base, 'POST', '/api/register', { body: { email: email.toUpperCase(), password: 'long enough pw', name: 'Reg' } }), 409, /already registered/);
    expectError(await req(base, 'POST', '/api/register', { body: { email: 'not-an-email', password: 'long enough pw', name: 'x' } }), 400, /email/);
    expectError(await req(base, 'POST', '/api/register', { body: { email: 'a@b.co', password: 'short', name: 'x' } }), 400, /password: must be at least 8/);
    expectError(await req(base, 'POST', '/api/register', { body: { email: 'a@b.co', password: 'x'.repeat(73), name: 'x' } }), 400, /72 bytes/);
    expectError(await req(base, 'POST', '/api/register', { body: { email: 'a@b.co', password: 'long enough pw', name: 'x', role: 'admin' } }), 400, /role/);
    expectError(await req(base, 'POST', '/api/register'), 400, /JSON body is required/);
  });

  it('logs in with a JWT and a refresh token; wrong credentials are 401', async () => {
    const u = await user('login');
    const parts = u.token.split('.');
    expect(parts).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: String(u.id), role: 'user', iss: 'scaledeck-api' });
    expect(claims.exp - claims.iat).toBe(900);
    const email = (await req(base, 'GET', `/api/users/${u.id}`, { token: u.token })).json.user.email;
    expectError(await req(base, 'POST', '/api/login', { body: { email, password: 'wrong password' } }), 401, /wrong e-mail or password/);
    expectError(await req(base, 'POST', '/api/login', { body: { email: 'nobody@example.com', password: 'whatever1' } }), 401, /wrong e-mail or password/);
  });

  it('refresh rotates the token; replaying a used one revokes the session', async () => {
    const u = await user('refresh');
    const r1 = await req(base, 'POST', '/api/refresh', { body: { refresh_token: u.refresh } });
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).not.toBe(u.refresh);
    issuedTokens.push(r1.json.access_token, r1.json.refresh_token);
    expect((await req(base, 'GET', `/api/users/${u.id}`, { token: r1.json.access_token })).status).toBe(200);
    // The old token again: treated as stolen, the whole session goes.
    expectError(await req(base, 'POST', '/api/refresh', { body: { refresh_token: u.refresh } }), 401, /already used/);
    expectError(await req(base, 'POST', '/api/refresh', { body: { refresh_token: r1.json.refresh_token } }), 401);
    expectError(await req(base, 'POST', '/api/refresh', { body: { refresh_token: 'garbage' } }), 401);
    expectError(await req(base, 'POST', '/api/refresh', { body: {} }), 400, /refresh_token/);
  });

  it('refresh tokens live in Redis with a TTL; logout revokes them', async () => {
    const u = await user('logout');
    const sid = u.refresh.split('.')[0]!;
    const ttl = Number(await infra.redisCli('TTL', `auth:session:${sid}`));
    expect(ttl).toBeGreaterThan(14 * 86400 - 60);
    expect(ttl).toBeLessThanOrEqual(14 * 86400);
    expectError(await req(base, 'POST', '/api/logout'), 401);
    const out = await req(base, 'POST', '/api/logout', { token: u.token, body: { refresh_token: u.refresh } });
    expect(out.status).toBe(204);
    expect(await infra.redisCli('EXISTS', `auth:session:${sid}`)).toBe('0');
    expectError(await req(base, 'POST', '/api/refresh', { body: { refresh_token: u.refresh } }), 401);
  });

  it('rejects missing, malformed, forged and expired access tokens', async () => {
    const u = await user('tokens');
    expectError(await req(base, 'GET', `/api/users/${u.id}`), 401);
    expect((await req(base, 'GET', `/api/users/${u.id}`)).headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectError(await req(base, 'GET', `/api/users/${u.id}`, { headers: { authorization: 'Basic abc' } }), 401);
    expectError(await req(base, 'GET', `/api/users/${u.id}`, { token: 'not.a.jwt' }), 401);
    const [h, p] = u.token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expectError(await req(base, 'GET', `/api/users/${u.id}`, { token: `${h}.${forgedPayload}.${u.token.split('.')[2]}` }), 401);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    expectError(await req(base, 'GET', `/api/users/${u.id}`, { token: none }), 401);
  });
});

describe('users: cache-aside', () => {
  it('first read misses (database), second hits (Redis); /metrics counts both', async () => {
    const u = await user('cache');
    await infra.redisCli('DEL', `cache:user:v1:${u.id}`);
    const m0 = await metrics(base);
    const miss = await req(base, 'GET', `/api/users/${u.id}`, { token: u.token });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    await waitFor('cache fill', async () => (await infra.redisCli('EXISTS', `cache:user:v1:${u.id}`)) === '1');
    const hit = await req(base, 'GET', `/api/users/${u.id}`, { token: u.token });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.json).toEqual(miss.json);
    const m1 = await metrics(base);
    expect(metric(m1, 'cache_misses_total', { cache: 'user' }) - metric(m0, 'cache_misses_total', { cache: 'user' })).toBe(1);
    expect(metric(m1, 'cache_hits_total', { cache: 'user' }) - metric(m0, 'cache_hits_total', { cache: 'user' })).toBe(1);
    const ttl = Number(await infra.redisCli('TTL', `cache:user:v1:${u.id}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('others see the public fields only; unknown ids are 404', async () => {
    const a = await user('viewa');
    const b = await user('viewb');
    const own = await req(base, 'GET', `/api/users/${a.id}`, { token: a.token });
    expect(Object.keys(own.json.user).sort()).toEqual(['created_at', 'email', 'id', 'name', 'role', 'updated_at']);
    const other = await req(base, 'GET', `/api/users/${a.id}`, { token: b.token });
    expect(Object.keys(other.json.user).sort()).toEqual(['created_at', 'id', 'name']);
    expectError(await req(base, 'GET', '/api/users/999999999', { token: a.token }), 404, /not found/);
  });

  it('PATCH by the owner updates and invalidates the cache; others get 403; admins may', async () => {
    const a = await user('patcha');
    const b = await user('patchb');
    await req(base, 'GET', `/api/users/${a.id}`, { token: a.token }); // fill the cache
    await waitFor('cache fill', async () => (await infra.redisCli('EXISTS', `cache:user:v1:${a.id}`)) === '1');
    const m0 = await metrics(base);
    const p = await req(base, 'PATCH', `/api/users/${a.id}`, { token: a.token, body: { name: 'Renamed' } });
    expect(p.status).toBe(200);
    expect(p.json.user.name).toBe('Renamed');
    expect(await infra.redisCli('EXISTS', `cache:user:v1:${a.id}`)).toBe('0');
    const after = await req(base, 'GET', `/api/users/${a.id}`, { token: a.token });
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.json.user.name).toBe('Renamed');
    expect(metric(await metrics(base), 'cache_invalidations_total', { cache: 'user' }) - metric(m0, 'cache_invalidations_total', { cache: 'user' })).toBe(1);

    expectError(await req(base, 'PATCH', `/api/users/${a.id}`, { token: b.token, body: { name: 'Hijack' } }), 403);
    expectError(await req(base, 'PATCH', `/api/users/${a.id}`, { token: a.token, body: { role: 'admin' } }), 403, /admin/);
    expectError(await req(base, 'PATCH', `/api/users/${a.id}`, { token: a.token, body: {} }), 400, /at least one/);
    expectError(await req(base, 'PATCH', `/api/users/${a.id}`, { token: a.token, body: { name: '' } }), 400, /name/);
    const bEmail = (await req(base, 'GET', `/api/users/${b.id}`, { token: b.token })).json.user.email;
    expectError(await req(base, 'PATCH', `/api/users/${a.id}`, { token: a.token, body: { email: bEmail } }), 409);

    // Promote b (an operator's SQL), log in again: b may now edit a.
    await infra.psql(`UPDATE users SET role = 'admin' WHERE id = ${b.id}`);
    const login = await req(base, 'POST', '/api/login', { body: { email: bEmail, password: b.password } });
    issuedTokens.push(login.json.access_token, login.json.refresh_token);
    const byAdmin = await req(base, 'PATCH', `/api/users/${a.id}`, { token: login.json.access_token, body: { name: 'Set by admin' } });
    expect(byAdmin.status).toBe(200);
    expect((await req(base, 'GET', `/api/users/${a.id}`, { token: b.token })).json.user.name).toBe('Set by admin');

    // A new password works, the old one does not.
    const newPw = `pw-${secret(9)}`;
    PASSWORDS.push(newPw);
    const aEmail = after.json.user.email;
    expect((await req(base, 'PATCH', `/api/users/${a.id}`, { token: a.token, body: { password: newPw } })).status).toBe(200);
    expect((await req(base, 'POST', '/api/login', { body: { email: aEmail, password: newPw } })).status).toBe(200);
    expect((await req(base, 'POST', '/api/login', { body: { email: aEmail, password: a.password } })).status).toBe(401);
  });
});

describe('orders', () => {
  it('POST /api/orders writes to the primary (201); Idempotency-Key replays (200, same order)', async () => {
    const u = await user('orders');
    const o = await req(base, 'POST', '/api/orders', { token: u.token, body: { product: 'Widget', quantity: 3, unit_price_cents: 250 } });
    expect(o.status).toBe(201);
    expect(o.json.order).toMatchObject({ user_id: u.id, product: 'Widget', quantity: 3, total_cents: 750 });
    const k = { 'idempotency-key': `k-${secret(6)}` };
    const first = await req(base, 'POST', '/api/orders', { token: u.token, headers: k, body: { product: 'Gadget', quantity: 1, unit_price_cents: 100 } });
    const again = await req(base, 'POST', '/api/orders', { token: u.token, headers: k, body: { product: 'Gadget', quantity: 1, unit_price_cents: 100 } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json.order.id).toBe(first.json.order.id);
    expect(await infra.psql(`SELECT count(*) FROM orders WHERE user_id = ${u.id}`)).toBe('2');
    expectError(await req(base, 'POST', '/api/orders', { token: u.token, headers: { 'idempotency-key': 'bad key!' }, body: { product: 'x', quantity: 1, unit_price_cents: 1 } }), 400, /Idempotency-Key/);
    expectError(await req(base, 'POST', '/api/orders', { token: u.token, body: { product: 'x', quantity: 0, unit_price_cents: 1 } }), 400, /quantity/);
    expectError(await req(base, 'POST', '/api/orders', { token: u.token, body: { product: 'x', quantity: 1.5, unit_price_cents: 1 } }), 400, /quantity/);
    expectError(await req(base, 'POST', '/api/orders', { token: u.token, body: { product: 'x', quantity: '1', unit_price_cents: 1 } }), 400, /quantity/);
    expectError(await req(base, 'POST', '/api/orders', { body: { product: 'x', quantity: 1, unit_price_cents: 1 } }), 401);
  });

  it('GET /api/users/:id/orders lists newest first with keyset pagination; owner or admin only', async () => {
    const u = await user('list');
    const other = await user('listother');
    for (let i = 1; i <= 5; i++) {
      expect((await req(base, 'POST', '/api/orders', { token: u.token, body: { product: `P${i}`, quantity: i, unit_price_cents: 10 } })).status).toBe(201);
    }
    const page1 = await req(base, 'GET', `/api/users/${u.id}/orders?limit=3`, { token: u.token });
    expect(page1.status).toBe(200);
    expect(page1.json.orders.map((o: { product: string }) => o.product)).toEqual(['P5', 'P4', 'P3']);
    const page2 = await req(base, 'GET', `/api/users/${u.id}/orders?limit=3&before=${page1.json.next_before}`, { token: u.token });
    expect(page2.json.orders.map((o: { product: string }) => o.product)).toEqual(['P2', 'P1']);
    expect(page2.json.next_before).toBeNull();
    expectError(await req(base, 'GET', `/api/users/${u.id}/orders`, { token: other.token }), 403);
    expectError(await req(base, 'GET', `/api/users/${u.id}/orders?limit=1000`, { token: u.token }), 400, /limit/);
    expectError(await req(base, 'GET', `/api/users/${u.id}/orders?sort=id`, { token: u.token }), 400, /sort/);
    // No replicas configured here: reads go to the primary.
    expect(metric(await metrics(base), 'db_queries_total', { pool: 'primary', kind: 'read' })).toBeGreaterThan(0);
  });
});

describe('jobs (BullMQ + the worker)', () => {
  async function finished(token: string, id: string) {
    return waitFor(`job ${id}`, async () => {
      const r = await req(base, 'GET', `/api/jobs/${id}`, { token });
      return ['completed', 'failed'].includes(r.json?.job?.state) ? r.json.job : undefined;
    }, 30_000, 100);
  }

  // Fast because the request only queues the job (no timed assertion here: machines are noisy;
  // test/bench/template.ts measures speed).
  it('POST /api/emails answers 202 with a job; the worker sends it; GET /api/jobs/:id shows it', async () => {
    const u = await user('email');
    const r = await req(base, 'POST', '/api/emails', { token: u.token, body: { to: 'someone@example.com', subject: 'Hi', body: 'Hello there' } });
    expect(r.status).toBe(202);
    expect(r.json.status_url).toBe(`/api/jobs/${r.json.job_id}`);
    const job = await finished(u.token, r.json.job_id);
    expect(job).toMatchObject({ name: 'email', state: 'completed', attempts_made: 1 });
    expect(job.result.messageId).toMatch(/@scaledeck\.invalid$/);
    expect(worker.output).toContain(r.json.job_id);
    expect(worker.output).not.toContain('Hello there'); // no message content in logs
  });

  it('a failing delivery is retried with backoff and then succeeds; a permanent failure stops', async () => {
    const u = await user('retry');
    const flaky = await req(base, 'POST', '/api/emails', { token: u.token, body: { to: 'x@flaky.invalid', subject: 'Retry', body: 'b' } });
    const bounce = await req(base, 'POST', '/api/emails', { token: u.token, body: { to: 'x@bounce.invalid', subject: 'Bounce', body: 'b' } });
    const fj = await finished(u.token, flaky.json.job_id);
    expect(fj).toMatchObject({ state: 'completed', attempts_made: 2, max_attempts: 3 });
    const bj = await finished(u.token, bounce.json.job_id);
    expect(bj.state).toBe('failed');
    expect(bj.failed_reason).toMatch(/mailbox unavailable/);
    const wm = await metrics(worker.url);
    expect(metric(wm, 'jobs_processed_total', { name: 'email', outcome: 'failed' })).toBeGreaterThanOrEqual(2);
  });

  it('POST /api/exports queues an export the worker builds as CSV', async () => {
    const u = await user('export');
    await req(base, 'POST', '/api/orders', { token: u.token, body: { product: '=HYPERLINK("x")', quantity: 2, unit_price_cents: 5 } });
    await req(base, 'POST', '/api/orders', { token: u.token, body: { product: 'Plain, with comma', quantity: 1, unit_price_cents: 7 } });
    const r = await req(base, 'POST', '/api/exports', { token: u.token });
    expect(r.status).toBe(202);
    const job = await finished(u.token, r.json.job_id);
    expect(job.state).toBe('completed');
    expect(job.result.rows).toBe(2);
    expect(job.result.csv).toContain('"\'=HYPERLINK(""x"")"'); // formula defused
    expect(job.result.csv).toContain('"Plain, with comma"');
    expectError(await req(base, 'POST', '/api/exports', { token: u.token, body: { format: 'xlsx' } }), 400, /format/);
  });

  it("jobs are private: someone else's job is 404, bad ids are 400", async () => {
    const a = await user('joba');
    const b = await user('jobb');
    const r = await req(base, 'POST', '/api/emails', { token: a.token, body: { to: 'a@example.com', subject: 's', body: 'b' } });
    expectError(await req(base, 'GET', `/api/jobs/${r.json.job_id}`, { token: b.token }), 404);
    expectError(await req(base, 'GET', '/api/jobs/00000000-0000-4000-8000-000000000000', { token: a.token }), 404);
    expectError(await req(base, 'GET', '/api/jobs/1', { token: a.token }), 400, /UUID/);
    expectError(await req(base, 'POST', '/api/emails', { token: a.token, body: { to: 'nope', subject: 's', body: 'b' } }), 400, /to/);
  });
});

describe('hostile input: 400/401/404, never 500', () => {
  const INJECTIONS = [
    "1' OR '1'='1",
    '1 OR 1=1',
    '1; DROP TABLE users; --',
    "1' UNION SELECT password_hash FROM users --",
    '1)%20OR%20(1=1',
    '-1',
    '0',
    '99999999999999999999999',
    '%00',
    '..%2F..%2Fetc%2Fpasswd',
    '1e3',
    '0x10',
  ];

  it('SQL injection attempts in paths, queries and bodies', async () => {
    const u = await user('inject');
    const statuses: number[] = [];
    for (const p of INJECTIONS) {
      for (const path of [`/api/users/${encodeURIComponent(p)}`, `/api/users/${encodeURIComponent(p)}/orders`, `/api/users/${u.id}/orders?before=${encodeURIComponent(p)}`, `/api/jobs/${encodeURIComponent(p)}`]) {
        const r = await req(base, 'GET', path, { token: u.token });
        statuses.push(r.status);
        expect([400, 404], `${path} -> ${r.status} ${r.text}`).toContain(r.status);
      }
      const patch = await req(base, 'PATCH', `/api/users/${encodeURIComponent(p)}`, { token: u.token, body: { name: 'x' } });
      expect([400, 404]).toContain(patch.status);
      const login = await req(base, 'POST', '/api/login', { body: { email: `${p}@example.com`, password: p } });
      expect([400, 401]).toContain(login.status);
      const loginRaw = await req(base, 'POST', '/api/login', { body: { email: "admin@example.com' --", password: "' OR '1'='1" } });
      expect([400, 401]).toContain(loginRaw.status);
    }
    // Values that are valid strings are stored verbatim, as data.
    const name = "Robert'); DROP TABLE users;--";
    const ok = await req(base, 'PATCH', `/api/users/${u.id}`, { token: u.token, body: { name } });
    expect(ok.status).toBe(200);
    expect(ok.json.user.name).toBe(name);
    const order = await req(base, 'POST', '/api/orders', { token: u.token, body: { product: "x'); DELETE FROM orders; --", quantity: 1, unit_price_cents: 1 } });
    expect(order.status).toBe(201);
    expect(Number(await infra.psql('SELECT count(*) FROM users'))).toBeGreaterThan(5);
    expect(statuses).not.toContain(500);
  });

  it('malformed JSON, wrong types, wrong content type, oversized and odd bodies', async () => {
    const u = await user('malformed');
    const cases: Array<[string, string, { raw?: string; body?: unknown; headers?: Record<string, string>; token?: string }, number]> = [
      ['POST', '/api/register', { raw: '{"email": "a@b.co", ' }, 400],
      ['POST', '/api/register', { raw: '{bad json}' }, 400],
      ['POST', '/api/register', { raw: '' }, 400],
      ['POST', '/api/register', { raw: 'null' }, 400],
      ['POST', '/api/register', { raw: '[]' }, 400],
      ['POST', '/api/register', { raw: '"string"' }, 400],
      ['POST', '/api/register', { raw: '{"__proto__": {"role": "admin"}, "email": "p@b.co", "password": "12345678", "name": "x"}' }, 400],
      ['POST', '/api/register', { body: { email: ['a@b.co'], password: 12345678, name: { $ne: null } } }, 400],
      ['POST', '/api/login', { raw: '{"email": "a@b.co", "password": "x"', token: u.token }, 400],
      ['POST', '/api/orders', { raw: '{"product": "x", "quantity": 1e400, "unit_price_cents": 1}', token: u.token }, 400],
      ['POST', '/api/orders', { raw: 'product=x&quantity=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, token: u.token }, 415],
      ['POST', '/api/orders', { raw: 'hello', headers: { 'content-type': 'text/plain' }, token: u.token }, 415],
      ['PATCH', `/api/users/${u.id}`, { raw: '{"name": "x"}}}', token: u.token }, 400],
      ['POST', '/api/emails', { raw: JSON.stringify({ to: 'a@b.co', subject: 's', body: 'x'.repeat(70 * 1024) }), token: u.token }, 413],
    ];
    for (const [method, path, opts, want] of cases) {
      const r = await req(base, method, path, opts);
      expect(r.status, `${method} ${path} ${JSON.stringify(opts).slice(0, 80)} -> ${r.text}`).toBe(want);
      expect(r.json?.message, r.text).toBeTypeOf('string');
    }
    // A bad percent-encoding in the path.
    const bad = await fetch(`${base}/api/users/%E0%A4%A`, { headers: { authorization: `Bearer ${u.token}` } });
    expect([400, 404]).toContain(bad.status);
  });

  it('no request so far answered 500', async () => {
    const m = await metrics(base);
    expect(m).not.toMatch(/http_request_duration_seconds_count\{[^}]*status_code="500"/);
    expect(api.logs().filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('logs', () => {
  it('are JSON lines with request ids, and carry no secret', async () => {
    const lines = api.logs();
    expect(lines.length).toBeGreaterThan(50);
    const reqLines = lines.filter((l) => l.msg === 'request');
    expect(reqLines.length).toBeGreaterThan(20);
    for (const l of reqLines) {
      expect(l.req_id).toBeTypeOf('string');
      expect(l.node).toBe('api-1');
      expect(l.status).toBeTypeOf('number');
    }
    const all = `${api.output}\n${worker.output}`;
    expect(all).not.toContain(JWT_SECRET);
    expect(all).not.toContain(infra.pgPassword);
    for (const p of PASSWORDS) expect(all).not.toContain(p);
    for (const t of issuedTokens) {
      expect(all).not.toContain(t);
      expect(all).not.toContain(t.split('.').pop()!);
    }
    expect(all).not.toMatch(/\$2[aby]\$\d\d\$/); // bcrypt hashes
  });
});
