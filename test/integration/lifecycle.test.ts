import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, destroyCluster, docker, freePort, labelled, nodesSeen, specYaml, startProbe, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * The starter cluster's whole life on the real engine, through the real CLI:
 * up → requests spread over nodes → up again (no-op) → scale 3→5→2 under traffic → down.
 */
const name = uniqueName('life');
const home = tempDir();
let port = 0;
let specFile = '';
let url = '';

const ids = async () => (await docker('ps', '-a', '--filter', `label=io.scaledeck.cluster=${name}`, '--format', '{{.Names}} {{.ID}}')).split('\n').sort();

beforeAll(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  specFile = writeSpec(home, specYaml(name, port, 3));
});

afterAll(async () => {
  await destroyCluster(name);
});

describe('starter cluster lifecycle', () => {
  it('up: creates the cluster and 30 requests reach 3 distinct nodes', async () => {
    const r = await cli(['up', specFile], home);
    expect(r.stderr + r.stdout, r.stderr).toContain('done in');
    expect(r.code).toBe(0);
    const seen = await nodesSeen(url, 30);
    expect([...seen.keys()].sort()).toEqual(['api-1', 'api-2', 'api-3']);
  });

  it('status lists every container healthy', async () => {
    const r = await cli(['status', name, '--json'], home);
    expect(r.code).toBe(0);
    const { cluster } = JSON.parse(r.stdout) as { cluster: { state: string; containers: { service: string; health: string; upToDate: boolean }[] } };
    expect(cluster.state).toBe('running');
    expect(cluster.containers.map((c) => c.service).sort()).toEqual(['api-1', 'api-2', 'api-3', 'balancer', 'postgres', 'redis', 'worker-1']);
    for (const c of cluster.containers) {
      expect(c.health, c.service).toBe('healthy');
      expect(c.upToDate, c.service).toBe(true);
    }
  });

  it('Postgres and Redis answer inside the cluster network (from an API node, by name)', async () => {
    // Redis: a PING over a raw socket. Postgres: an SSLRequest, which a real server answers with "N" or "S".
    const script = `
      const net = require('net');
      const ask = (host, port, payload) => new Promise((res, rej) => {
        const s = net.connect(port, host, () => s.write(payload));
        s.once('data', (d) => { res(d.toString('latin1')); s.destroy(); });
        s.once('error', rej);
        setTimeout(() => rej(new Error('timeout ' + host)), 3000);
      });
      (async () => {
        const redis = await ask('redis', 6379, 'PING\\r\\n');
        const pg = await ask('postgres', 5432, Buffer.from([0,0,0,8,4,0xd2,0x16,0x2f]));
        console.log(JSON.stringify({ redis: redis.trim(), pg }));
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const out = await docker('exec', `sd-${name}-api-1`, 'node', '-e', script);
    const answers = JSON.parse(out) as { redis: string; pg: string };
    // Redis wants the cluster's generated password: without it a PING is refused.
    expect(answers.redis).toMatch(/^-NOAUTH/);
    expect(['N', 'S']).toContain(answers.pg);
    // And the database the spec asked for exists, owned by the app user.
    const db = await docker('exec', `sd-${name}-postgres`, 'psql', '-h', '/tmp', '-U', 'postgres', '-tAc', "select datname||':'||pg_get_userbyid(datdba) from pg_database where datname='app'");
    expect(db).toBe('app:app');
  });

  it('up again: the plan is empty and no container is recreated', async () => {
    const before = await ids();
    const dry = await cli(['up', specFile, '--dry-run'], home);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('is up to date: nothing to do');
    const r = await cli(['up', specFile, '--json'], home);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { operation: { steps: unknown[] } }).operation.steps).toEqual([]);
    expect(await ids()).toEqual(before);
  });

  it('scale api=5 under traffic: the new nodes serve and the probe sees 0 failures', async () => {
    const probe = startProbe(url, { concurrency: 4, maxMs: 120_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const r = await cli(['scale', name, 'api=5'], home);
    expect(r.code, r.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const stats = await probe.stop();
    expect(stats.failed, stats.errors.join('\n')).toBe(0);
    expect(stats.ok).toBeGreaterThan(100);
    expect(stats.nodes.get('api-4') ?? 0).toBeGreaterThan(0);
    expect(stats.nodes.get('api-5') ?? 0).toBeGreaterThan(0);
    expect(await labelled('ps', name)).toHaveLength(9);
  });

  it('scale api=2 under traffic: 0 failures, and only api-1 and api-2 answer afterwards', async () => {
    const probe = startProbe(url, { concurrency: 4, maxMs: 120_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const r = await cli(['scale', name, 'api=2'], home);
    expect(r.code, r.stderr).toBe(0);
    const stats = await probe.stop();
    expect(stats.failed, stats.errors.join('\n')).toBe(0);
    const after = await nodesSeen(url, 20);
    expect([...after.keys()].sort()).toEqual(['api-1', 'api-2']);
    expect(await labelled('ps', name)).toEqual([`sd-${name}-api-1`, `sd-${name}-api-2`, `sd-${name}-balancer`, `sd-${name}-postgres`, `sd-${name}-redis`, `sd-${name}-worker-1`]);
  });

  it('the running nginx.conf passes nginx -t inside the balancer', async () => {
    const out = await docker('exec', `sd-${name}-balancer`, 'sh', '-c', 'nginx -t -c /etc/scaledeck/nginx.conf 2>&1');
    expect(out).toContain('test is successful');
  });

  it('down --keep-data keeps the volume; down removes every container, network and volume', async () => {
    const keep = await cli(['down', name, '--keep-data'], home);
    expect(keep.code, keep.stderr).toBe(0);
    expect(await labelled('ps', name)).toEqual([]);
    expect(await labelled('network', name)).toEqual([]);
    expect(await labelled('volume', name)).toEqual([`sd-${name}-pgdata`]);
    // Bring it back on the kept data, then remove it for good.
    const up = await cli(['up', specFile], home);
    expect(up.code, up.stderr).toBe(0);
    const down = await cli(['down', name], home);
    expect(down.code, down.stderr).toBe(0);
    expect(await labelled('ps', name)).toEqual([]);
    expect(await labelled('network', name)).toEqual([]);
    expect(await labelled('volume', name)).toEqual([]);
    const status = await cli(['status', '--json'], home);
    expect((JSON.parse(status.stdout) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).not.toContain(name);
  });
});
