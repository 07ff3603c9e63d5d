import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../electron/docker/client.ts';
import { MetricsHub } from '../../electron/metrics/hub.ts';
import type { AlertEvent, MetricsBatch, Point } from '../../electron/metrics/types.ts';
import { destroyCluster, docker, uniqueName, waitFor } from '../support/cluster.ts';

/**
 * Live metrics on the real engine. The test builds its own small "cluster" (its own network and
 * containers, labelled like ScaleDeck's, cleaned up by label): NGINX with stub_status in front of
 * two node containers serving a Prometheus histogram on /metrics, Redis and Postgres. A MetricsHub
 * follows it. Traffic goes only to these containers' IPs on the network the test created; every
 * load loop is bounded in count and time.
 */
const cluster = uniqueName('mtr');
const network = `sd-${cluster}`;
const engine = new EngineClient();
const labels = (role: string, service: string) => ({
  'io.scaledeck.cluster': cluster,
  'io.scaledeck.role': role,
  'io.scaledeck.service': service,
});

/** The node's histogram buckets (ms). */
const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** A tiny API node: a Prometheus histogram by method/route/status_code; /admin sets delay and garbage mode. */
const NODE_SERVER = `
const http = require('http');
const B = ${JSON.stringify(BUCKETS_MS.map((ms) => ms / 1000))};
const series = new Map();
let delay = 0, garbage = false;
function observe(method, route, code, s) {
  const k = method + '|' + route + '|' + code;
  let e = series.get(k);
  if (!e) series.set(k, (e = { b: B.map(() => 0), c: 0, s: 0 }));
  B.forEach((le, i) => { if (s <= le) e.b[i]++; });
  e.c++; e.s += s;
}
http.createServer((req, res) => {
  const t0 = process.hrtime.bigint();
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/metrics') {
    if (garbage) return res.end('<html><body>502 Bad Gateway</body></html>\\n{{{ not metrics');
    let out = '# HELP http_request_duration_seconds Request duration.\\n# TYPE http_request_duration_seconds histogram\\n';
    for (const [k, e] of series) {
      const [m, r, c] = k.split('|');
      const l = 'method="' + m + '",route="' + r + '",status_code="' + c + '"';
      B.forEach((le, i) => { out += 'http_request_duration_seconds_bucket{' + l + ',le="' + le + '"} ' + e.b[i] + '\\n'; });
      out += 'http_request_duration_seconds_bucket{' + l + ',le="+Inf"} ' + e.c + '\\n';
      out += 'http_request_duration_seconds_sum{' + l + '} ' + e.s + '\\n';
      out += 'http_request_duration_seconds_count{' + l + '} ' + e.c + '\\n';
    }
    out += '# TYPE process_uptime_seconds gauge\\nprocess_uptime_seconds ' + process.uptime() + '\\n';
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    return res.end(out);
  }
  if (u.pathname === '/admin') {
    if (u.searchParams.has('delay')) delay = Number(u.searchParams.get('delay'));
    if (u.searchParams.has('garbage')) garbage = u.searchParams.get('garbage') === '1';
    return res.end('ok');
  }
  const code = u.pathname === '/err' ? 500 : u.pathname === '/' ? 200 : 404;
  setTimeout(() => {
    res.statusCode = code;
    res.end(JSON.stringify({ node: process.env.NODE_NAME }));
    observe(req.method, u.pathname, code, Number(process.hrtime.bigint() - t0) / 1e9);
  }, delay);
}).listen(3000);
`;

const NGINX_CONF = `worker_processes 1;
pid /tmp/nginx.pid;
error_log /dev/stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path /tmp/nginx-client-body;
  proxy_temp_path /tmp/nginx-proxy;
  upstream api { server api-1:3000; server api-2:3000; keepalive 16; }
  server {
    listen 80;
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 8081;
    location = /nginx_status { stub_status; allow 127.0.0.1; allow 10.0.0.0/8; allow 172.16.0.0/12; allow 192.168.0.0/16; deny all; }
  }
}
`;

