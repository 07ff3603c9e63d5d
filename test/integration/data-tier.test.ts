import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbStatus, OperationView } from '../../shared/api/types.ts';
import { cli, destroyCluster, docker, freePort, labelled, tempDir, uniqueName, waitFor, writeSpec } from '../support/cluster.ts';

/**
 * The data tier on the real engine, through the real CLI: a primary with two streaming replicas,
 * replication to every replica, a replica killed under read traffic (the template falls back to
 * the primary), scaling replicas 2→1 (container, volume and slot go), failover by promotion
 * (no committed row lost), and the pool × nodes check against max_connections.
 */
const name = uniqueName('data');
const home = tempDir();
let port = 0;
let specFile = '';
let base = '';
const c = (service: string) => `sd-${name}-${service}`;

function spec(replicas: number): string {
  return [
    `name: ${name}`,
    'api:',
    '  replicas: 2',
    '  env:',
    // The reader below sends thousands of requests from one address.
    '    RATE_LIMIT_MAX: 10000000',
    `balancer:\n  port: ${port}`,
    'worker:\n  replicas: 0',
    `postgres:\n  replicas: ${replicas}\n  pool: 10`,
    '',
  ].join('\n');
}

/** psql inside a Postgres container, on the app database (socket in /tmp, user postgres). */
const sql = (container: string, q: string) => docker('exec', container, 'psql', '-h', '/tmp', '-U', 'postgres', '-d', 'app', '-XtAc', q);

function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((res) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { connection: 'close' };
    if (data) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(`${base}${path}`, { method, headers, agent: false, timeout: 5000 }, (r) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body: text }));
      r.on('error', () => res({ status: 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => res({ status: 0, body: e.message }));
    req.end(data);
  });
}

async function dbStatus(): Promise<DbStatus> {
  const r = await cli(['db', 'status', name, '--json'], home);
  expect(r.stdout, r.stderr).toContain('"ok":true');
  return (JSON.parse(r.stdout) as { status: DbStatus }).status;
}

let token = '';
let userId = 0;

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  specFile = writeSpec(home, spec(2));
});

afterAll(async () => {
  await destroyCluster(name);
});

