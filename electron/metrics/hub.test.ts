import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerSummary, EngineClient } from '../docker/client.ts';
import { StaticResolver } from './address.ts';
import { MetricsHub } from './hub.ts';
import type { MetricsBatch } from './types.ts';

/** The hub against a fake engine, fake stats streams and local HTTP servers: no Docker needed. */

const servers: Server[] = [];
const hubs: MetricsHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

async function serve(handler: (path: string) => string | null): Promise<string> {
  const srv = createServer((req, res) => {
    const body = handler(req.url ?? '/');
    if (body === null) return; // hang
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

const container = (service: string, role: string, state = 'running'): ContainerSummary => ({
  id: `id-${service}`,
  name: `sd-t-${service}`,
  image: 'x',
  state,
  status: '',
  labels: { 'io.scaledeck.cluster': 't', 'io.scaledeck.role': role, 'io.scaledeck.service': service },
  ports: [],
});

function histogram(n: number, slow: number): string {
  return [
    '# TYPE http_request_duration_seconds histogram',
    `http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="0.01"} ${n}`,
    `http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="0.1"} ${n + slow}`,
    `http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="+Inf"} ${n + slow}`,
    `http_request_duration_seconds_count{method="GET",route="/",status_code="200"} ${n + slow}`,
    '',
  ].join('\n');
}

const base = Date.parse('2026-01-01T00:00:00Z');
/** The k-th sample of a stream: one engine second apart, half a core busy (50 % on this 2-CPU fake). */
function statsLine(k: number): string {
  const t = base + k * 1000;
  return (
    JSON.stringify({
      read: new Date(t).toISOString(),
      cpu_stats: { cpu_usage: { total_usage: k * 5e8 }, system_cpu_usage: k * 2e9, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: (k - 1) * 5e8 }, system_cpu_usage: (k - 1) * 2e9, online_cpus: 2 },
      memory_stats: { usage: 50e6, limit: 100e6, stats: { total_inactive_file: 10e6 } },
      networks: { eth0: { rx_bytes: k * 1000, tx_bytes: 0 } },
    }) + '\n'
  );
}

describe('MetricsHub', () => {
  it('collects from every source, batches once per period, and isolates a garbage, a hung and an ended source', async () => {
    let requests = 0;
    const api1 = await serve(() => histogram((requests += 10), 0));
    const api2 = await serve(() => '<html>oops</html>');
    const api3 = await serve(() => null);
    const nginx = await serve(() => `Active connections: 3 \nserver accepts handled requests\n 5 5 ${(requests += 0) + 100} \nReading: 0 Writing: 1 Waiting: 2 \n`);
    let list = [container('api-1', 'api'), container('api-2', 'api'), container('api-3', 'api'), container('balancer', 'balancer')];
    const engine = { listContainers: async () => list, docker: { info: async () => ({ MemTotal: 1e9 }) } } as unknown as EngineClient;
    const streams = new Map<string, PassThrough[]>();
    const hub = new MetricsHub({
      engine,
      cluster: 't',
      intervalMs: 200,
      batchMs: 200,
      discoverMs: 300,
      timing: { timeoutMs: 300, maxBackoffMs: 400 },
      resolver: new StaticResolver({ 'api-1': api1, 'api-2': api2, 'api-3': api3, balancer: nginx }),
      statsSource: {
        openStatsStream: async (id) => {
          const s = new PassThrough();
          streams.set(id, [...(streams.get(id) ?? []), s]);
          return s;
        },
      },
    });
    hubs.push(hub);
    const batches: MetricsBatch[] = [];
    hub.subscribe((b) => batches.push(b));
    hub.subscribe(() => {
      throw new Error('a broken subscriber');
    });
    await hub.start();
    let k = 1;
    const feed = setInterval(() => {
      k++;
      for (const [, list] of streams) list.at(-1)!.write(statsLine(k));
    }, 200);
    try {
      await new Promise((r) => setTimeout(r, 2500));
      // End api-1's stats stream: marked down, then reopened.
      streams.get('id-api-1')!.at(-1)!.end();
      await new Promise((r) => setTimeout(r, 150));
      const downNow = hub.sourceStatuses().find((s) => s.id === 'api-1:stats')!;
      expect(downNow.state).toBe('down');
      expect(downNow.error).toMatch(/stats stream ended/);
      await new Promise((r) => setTimeout(r, 1200));
      expect(streams.get('id-api-1')!.length).toBeGreaterThanOrEqual(2);
      expect(hub.sourceStatuses().find((s) => s.id === 'api-1:stats')!.state).toBe('up');
    } finally {
      clearInterval(feed);
    }

    // One batch per period, seq without gaps, points grouped by series.
    expect(batches.length).toBeGreaterThanOrEqual(15);
    expect(batches.map((b) => b.seq)).toEqual(batches.map((_, i) => i + 1));
    expect(batches[0]!.services!.map((s) => s.service).sort()).toEqual(['api-1', 'api-2', 'api-3', 'balancer']);
    const all = (key: string) => batches.flatMap((b) => b.points[key] ?? []);
    expect(all('api-1:rps').length).toBeGreaterThan(5);
    expect(all('api-1:p95_ms').every(([, v]) => v > 0 && v <= 10)).toBe(true);
    expect(all('cluster:rps').length).toBeGreaterThan(5);
    expect(all('balancer:active_conns').at(-1)![1]).toBe(3);
    expect(all('api-1:cpu_pct').at(-1)![1]).toBeCloseTo(50, 0);
    expect(all('api-1:mem_bytes').at(-1)![1]).toBe(40e6);
    expect(all('api-1:mem_pct').at(-1)![1]).toBeCloseTo(40, 6);
    expect(all('api-1:net_rx_bps').at(-1)![1]).toBe(1000);
    expect(all('api-2:rps')).toEqual([]);

    const status = Object.fromEntries(hub.sourceStatuses().map((s) => [s.id, s]));
    expect(status['api-1:api']!.state).toBe('up');
    expect(status['balancer:nginx']!.state).toBe('up');
    expect(status['api-2:api']).toMatchObject({ state: 'down' });
    expect(status['api-2:api']!.error).toMatch(/malformed exposition at line 1/);
    expect(status['api-3:api']).toMatchObject({ state: 'down', error: 'timed out after 300 ms' });
    expect(status['api-3:api']!.failures).toBeGreaterThanOrEqual(2);
    expect(status['cluster:engine']!.state).toBe('up');
    expect(hub.latest('cluster:nodes_up')![1]).toBe(1);

    // Scale in: api-3 disappears, api-2 stops.
    list = [container('api-1', 'api'), container('api-2', 'api', 'exited'), container('balancer', 'balancer')];
    const before = batches.length;
    await new Promise((r) => setTimeout(r, 800));
    const later = batches.slice(before);
    expect(later.some((b) => b.sourcesRemoved?.includes('api-3:api'))).toBe(true);
    const services = later.find((b) => b.services)!.services!;
    expect(services.map((s) => s.service).sort()).toEqual(['api-1', 'api-2', 'balancer']);
    expect(services.find((s) => s.service === 'api-2')!.state).toBe('exited');
    const api2Status = hub.sourceStatuses().find((s) => s.id === 'api-2:api')!;
    expect(api2Status).toMatchObject({ state: 'down', error: 'container is exited' });

    // Snapshot: JSON-serialisable, with every series.
    const snap = JSON.parse(JSON.stringify(hub.snapshot(60_000))) as ReturnType<MetricsHub['snapshot']>;
    expect(snap.series['api-1:cpu_pct']!.t.length).toBeGreaterThan(5);
    expect(snap.rules.length).toBe(6);
  }, 20_000);

  it('fires and clears an alert from collected series and reports it in batches', async () => {
    let slow = false;
    let n = 0;
    let s = 0;
    const api = await serve(() => {
      if (slow) s += 20;
      else n += 20;
      return histogram(n, s);
    });
    const engine = { listContainers: async () => [container('api-1', 'api')], docker: { info: async () => ({ MemTotal: 1e9 }) } } as unknown as EngineClient;
    const hub = new MetricsHub({
      engine,
      cluster: 't',
      intervalMs: 200,
      batchMs: 200,
      resolver: new StaticResolver({ 'api-1': api }),
      statsSource: { openStatsStream: async () => new PassThrough() },
      rules: [{ id: 'p95', name: 'p95 > 50 ms', series: 'cluster:p95_ms', op: '>', threshold: 50, forS: 0.4, clearAfterS: 0.4, severity: 'warning', enabled: true }],
    });
    hubs.push(hub);
    const events: string[] = [];
    hub.subscribe((b) => b.alerts?.forEach((a) => events.push(a.kind)));
    await hub.start();
    await new Promise((r) => setTimeout(r, 800));
    slow = true;
    await new Promise((r) => setTimeout(r, 1200));
    expect(events).toEqual(['fired']);
    expect(hub.activeAlerts()).toMatchObject([{ ruleId: 'p95', series: 'cluster:p95_ms' }]);
    slow = false;
    await new Promise((r) => setTimeout(r, 1200));
    expect(events).toEqual(['fired', 'cleared']);
    expect(hub.recentAlerts().map((e) => e.kind)).toEqual(['fired', 'cleared']);
    expect(() => hub.setRules([{ id: 'x' }])).toThrow(/rules\/0\/series/);
    // stop, then start again: fresh collectors
    await hub.stop();
    expect(hub.sourceStatuses().map((x) => x.id)).toEqual(['cluster:engine']);
    await hub.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(hub.sourceStatuses().find((x) => x.id === 'api-1:api')!.state).toBe('up');
  }, 10_000);

  it('follows every engine of a cluster placed on hosts; a host that goes down marks its sources down naming it, and the others go on', async () => {
    let web1Up = true;
    let web1List = [container('api-2', 'api')];
    const invalidated: string[] = [];
    let closed = 0;
    let nRemote = 0;
    let nLocal = 0;
    const remoteApi = await serve(() => histogram((nRemote += 10), 0));
    const localApi = await serve(() => histogram((nLocal += 10), 0));
    const hostDown = () => new Error('host web1 (lab@10.0.0.1:22): cannot connect (ECONNREFUSED)');
    const local = { listContainers: async () => [container('api-1', 'api')], docker: { info: async () => ({ MemTotal: 1e9 }) } } as unknown as EngineClient;
    const web1 = {
      listContainers: async () => {
        if (!web1Up) throw hostDown();
        return web1List;
      },
      docker: { info: async () => ({ MemTotal: 4e9 }) },
    } as unknown as EngineClient;
    const streams = new Map<string, PassThrough[]>();
    const statsSource = (up: () => boolean) => ({
      openStatsStream: async (id: string) => {
        if (!up()) throw hostDown();
        const st = new PassThrough();
        streams.set(id, [...(streams.get(id) ?? []), st]);
        return st;
      },
    });
    // A remote resolver that, like the SSH tunnel's, refuses while the host is unreachable.
    const remoteResolver = new StaticResolver({ 'api-2': remoteApi });
    const hub = new MetricsHub({
      engine: local,
      cluster: 't',
      intervalMs: 200,
      batchMs: 200,
      discoverMs: 300,
      timing: { timeoutMs: 300, maxBackoffMs: 400 },
      hosts: [
        { name: 'local', engine: async () => local, resolver: new StaticResolver({ 'api-1': localApi }), statsSource: statsSource(() => true) },
        {
          name: 'web1',
          label: 'host web1 (lab@10.0.0.1:22)',
          engine: async () => {
            if (!web1Up) throw hostDown();
            return web1;
          },
          resolver: {
            resolveAddress: async (target, port) => {
              if (!web1Up) throw hostDown();
              return remoteResolver.resolveAddress(target, port);
            },
            invalidate: (target) => invalidated.push(target.service),
            close: () => closed++,
          },
          statsSource: statsSource(() => web1Up),
        },
      ],
    });
    hubs.push(hub);
    await hub.start();
    let k = 1;
    const feed = setInterval(() => {
      k++;
      for (const [id, list] of streams) if (id === 'id-api-1' || web1Up) list.at(-1)!.write(statsLine(k));
    }, 200);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(hub.serviceList().map((s) => [s.service, s.host]).sort()).toEqual([
        ['api-1', 'local'],
        ['api-2', 'web1'],
      ]);
      const st = Object.fromEntries(hub.sourceStatuses().map((s) => [s.id, s]));
      expect(Object.keys(st).sort()).toEqual(['api-1:api', 'api-1:stats', 'api-2:api', 'api-2:stats', 'cluster:engine', 'cluster@web1:engine']);
      for (const s of Object.values(st)) expect(s.state, s.id).toBe('up');
      expect(st['api-2:api']!.host).toBe('web1');
      expect(st['api-1:stats']!.host).toBe('local');
      expect(hub.latest('api-2:rps')![1]).toBeGreaterThan(0);
      expect(hub.latest('api-2:cpu_pct')![1]).toBeCloseTo(50, 0);

      // web1 goes away: its streams end, its engine and ports refuse.
      web1Up = false;
      for (const s of streams.get('id-api-2') ?? []) s.end();
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, 1200));
      const after = Object.fromEntries(hub.sourceStatuses().map((s) => [s.id, s]));
      for (const id of ['api-2:api', 'api-2:stats', 'cluster@web1:engine']) {
        expect(after[id]!.state, id).toBe('down');
        expect(after[id]!.error, id).toMatch(/host web1/);
      }
      // "stats stream ended" does not name the host by itself: the source's label is put before it.
      expect(after['api-2:stats']!.error).toMatch(/^host web1 \(lab@10\.0\.0\.1:22\): /);
      // Its containers are kept (not listed is not gone) and the local sources go on.
      expect(hub.serviceList().map((s) => s.service).sort()).toEqual(['api-1', 'api-2']);
      expect(after['api-1:api']!.state).toBe('up');
      expect(after['api-1:stats']!.state).toBe('up');
      expect(after['cluster:engine']!.state).toBe('up');
      expect(hub.latest('api-1:rps')![0]).toBeGreaterThan(downAt + 500);
      expect(hub.latest('api-1:cpu_pct')![0]).toBeGreaterThan(downAt + 500);

      // Back again: everything up.
      web1Up = true;
      await new Promise((r) => setTimeout(r, 1500));
      for (const s of hub.sourceStatuses()) expect(s.state, s.id).toBe('up');

      // api-2 goes away: its sources go, and its tunnels are released.
      invalidated.length = 0;
      web1List = [];
      await new Promise((r) => setTimeout(r, 700));
      expect(hub.serviceList().map((s) => s.service)).toEqual(['api-1']);
      expect(invalidated).toContain('api-2');
    } finally {
      clearInterval(feed);
    }
    // Stopping the hub closes the remote host's tunnels.
    await hub.stop();
    expect(closed).toBe(1);
  }, 15_000);
});
