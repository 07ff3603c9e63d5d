import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { DbStatus } from '../../shared/api/types.ts';
import { cli, destroyCluster, docker, freePort, tempDir, uniqueName, waitFor, writeSpec } from '../support/cluster.ts';

/**
 * `npm run bench -- replicas`: read throughput through NGINX with 0, 1 and 2 Postgres replicas, in
 * the same run under the same closed-loop load (autocannon, BENCH_CONNECTIONS connections for
 * BENCH_SECONDS each, GET /api/users/:id/orders with a token, to 127.0.0.1 only): reads/s, the
 * ratio to 0 replicas, and the CPU seen (host busy % from /proc/stat, and the containers' share).
 * On 2 cores the load generator, NGINX, the API nodes and every Postgres share the same CPUs,
 * so replicas add work as much as they spread it: the figures say which wins here.
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const API_NODES = Number(process.env.BENCH_API_NODES ?? 2);

const exec = promisify(execFile);
const autocannonBin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
interface Cannon {
  requests: { average: number; total: number };
  latency: { p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
/** autocannon 9 in its own process (its bin, JSON out), closed loop over keep-alive connections. */
async function cannon(url: string, token: string, seconds: number): Promise<Cannon> {
  const { stdout } = await exec(process.execPath, [autocannonBin, '-c', String(CONNECTIONS), '-d', String(seconds), '-H', `authorization=Bearer ${token}`, '-j', url], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as Cannon;
}

const home = tempDir();
const name = uniqueName('brep');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const spec = (replicas: number) =>
  `name: ${name}\napi:\n  replicas: ${API_NODES}\n  env:\n    RATE_LIMIT_MAX: 100000000\nbalancer:\n  port: ${port}\nworker:\n  replicas: 0\npostgres:\n  replicas: ${replicas}\n`;

function cpuTimes(): { busy: number; total: number } {
  const parts = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = parts[3]! + (parts[4] ?? 0);
  const total = parts.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function json(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** CPU % per container group over a short sample (docker stats needs ~2 s for one reading). */
async function containerCpu(): Promise<Record<string, number>> {
  const out = await docker('stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}}');
  const groups: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const [n, pct] = line.split(' ');
    if (!n?.startsWith(`sd-${name}-`)) continue;
    const svc = n.slice(`sd-${name}-`.length);
    const g = svc.startsWith('postgres-replica') ? 'replicas' : svc.startsWith('api-') ? 'api' : svc;
    groups[g] = Math.round(((groups[g] ?? 0) + parseFloat(pct ?? '0')) * 10) / 10;
  }
  return groups;
}

interface Run {
  replicas: number;
  reads_s: number;
  errors: number;
  non2xx: number;
  p99_ms: number;
  host_cpu_pct: number;
  containers_cpu_pct: Record<string, number>;
}
const runs: Run[] = [];

try {
  const file = writeSpec(home, spec(0));
  const up = await cli(['up', file], home);
  if (up.code !== 0) throw new Error(`up failed: ${up.stderr}`);
  const email = `${name}@example.test`;
  await json('POST', '/api/register', { email, password: 'correct horse battery', name: 'Bench' });
  const login = await json('POST', '/api/login', { email, password: 'correct horse battery' });
  const token = String(login.body.access_token);
  const userId = (await docker('exec', `sd-${name}-postgres`, 'psql', '-h', '/tmp', '-U', 'postgres', '-d', 'app', '-XtAc', `SELECT id FROM users WHERE email = '${email}'`)).trim();
  for (let i = 0; i < 50; i++) await json('POST', '/api/orders', { product: `p${i}`, quantity: 1 + (i % 3), unit_price_cents: 100 + i }, token);

  for (const replicas of [0, 1, 2]) {
    if (replicas > 0) {
      writeSpec(home, spec(replicas));
      const r = await cli(['up', file], home);
      if (r.code !== 0) throw new Error(`up with ${replicas} replicas failed: ${r.stderr}`);
      await waitFor(async () => {
        const st = (JSON.parse((await cli(['db', 'status', name, '--json'], home)).stdout) as { status: DbStatus }).status;
        return st.replicas.length === replicas && st.replicas.every((x) => x.state === 'streaming');
      }, 60_000, `${replicas} streaming replicas`);
      // The API nodes were recreated with the new replica list; let their replica monitors see them.
      await new Promise((r) => setTimeout(r, 3000));
    }
    const url = `${base}/api/users/${userId}/orders`;
    await cannon(url, token, 3); // warm-up: pools, JIT, caches
    const c0 = cpuTimes();
    const pending = cannon(url, token, SECONDS);
    await new Promise((r) => setTimeout(r, (SECONDS / 2 - 1) * 1000));
    const containers = await containerCpu();
    const res = await pending;
    const c1 = cpuTimes();
    const run: Run = {
      replicas,
      reads_s: Math.round(res.requests.total / res.duration),
      errors: res.errors + res.timeouts,
      non2xx: res.non2xx,
      p99_ms: res.latency.p99,
      host_cpu_pct: Math.round(((c1.busy - c0.busy) / (c1.total - c0.total)) * 1000) / 10,
      containers_cpu_pct: containers,
    };
    runs.push(run);
    console.log(
      `${replicas} replica${replicas === 1 ? '' : 's'}: ${run.reads_s} reads/s, p99 ${run.p99_ms} ms, ${run.errors} errors, ${run.non2xx} non-2xx, ` +
        `host CPU ${run.host_cpu_pct} % (of 100 % = all cores), containers ${JSON.stringify(containers)} (% of one core)`,
    );
  }
} finally {
  await cli(['down', name], home);
  await destroyCluster(name);
}

const peer = runs.find((r) => r.replicas === 0);
for (const r of runs) if (peer && r.replicas > 0) console.log(`${r.replicas} replicas vs 0: ×${(r.reads_s / peer.reads_s).toFixed(2)} reads/s`);
console.log(
  JSON.stringify({
    bench: 'replicas',
    connections: CONNECTIONS,
    seconds: SECONDS,
    api_nodes: API_NODES,
    runs,
    ratio_1_vs_0: peer && runs[1] ? Math.round((runs[1].reads_s / peer.reads_s) * 100) / 100 : null,
    ratio_2_vs_0: peer && runs[2] ? Math.round((runs[2].reads_s / peer.reads_s) * 100) / 100 : null,
    peer: 'the same cluster with postgres/replicas 0 (every read on the primary)',
  }),
);
process.exit(0);
