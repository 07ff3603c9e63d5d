import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Infra, buildTemplate, freePort, metric, req, secret, signUp, sleep, waitFor } from '../../backend-template/test/helpers.ts';

/**
 * `npm run bench -- template`: requests/s and p99 latency of the API node template's GET /health
 * and of a cached GET /api/users/:id (JWT check + shared Redis rate limit + Redis cache hit),
 * against a bare Fastify hello-world. Same load tool (autocannon, in this process), same run,
 * one server process each, traffic only to 127.0.0.1, every load bounded in time. The template
 * runs with its production defaults (logging on, rate limiting on, with a limit high enough
 * that the load is never refused), against Postgres and Redis containers it reaches at their
 * addresses on the bench's own Docker network (as cluster nodes do; no docker-proxy hop).
 * Rounds alternate bare / health / cached read; medians are reported.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const TEMPLATE = join(ROOT, 'backend-template');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
// 32: the keepalive connection pool ScaleDeck's NGINX keeps to each API node by default.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number; p50: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function startProcess(args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  // Output is discarded (not piped into this process, which also drives the load); errors still show.
  return spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function load(url: string, duration: number, headers: Record<string, string> = {}) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  return { rps: r.requests.average, p99_ms: r.latency.p99, total: r.requests.total };
}

const procs: ChildProcess[] = [];
let infra: Infra | undefined;
try {
  console.log('building the template and starting Postgres + Redis containers ...');
  [infra] = await Promise.all([Infra.start(), buildTemplate()]);

  const barePort = await freePort();
  const bare = startProcess(
    ['--input-type=module', '-e', `import Fastify from 'fastify';
const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: ${barePort}, host: '127.0.0.1' });`],
    {},
    ROOT,
  );
  procs.push(bare);

  const apiPort = await freePort();
  const api = startProcess([join(TEMPLATE, 'dist', 'server.js')], {
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    NODE_NAME: 'bench-api',
    // Straight to the containers' addresses, as nodes in a cluster reach them (no docker-proxy).
    DATABASE_URL: `postgres://app:${infra.pgPassword}@${await infra.ip(infra.pg.name)}:5432/app`,
    DATABASE_REPLICA_URLS: '',
    REDIS_URL: `redis://${await infra.ip(infra.redis.name)}:6379`,
    JWT_SECRET: secret(),
    RATE_LIMIT_MAX: '1000000000',
  }, TEMPLATE);
  procs.push(api);

  const bareUrl = `http://127.0.0.1:${barePort}/`;
  const apiBase = `http://127.0.0.1:${apiPort}`;
  await waitFor('bare server', async () => (await fetch(bareUrl)).ok, 30_000);
  await waitFor('template /ready', async () => (await fetch(`${apiBase}/ready`)).ok, 60_000);

  const u = await signUp(apiBase, `bench-${secret(4)}@example.com`.toLowerCase());
  const userUrl = `${apiBase}/api/users/${u.id}`;
  const auth = { authorization: `Bearer ${u.token}` };
  const first = await req(apiBase, 'GET', `/api/users/${u.id}`, { token: u.token });
  await sleep(200);
  const second = await req(apiBase, 'GET', `/api/users/${u.id}`, { token: u.token });
  if (first.status !== 200 || second.headers.get('x-cache') !== 'HIT') throw new Error(`cache not warm: ${first.status} ${second.headers.get('x-cache')}`);

  console.log(`warm-up (2 s each), then ${ROUNDS} rounds x ${DURATION_S} s per target, ${CONNECTIONS} connections`);
  await load(bareUrl, 2);
  await load(`${apiBase}/health`, 2);
  await load(userUrl, 2, auth);

  const hits0 = metric(await (await fetch(`${apiBase}/metrics`)).text(), 'cache_hits_total', { cache: 'user' });
  const figures = { bare: [] as Array<{ rps: number; p99_ms: number }>, health: [] as Array<{ rps: number; p99_ms: number }>, cached_read: [] as Array<{ rps: number; p99_ms: number }> };
  let cachedTotal = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const b = await load(bareUrl, DURATION_S);
    const h = await load(`${apiBase}/health`, DURATION_S);
    const c = await load(userUrl, DURATION_S, auth);
    cachedTotal += c.total;
    figures.bare.push(b);
    figures.health.push(h);
    figures.cached_read.push(c);
    console.log(`round ${i + 1}: bare ${b.rps.toFixed(0)} req/s p99 ${b.p99_ms} ms | /health ${h.rps.toFixed(0)} req/s p99 ${h.p99_ms} ms | cached GET /api/users/:id ${c.rps.toFixed(0)} req/s p99 ${c.p99_ms} ms`);
  }
  const hits = metric(await (await fetch(`${apiBase}/metrics`)).text(), 'cache_hits_total', { cache: 'user' }) - hits0;

  const sum = (xs: Array<{ rps: number; p99_ms: number }>) => ({ rps: round(median(xs.map((x) => x.rps)), 1), p99_ms: round(median(xs.map((x) => x.p99_ms)), 2) });
  const bareM = sum(figures.bare);
  const healthM = sum(figures.health);
  const cachedM = sum(figures.cached_read);
  const result = {
    bench: 'template',
    health_vs_bare: round(healthM.rps / bareM.rps),
    cached_read_vs_bare: round(cachedM.rps / bareM.rps),
    bare: bareM,
    health: healthM,
    cached_read: { ...cachedM, cache_hit_ratio: round(hits / cachedTotal) },
    rounds: ROUNDS,
    duration_s: DURATION_S,
    connections: CONNECTIONS,
    targets: { health_vs_bare: 0.8, cached_read_vs_bare: 0.4 },
    peer: 'bare Fastify 5 hello-world (GET / -> {"hello":"world"}), one process',
  };
  console.log(
    `median: bare ${bareM.rps} req/s (p99 ${bareM.p99_ms} ms), /health ${healthM.rps} req/s (p99 ${healthM.p99_ms} ms), cached read ${cachedM.rps} req/s (p99 ${cachedM.p99_ms} ms, ${(result.cached_read.cache_hit_ratio * 100).toFixed(1)}% cache hits)`,
  );
  console.log(`health_vs_bare ${result.health_vs_bare} (target >= 0.8), cached_read_vs_bare ${result.cached_read_vs_bare} (target >= 0.4)`);
  console.log(JSON.stringify(result));
} finally {
  for (const p of procs) p.kill('SIGKILL');
  await infra?.stop();
}
process.exit(0);