const PG_CMD = [
  'sh',
  '-c',
  'initdb -D /tmp/pg -U postgres --auth=trust >/dev/null && echo "host all all all trust" >> /tmp/pg/pg_hba.conf && exec postgres -D /tmp/pg -c listen_addresses=* -c unix_socket_directories=/tmp -c max_connections=50',
];

async function run(
  service: string,
  role: string,
  image: string,
  cmd: string[],
  opts: { env?: string[]; user?: string; files?: Record<string, string>; cpuShares?: number } = {},
): Promise<string> {
  const c = await engine.docker.createContainer({
    name: `sd-${cluster}-${service}`,
    Image: image,
    Cmd: cmd,
    Env: opts.env,
    User: opts.user,
    Labels: labels(role, service),
    HostConfig: { NetworkMode: network, Memory: 256 * 1024 * 1024, CpuShares: opts.cpuShares },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [service] } } },
  });
  for (const [path, content] of Object.entries(opts.files ?? {})) await engine.putFile(c.id, path, content);
  await c.start();
  return c.id;
}

async function ipOf(service: string): Promise<string> {
  const info = await engine.inspect(`sd-${cluster}-${service}`);
  const ip = info?.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`no IP for ${service}`);
  return ip;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function get(host: string, port: number, path: string, timeoutMs = 5000): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end();
  });
}

