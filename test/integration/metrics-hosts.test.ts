import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsSnapshot, SourceStatus } from '../../electron/metrics/types.ts';
import { ScaleDeck } from '../../electron/services/scaledeck.ts';
import { Workspace } from '../../electron/workspace/workspace.ts';
import { cli, destroyCluster, docker, startProbe, tempDir, uniqueName, waitFor, writeSpec } from '../support/cluster.ts';
import { startLab, type Lab } from '../support/lab.ts';

/**
 * Live metrics of a cluster placed on a remote host, over that host's one SSH connection. The API
 * node and the balancer run on lab host web1 (a container with sshd and its own dockerd); Redis
 * and Postgres run on the local engine, published on the lab network's gateway address for the
 * node to reach. Traffic goes only to the balancer on the lab network this test created, bounded
 * in count and time. Then web1 is stopped: its sources go down naming it, the local ones go on.
 */

let lab: Lab;
let home: string;
let dir: string;
let app: ScaleDeck;
const cluster = uniqueName('mhost');
const LB_PORT = 18080; // inside web1's own network namespace: no clash with anything on this machine

const spec = () =>
  [
    `name: ${cluster}`,
    'api:',
    '  replicas: 1',
    '  hosts: [web1]',
    'balancer:',
    '  host: web1',
    '  bind: 0.0.0.0',
    `  port: ${LB_PORT}`,
    'worker:',
    '  replicas: 0',
    '',
  ].join('\n');

const source = (snap: MetricsSnapshot, id: string): SourceStatus | undefined => snap.sources.find((s) => s.id === id);
const lastT = (snap: MetricsSnapshot, key: string): number => {
  const t = snap.series[key]?.t ?? [];
  return t.length ? t[t.length - 1]! : 0;
};

beforeAll(async () => {
  home = tempDir();
  dir = tempDir();
  lab = await startLab(1);
  const h = lab.hosts[0]!;
  const r = await cli(['hosts', 'add', 'web1', `lab@127.0.0.1:${h.sshPort}`, '--key', lab.keyPath, '--trust', h.fingerprint, '--advertise', h.ip], home);
  if (r.code !== 0) throw new Error(`hosts add failed: ${r.stderr}`);
  // Local services are published on this machine's address on the lab network (the node on web1 uses them there).
  // (The lab's /24 was created with --subnet only: docker gives its bridge the first address.)
  const gateway = h.ip.replace(/\.\d+$/, '.1');
  const up = await cli(['up', writeSpec(dir, spec())], home, { SCALEDECK_LOCAL_ADVERTISE: gateway }, 600_000);
  if (up.code !== 0) throw new Error(`up failed:\n${up.stderr}`);
  app = new ScaleDeck({ workspace: new Workspace(home), imageSet: 'test' });
}, 900_000);

afterAll(async () => {
  await app?.metrics.stopAll().catch(() => undefined);
  app?.hosts().close();
  await destroyCluster(cluster); // the local part; web1's part goes with its container
  await lab?.cleanup();
});

describe('metrics of a cluster on a remote host', () => {
  it('charts CPU and request rate of the remote node over SSH, marks its sources down naming the host when it stops, and keeps the local ones going', async () => {
    const url = `http://${lab.hosts[0]!.ip}:${LB_PORT}/`;
    // Bounded: at most 3000 requests, 40 s, 2 at a time.
    const probe = startProbe(url, { concurrency: 2, maxRequests: 3000, maxMs: 40_000 });
    let snap: MetricsSnapshot;
    try {
      snap = await waitFor(
        async () => {
          const s = await app.metrics.snapshot(cluster);
          const rps = s.series['api-1:rps']?.v ?? [];
          const cpu = s.series['api-1:cpu_pct']?.v ?? [];
          return rps.some((v) => v > 0) && cpu.length >= 2 && (s.series['balancer:cpu_pct']?.v.length ?? 0) >= 2 ? s : null;
        },
        35_000,
        'remote rps and cpu series',
      );
    } finally {
      const st = await probe.stop();
      expect(st.ok).toBeGreaterThan(0);
    }

    const where = Object.fromEntries(snap.services.map((s) => [s.service, s.host]));
    expect(where).toEqual({ 'api-1': 'web1', balancer: 'web1', redis: 'local', postgres: 'local' });
    for (const id of ['api-1:stats', 'api-1:api', 'balancer:stats', 'balancer:nginx', 'redis:redis', 'postgres:postgres']) {
      expect(source(snap, id), id).toMatchObject({ state: 'up' });
    }
    expect(source(snap, 'api-1:api')?.host).toBe('web1');
    expect(source(snap, 'cluster@web1:engine')).toMatchObject({ state: 'up', host: 'web1' });
    expect(Math.max(...snap.series['api-1:rps']!.v)).toBeGreaterThan(0);
    expect(snap.series['api-1:cpu_pct']!.v.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    // The node's memory % is against web1's limit or memory, not a missing figure.
    expect(snap.series['api-1:mem_pct']?.v.length).toBeGreaterThan(0);

    // web1 goes away (sshd and its dockerd with it).
    await docker('stop', '-t', '2', lab.hosts[0]!.container);
    const downAt = Date.now();
    const remote = ['api-1:stats', 'api-1:api', 'balancer:stats', 'balancer:nginx'];
    const after = await waitFor(
      async () => {
        const s = await app.metrics.snapshot(cluster);
        return remote.every((id) => source(s, id)?.state === 'down') ? s : null;
      },
      60_000,
      'remote sources down',
    );
    for (const id of remote) expect(source(after, id)?.error, id).toMatch(/host web1/);

    // The local sources keep updating while web1 is down.
    const later = await waitFor(
      async () => {
        const s = await app.metrics.snapshot(cluster);
        return lastT(s, 'redis:cpu_pct') > downAt + 3000 && lastT(s, 'postgres:connections') > downAt + 3000 && lastT(s, 'redis:ops') > downAt + 3000 ? s : null;
      },
      30_000,
      'local series after web1 stopped',
    );
    for (const id of ['redis:stats', 'redis:redis', 'postgres:stats', 'postgres:postgres']) {
      expect(source(later, id), id).toMatchObject({ state: 'up' });
    }
    expect(source(later, 'cluster:engine')).toMatchObject({ state: 'up' });
    const engineDown = await waitFor(
      async () => {
        const s = source(await app.metrics.snapshot(cluster), 'cluster@web1:engine');
        return s?.state === 'down' ? s : null;
      },
      30_000,
      'web1 engine source down',
    );
    expect(engineDown.error).toMatch(/host web1/);
    for (const id of remote) expect(source(later, id)?.state, id).toBe('down');
  });
});