describe('Postgres replicas and failover', () => {
  it('up with postgres/replicas 2: both replicas stream from the primary through their own slots', async () => {
    const r = await cli(['up', specFile], home);
    expect(r.code, r.stderr).toBe(0);
    const st = await waitFor(async () => {
      const s = await dbStatus();
      return s.replicas.length === 2 && s.replicas.every((x) => x.state === 'streaming') ? s : null;
    }, 30_000, 'two streaming replicas');
    expect(st.primary.service).toBe('postgres');
    expect(st.slots.map((s) => s.name)).toEqual(['replica_1', 'replica_2']);
    expect(await labelled('volume', name)).toEqual([`sd-${name}-pgdata`, `sd-${name}-pgdata-replica-1`, `sd-${name}-pgdata-replica-2`]);
  });

  it('a row written on the primary is readable on every replica; lag figures are never negative', async () => {
    await sql(c('postgres'), 'CREATE TABLE repl_probe (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    for (const replica of ['postgres-replica-1', 'postgres-replica-2']) {
      await waitFor(async () => (await sql(c(replica), "SELECT count(*) FROM pg_class WHERE relname = 'repl_probe'").catch(() => '')) === '1', 10_000, `the table on ${replica}`);
    }
    // Each replica polls for the row from inside (a psql loop, no docker exec per poll) and reports
    // the delay from the row's commit-time stamp on the primary to the moment it saw it; all
    // containers share the host clock. Bounded: 1000 polls of at most ~10 ms each.
    const id = 42;
    const seeIt = (replica: string) =>
      docker(
        'exec',
        c(replica),
        'sh',
        '-c',
        `i=0; until [ "$(psql -h /tmp -U postgres -d app -XtAc "SELECT count(*) FROM repl_probe WHERE id = ${id}")" = 1 ] || [ $i -ge 1000 ]; do i=$((i+1)); done; ` +
          `psql -h /tmp -U postgres -d app -XtAc "SELECT round(extract(epoch FROM clock_timestamp() - at) * 1000) FROM repl_probe WHERE id = ${id}"`,
      );
    const watching = ['postgres-replica-1', 'postgres-replica-2'].map(async (replica) => ({ replica, ms: await seeIt(replica) }));
    await new Promise((r) => setTimeout(r, 300)); // both loops are running
    await sql(c('postgres'), `INSERT INTO repl_probe (id) VALUES (${id})`);
    const seen = await Promise.all(watching);
    for (const s of seen) expect(s.ms, `${s.replica} never saw the row`).toMatch(/^\d+$/);
    console.log(`row visible on replicas after (commit stamp → seen, in the database): ${seen.map((s) => `${s.replica} ${s.ms} ms`).join(', ')}`);

    const st = await dbStatus();
    for (const r of st.replicas) {
      expect(r.state, r.service).toBe('streaming');
      expect(r.inRecovery, r.service).toBe(true);
      for (const v of [r.lagBytes, r.replayLagS, r.replayDelayS]) {
        expect(v, r.service).not.toBeNull();
        expect(v!, r.service).toBeGreaterThanOrEqual(0);
      }
    }
    // Human output too.
    const human = await cli(['db', 'status', name], home);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/postgres-replica-1\s+running\s+streaming/);
  });

  it('kill a replica under GET /api/users/:id/orders: error rate under 0.1 %, and it catches up after a restart', async () => {
    const email = `${name}@example.test`;
    expect((await call('POST', '/api/register', { email, password: 'correct horse battery', name: 'Data Tier' })).status).toBe(201);
    const login = await call('POST', '/api/login', { email, password: 'correct horse battery' });
    expect(login.status, login.body).toBe(200);
    token = (JSON.parse(login.body) as { access_token: string }).access_token;
    userId = Number(await sql(c('postgres'), `SELECT id FROM users WHERE email = '${email}'`));
    for (let i = 0; i < 10; i++) {
      const r = await call('POST', '/api/orders', { product: `p${i}`, quantity: 1, unit_price_cents: 100 }, token);
      expect(r.status, r.body).toBe(201);
    }

    // A bounded reader: 4 in parallel, at most 20 000 requests or 25 s.
    let stop = false;
    const stats = { ok: 0, failed: 0, errors: [] as string[] };
    const started = Date.now();
    const reader = async () => {
      while (!stop && stats.ok + stats.failed < 20_000 && Date.now() - started < 25_000) {
        const r = await call('GET', `/api/users/${userId}/orders`, undefined, token);
        if (r.status === 200) stats.ok++;
        else {
          stats.failed++;
          if (stats.errors.length < 10) stats.errors.push(`${r.status} ${r.body.slice(0, 120)}`);
        }
      }
    };
    const readers = Array.from({ length: 4 }, reader);
    await new Promise((r) => setTimeout(r, 2000));
    await docker('kill', c('postgres-replica-1'));
    await new Promise((r) => setTimeout(r, 6000));
    stop = true;
    await Promise.all(readers);
    const total = stats.ok + stats.failed;
    console.log(`reader while a replica was killed: ${total} requests, ${stats.failed} failed (${((stats.failed / total) * 100).toFixed(3)} %)`);
    expect(total).toBeGreaterThan(200);
    expect(stats.failed / total, stats.errors.join('\n')).toBeLessThan(0.001);

    // Writes go on meanwhile; the restarted replica catches up through its slot.
    for (let i = 0; i < 5; i++) expect((await call('POST', '/api/orders', { product: `late${i}`, quantity: 1, unit_price_cents: 1 }, token)).status).toBe(201);
    await docker('start', c('postgres-replica-1'));
    const want = await sql(c('postgres'), 'SELECT count(*) FROM orders');
    await waitFor(async () => (await sql(c('postgres-replica-1'), 'SELECT count(*) FROM orders').catch(() => '')) === want, 60_000, 'the restarted replica to catch up');
    const st = await waitFor(async () => {
      const s = await dbStatus();
      return s.replicas.every((x) => x.state === 'streaming') ? s : null;
    }, 30_000, 'both replicas streaming again');
    expect(st.replicas).toHaveLength(2);
  });

  it('scale replicas 2→1: the container, its volume and its slot are removed', async () => {
    writeSpec(home, spec(1));
    const r = await cli(['up', specFile], home);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('drop replication slot replica_2');
    const containers = await labelled('ps', name);
    expect(containers).not.toContain(c('postgres-replica-2'));
    expect(containers).toContain(c('postgres-replica-1'));
    expect(await labelled('volume', name)).not.toContain(`sd-${name}-pgdata-replica-2`);
    expect(await sql(c('postgres'), 'SELECT string_agg(slot_name, \',\' ORDER BY slot_name) FROM pg_replication_slots')).toBe('replica_1');
  });

  it('stop the primary and promote the replica: writes succeed again and no committed row is lost', async () => {
    const before = Number(await sql(c('postgres'), 'SELECT count(*) FROM orders'));
    await waitFor(async () => Number(await sql(c('postgres-replica-1'), 'SELECT count(*) FROM orders')) === before, 10_000, 'the replica to have every order');
    await docker('stop', c('postgres'));
    const r = await cli(['db', 'promote', name, 'postgres-replica-1'], home);
    expect(r.code, r.stderr).toBe(0);
    const m = /Write downtime: (\d+) ms \(promote → first successful write: (\d+) ms\)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    console.log(`promotion: ${m![0]}`);

    // Writes through the API succeed again (pools drop their dead connections and reconnect to the alias).
    const firstWrite = Date.now();
    await waitFor(async () => (await call('POST', '/api/orders', { product: 'after-failover', quantity: 1, unit_price_cents: 1 }, token)).status === 201, 30_000, 'a write through the API');
    console.log(`first API write ${Date.now() - firstWrite} ms after the promote command returned`);
    const after = Number(await sql(c('postgres-replica-1'), "SELECT count(*) FROM orders WHERE product <> 'after-failover'"));
    expect(after).toBe(before);

    // The old primary is fenced: stopped, off the network, kept with its volume; `up` leaves it alone.
    const state = JSON.parse(await docker('inspect', c('postgres'), '--format', '{{json .State.Status}}')) as string;
    expect(state).toBe('exited');
    expect(await docker('inspect', c('postgres'), '--format', '{{json .NetworkSettings.Networks}}')).not.toContain(`sd-${name}`);
    expect(await labelled('volume', name)).toContain(`sd-${name}-pgdata`);
    expect(existsSync(join(home, 'clusters', name, 'db.json'))).toBe(true);
    const dry = await cli(['up', specFile, '--dry-run'], home);
    expect(dry.stdout, dry.stderr).toContain('nothing to do');
    const st = await dbStatus();
    expect(st.primary).toMatchObject({ service: 'postgres-replica-1', inRecovery: false });
    expect(st.fenced).toEqual(['postgres']);

    const json = await cli(['db', 'status', name, '--json'], home);
    expect(json.code).toBe(0);
  });

  it('down removes the fenced primary too', async () => {
    const r = await cli(['down', name, '--json'], home);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { operation: OperationView }).operation.state).toBe('succeeded');
    expect(await labelled('ps', name)).toEqual([]);
    expect(await labelled('volume', name)).toEqual([]);
  });
});

describe('pool check', () => {
  it('5 API nodes × pool 30 against max_connections 100 is rejected with the numbers; nothing is created', async () => {
    const bad = uniqueName('pool');
    const dir = tempDir();
    const file = writeSpec(dir, `name: ${bad}\napi:\n  replicas: 5\nbalancer:\n  port: ${await freePort()}\npostgres:\n  pool: 30\n  max_connections: 100\n`);
    const r = await cli(['up', file], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('postgres/pool: (api/replicas 5 + worker/replicas 1) × postgres/pool 30 = 180 connections, over postgres/max_connections 100 minus 5 reserved (95)');
    expect(r.stderr).toContain('(line 7)');
    expect(await labelled('ps', bad)).toEqual([]);
    expect(await labelled('network', bad)).toEqual([]);
    expect(await labelled('volume', bad)).toEqual([]);
    expect(existsSync(join(dir, 'clusters', bad))).toBe(false);
  });
});