/** Send GETs at a fixed rate for a fixed time (bounded: rate * seconds requests at most). */
async function load(host: string, port: number, path: string, rate: number, seconds: number) {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const startedAt = Date.now();
  const pending: Promise<{ status: number; ms: number }>[] = [];
  while (pending.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (pending.length < due) pending.push(get(host, port, path));
    await new Promise((r) => setTimeout(r, 2));
  }
  const lastSendAt = Date.now();
  const sendS = (performance.now() - started) / 1000;
  const results = await Promise.all(pending);
  return { startedAt, lastSendAt, sendS, results, ok: results.filter((r) => r.status === 200).length };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hub: MetricsHub;
const batches: MetricsBatch[] = [];
const alertEvents: AlertEvent[] = [];
const points = (key: string, from = 0): Point[] => batches.flatMap((b) => b.points[key] ?? []).filter(([t]) => t >= from);
const status = (id: string) => hub.sourceStatuses().find((s) => s.id === id);
const ips: Record<string, string> = {};

beforeAll(async () => {
  await engine.createNetwork(network, { 'io.scaledeck.cluster': cluster });
  await Promise.all([
    // A large CPU weight: the CPU alert test spins in api-1, and must show even on a busy host.
    run('api-1', 'api', 'scaledeck-test/node:1', ['node', '-e', NODE_SERVER], { env: ['NODE_NAME=api-1'], cpuShares: 65536 }),
    run('api-2', 'api', 'scaledeck-test/node:1', ['node', '-e', NODE_SERVER], { env: ['NODE_NAME=api-2'] }),
    run('redis', 'redis', 'scaledeck-test/redis:1', ['redis-server', '--protected-mode', 'no', '--save', '', '--appendonly', 'no']),
    run('postgres', 'postgres', 'scaledeck-test/postgres:1', PG_CMD, { user: 'postgres' }),
  ]);
  await run('balancer', 'balancer', 'scaledeck-test/nginx:1', ['nginx', '-c', '/etc/scaledeck/nginx.conf', '-g', 'daemon off;'], {
    files: { '/etc/scaledeck/nginx.conf': NGINX_CONF },
  });
  for (const s of ['api-1', 'api-2', 'balancer', 'redis']) ips[s] = await ipOf(s);
  await waitFor(async () => (await get(ips.balancer!, 80, '/')).status === 200, 30_000, 'the balancer to answer');
  hub = new MetricsHub({
    engine,
    cluster,
    postgres: { user: 'postgres', database: 'postgres' },
    timing: { maxBackoffMs: 3000 },
    log: (m) => console.error(m),
  });
  hub.subscribe((b) => {
    batches.push(b);
    alertEvents.push(...(b.alerts ?? []));
  });
  await hub.start();
});

afterAll(async () => {
  await hub?.stop();
  agent.destroy();
  await destroyCluster(cluster);
  await docker('network', 'rm', network).catch(() => '');
});

describe('live metrics on the real engine', () => {
  it('CPU and memory series appear for every container; nginx, api, redis and postgres metrics appear', async () => {
    // Some Redis traffic so the hit rate has something to say: 30 hits, 10 misses (after the
    // collector has its first reading, so they fall into an interval).
    await waitFor(async () => points('redis:ops').length > 0, 20_000, 'a first Redis interval');
    const redis = new Redis({ host: ips.redis, port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    await redis.set('k', 'v');
    // In one transaction, so that all 40 lookups fall into one collector interval.
    const tx = redis.multi();
    for (let i = 0; i < 30; i++) tx.get('k');
    for (let i = 0; i < 10; i++) tx.get(`missing-${i}`);
    await tx.exec();
    redis.disconnect();
    for (let i = 0; i < 20; i++) await get(ips.balancer!, 80, '/');
    const want = [
      ...['api-1', 'api-2', 'balancer', 'redis', 'postgres'].flatMap((s) => [`${s}:cpu_pct`, `${s}:mem_bytes`, `${s}:mem_pct`, `${s}:net_rx_bps`]),
      'balancer:active_conns',
      'balancer:rps',
      'api-1:rps',
      'api-1:p95_ms',
      'api-2:rps',
      'cluster:rps',
      'cluster:p95_ms',
      'cluster:cpu_total_pct',
      'redis:ops',
      'redis:used_memory_bytes',
      'redis:clients',
      'redis:hit_rate_pct',
      'postgres:connections',
      'postgres:max_connections',
      'postgres:conn_pct',
      'postgres:tps',
    ];
    await waitFor(async () => want.every((k) => points(k).length > 0), 30_000, 'every series').catch((err: Error) => {
      const missing = want.filter((k) => points(k).length === 0);
      const sources = hub.sourceStatuses().map((x) => `${x.id}=${x.state}${x.error ? ` (${x.error})` : ''}`);
      throw new Error(`${err.message}; ${batches.length} batches; missing ${missing.join(', ')}; sources ${sources.join(', ')}`);
    });
    const hit = points('redis:hit_rate_pct').map(([, v]) => v);
    expect(hit.some((v) => Math.abs(v - 75) < 0.01)).toBe(true);
    expect(points('postgres:max_connections').at(-1)![1]).toBe(50);
    const mem = points('api-1:mem_bytes').at(-1)![1];
    expect(mem).toBeGreaterThan(1e6);
    expect(mem).toBeLessThan(256 * 1024 * 1024);
    // memory % against the 256 MiB limit set on the container
    expect(points('api-1:mem_pct').at(-1)![1]).toBeCloseTo((mem / (256 * 1024 * 1024)) * 100, 1);
    for (const s of hub.sourceStatuses()) expect(s.state, `${s.id}: ${s.error}`).toBe('up');
    expect(hub.serviceList().find((s) => s.service === 'api-1')!.memLimitBytes).toBe(256 * 1024 * 1024);
  });

  it('under a fixed load the charted request rate matches the count sent within 10 %, p95 within a bucket', async () => {
    await Promise.all(['api-1', 'api-2'].map((s) => get(ips[s]!, 3000, '/admin?delay=30')));
    const r = await load(ips.balancer!, 80, '/', 100, 12);
    expect(r.ok).toBe(r.results.length);
    await sleep(1500);
    // The rate the load was sent at: requests over the time spent sending them.
    const sentRate = r.ok / r.sendS;
    // Skip the first 2 s (the first interval mixes idle time), up to the last request sent.
    const inWindow = (key: string) => points(key, r.startedAt + 2000).filter(([t]) => t <= r.lastSendAt).map(([, v]) => v);
    const charted = mean(inWindow('cluster:rps'));
    const viaNginx = mean(inWindow('balancer:rps'));
    console.log(`sent ${r.ok} requests in ${r.sendS.toFixed(2)} s = ${sentRate.toFixed(1)}/s; charted cluster:rps ${charted.toFixed(1)}, balancer:rps ${viaNginx.toFixed(1)}`);
    expect(Math.abs(charted - sentRate) / sentRate).toBeLessThan(0.1);
    expect(Math.abs(viaNginx - sentRate) / sentRate).toBeLessThan(0.1);
    // p95: the nodes' handler waits 30 ms, so observations land in the (25 ms, 50 ms] bucket.
    // The histogram's p95 and the client's p95 agree within the histogram's resolution there: the
    // width of the bucket holding the larger of the two (25 ms on a quiet host; on a busy one the
    // client also sees queueing the nodes cannot, and both move up a bucket).
    const clientP95 = quantile(r.results.map((x) => x.ms), 0.95);
    const chartP95 = mean(inWindow('cluster:p95_ms'));
    const edges = [0, ...BUCKETS_MS];
    const i = Math.max(1, edges.findIndex((le) => le >= Math.max(clientP95, chartP95)));
    const width = i > 0 ? edges[i]! - edges[i - 1]! : Infinity;
    console.log(`p95: client ${clientP95.toFixed(1)} ms, histogram ${chartP95.toFixed(1)} ms (bucket width there ${width} ms)`);
    expect(Math.abs(chartP95 - clientP95)).toBeLessThanOrEqual(width);
    expect(inWindow('cluster:error_pct').every((v) => v === 0)).toBe(true);
    await Promise.all(['api-1', 'api-2'].map((s) => get(ips[s]!, 3000, '/admin?delay=0')));
  });

  it('a CPU alert fires when a container spins and clears after', async () => {
    hub.setRules([
      // A lower line than the default 85 % so a busy CI host cannot starve the spin below it.
      { id: 'cpu', name: 'CPU over 50%', series: '*:cpu_pct', op: '>', threshold: 50, forS: 2, clearAfterS: 2, severity: 'warning' },
      { id: 'p95-latency', name: 'p95 over 500 ms', series: 'cluster:p95_ms', op: '>', threshold: 500, forS: 2, clearAfterS: 2 },
    ]);
    const since = Date.now();
    // Two spinning processes (up to 200 %), so the alert fires even when the host is busy.
    const loop = 'const e = Date.now() + 15000; while (Date.now() < e) {}';
    const spin = engine.exec((await engine.inspect(`sd-${cluster}-api-1`))!.Id, ['sh', '-c', `node -e '${loop}' & node -e '${loop}' & wait`], 30_000);
    const fired = await waitFor(async () => alertEvents.find((e) => e.kind === 'fired' && e.ruleId === 'cpu' && e.at >= since), 25_000, 'the CPU alert to fire').catch((err: Error) => {
      throw new Error(`${err.message}; api-1:cpu_pct since: ${points('api-1:cpu_pct', since).map(([, v]) => v.toFixed(0)).join(' ')}`);
    });
    expect(fired.series).toBe('api-1:cpu_pct');
    expect(fired.value).toBeGreaterThan(50);
    expect(hub.activeAlerts().some((a) => a.ruleId === 'cpu' && a.series === 'api-1:cpu_pct')).toBe(true);
    await spin;
    const cleared = await waitFor(async () => alertEvents.find((e) => e.kind === 'cleared' && e.ruleId === 'cpu' && e.at >= since), 25_000, 'the CPU alert to clear');
    expect(cleared.series).toBe('api-1:cpu_pct');
    expect(cleared.firedAt).toBe(fired.at);
    expect(hub.activeAlerts().filter((a) => a.ruleId === 'cpu')).toEqual([]);
  });

  it('a latency alert fires when the nodes slow down and clears after', async () => {
    const since = Date.now();
    await Promise.all(['api-1', 'api-2'].map((s) => get(ips[s]!, 3000, '/admin?delay=700')));
    const r = load(ips.balancer!, 80, '/', 20, 7); // 140 requests, about 14 in flight
    const fired = await waitFor(async () => alertEvents.find((e) => e.kind === 'fired' && e.ruleId === 'p95-latency' && e.at >= since), 15_000, 'the latency alert to fire');
    expect(fired.value).toBeGreaterThan(500);
    await r;
    await Promise.all(['api-1', 'api-2'].map((s) => get(ips[s]!, 3000, '/admin?delay=0')));
    await load(ips.balancer!, 80, '/', 20, 4);
    await waitFor(async () => alertEvents.find((e) => e.kind === 'cleared' && e.ruleId === 'p95-latency' && e.at >= since), 15_000, 'the latency alert to clear');
  });

  it('a node returning garbage is marked down while the others keep reporting, and recovers', async () => {
    await get(ips['api-2']!, 3000, '/admin?garbage=1');
    const down = await waitFor(async () => (status('api-2:api')?.state === 'down' ? status('api-2:api') : null), 10_000, 'api-2 to be marked down');
    expect(down!.error).toMatch(/malformed exposition at line 1/);
    const t = Date.now();
    await sleep(3000);
    for (const k of ['api-1:rps', 'api-1:cpu_pct', 'api-2:cpu_pct', 'redis:ops', 'balancer:active_conns', 'postgres:connections']) {
      expect(points(k, t).length, k).toBeGreaterThanOrEqual(2);
    }
    expect(points('api-2:rps', t)).toEqual([]);
    expect(status('api-1:api')!.state).toBe('up');
    await get(ips['api-2']!, 3000, '/admin?garbage=0');
    await waitFor(async () => status('api-2:api')?.state === 'up', 10_000, 'api-2 to recover');
  });

  it('a stats stream ended by stopping a container is handled; the container comes back after a start', async () => {
    const id = (await engine.inspect(`sd-${cluster}-redis`))!.Id;
    await engine.docker.getContainer(id).stop({ t: 1 });
    await waitFor(async () => status('redis:stats')?.state === 'down' && status('redis:redis')?.state === 'down', 15_000, 'redis sources to be down');
    expect(status('redis:stats')!.error).toMatch(/not running|exited|ended/);
    const t = Date.now();
    await sleep(2500);
    for (const k of ['api-1:cpu_pct', 'balancer:cpu_pct', 'postgres:connections', 'api-1:rps']) expect(points(k, t).length, k).toBeGreaterThanOrEqual(1);
    expect(points('redis:cpu_pct', t)).toEqual([]);
    await engine.docker.getContainer(id).start();
    await waitFor(async () => status('redis:redis')?.state === 'up' && status('redis:stats')?.state === 'up', 20_000, 'redis sources to come back');
    const back = Date.now();
    await waitFor(async () => points('redis:cpu_pct', back).length > 0 && points('redis:used_memory_bytes', back).length > 0, 10_000, 'new redis points');
  });

  it('a new node appears on re-discovery and a removed one disappears', async () => {
    await run('api-3', 'api', 'scaledeck-test/node:1', ['node', '-e', NODE_SERVER], { env: ['NODE_NAME=api-3'] });
    await waitFor(async () => points('api-3:cpu_pct').length > 0 && status('api-3:api')?.state === 'up', 20_000, 'api-3 to be followed').catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify({ services: hub.serviceList().map((x) => x.service), api3: hub.sourceStatuses().filter((x) => x.service === 'api-3') })}`);
    });
    await engine.stopAndRemove(`sd-${cluster}-api-3`, 1);
    await waitFor(async () => !hub.serviceList().some((s) => s.service === 'api-3'), 15_000, 'api-3 to be forgotten');
    await waitFor(async () => batches.some((b) => b.sourcesRemoved?.includes('api-3:api')), 3000, 'a batch announcing the removal');
    expect(batches.findLast((b) => b.services)!.services!.map((s) => s.service)).not.toContain('api-3');
    // One batch per second, no gaps.
    const seqs = batches.map((b) => b.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const spanS = (batches.at(-1)!.at - batches[0]!.at) / 1000;
    expect(batches.length).toBeGreaterThan(spanS * 0.9);
    expect(batches.length).toBeLessThan(spanS * 1.1 + 2);
  });
});
