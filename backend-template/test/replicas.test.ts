// Read/write split against a real streaming replica: order lists come from the replica; when it
// lags past REPLICA_MAX_LAG_SECONDS or is down, they come from the primary, and still answer 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Infra, NodeProc, buildTemplate, docker, freePort, killAll, metric, metrics, nodeEnv, req, secret, signUp, waitFor } from './helpers.ts';

let infra: Infra;
let node: NodeProc;
let u: { id: number; token: string };
const reads = async (pool: string) => metric(await metrics(node.url), 'db_queries_total', { pool, kind: 'read' });
const replicaState = async () => (await req(node.url, 'GET', '/ready')).json.replicas[0].state as string;

beforeAll(async () => {
  [infra] = await Promise.all([Infra.start(), buildTemplate()]);
  await infra.startReplica();
  node = await NodeProc.start({
    ...nodeEnv(infra, secret(), {
      DATABASE_REPLICA_URLS: infra.databaseUrl(infra.replica),
      REPLICA_MAX_LAG_SECONDS: '1',
      REPLICA_CHECK_INTERVAL_MS: '200',
    }),
    NODE_NAME: 'api-rw',
  });
  await node.waitReady();
  u = await signUp(node.url, `rep-${secret(4)}@example.com`.toLowerCase());
});

afterAll(async () => {
  if (process.env.SDTPL_DEBUG) console.log(node.lines.filter((l) => l.includes('replica')).join('\n'));
  await node?.stop();
  await killAll();
  await infra?.stop();
});

async function listProducts(): Promise<string[]> {
  const r = await req(node.url, 'GET', `/api/users/${u.id}/orders`, { token: u.token });
  expect(r.status).toBe(200);
  return r.json.orders.map((o: { product: string }) => o.product);
}

describe('read/write split', () => {
  it('writes go to the primary, order reads to the replica', async () => {
    await waitFor('replica ok', async () => (await replicaState()) === 'ok', 20_000);
    expect((await req(node.url, 'POST', '/api/orders', { token: u.token, body: { product: 'first', quantity: 1, unit_price_cents: 1 } })).status).toBe(201);
    await waitFor('replication', async () => (await infra.psql('SELECT count(*) FROM orders', infra.replica)) === '1', 20_000);
    const before = await reads('replica-1');
    expect(await listProducts()).toEqual(['first']);
    expect(await reads('replica-1')).toBe(before + 1);
    expect(await infra.psql('SELECT pg_is_in_recovery()', infra.replica)).toBe('t');
  });

  it('a replica lagging past the bound is skipped: reads go to the primary and see the latest write', async () => {
    await infra.psql('SELECT pg_wal_replay_pause()', infra.replica);
    try {
      expect((await req(node.url, 'POST', '/api/orders', { token: u.token, body: { product: 'second', quantity: 1, unit_price_cents: 1 } })).status).toBe(201);
      await waitFor('replica marked lagging', async () => (await replicaState()) === 'lagging', 20_000);
      const m0 = await metrics(node.url);
      expect(await listProducts(), 'while lagging').toEqual(['second', 'first']); // the replica alone would say ['first']
      const m1 = await metrics(node.url);
      expect(metric(m1, 'db_queries_total', { pool: 'replica-1', kind: 'read' })).toBe(metric(m0, 'db_queries_total', { pool: 'replica-1', kind: 'read' }));
      expect(metric(m1, 'db_replica_fallbacks_total', { reason: 'lagging' })).toBeGreaterThan(metric(m0, 'db_replica_fallbacks_total', { reason: 'lagging' }));
      expect(await infra.psql('SELECT count(*) FROM orders', infra.replica)).toBe('1');
    } finally {
      await infra.psql('SELECT pg_wal_replay_resume()', infra.replica);
    }
    await waitFor('replay caught up', async () => (await infra.psql('SELECT count(*) FROM orders', infra.replica)) === '2', 20_000);
    await waitFor('replica back', async () => (await replicaState()) === 'ok', 20_000);
    const before = await reads('replica-1');
    expect(await listProducts(), 'after resume').toEqual(['second', 'first']);
    expect(await reads('replica-1')).toBe(before + 1);
  });

  it('a replica that is down: reads fall back to the primary with no error', async () => {
    await docker('stop', '-t', '5', infra.replica!.name);
    try {
      // Before the monitor notices: the failing query is retried on the primary.
      expect(await listProducts()).toEqual(['second', 'first']);
      await waitFor('replica marked down', async () => (await replicaState()) === 'down', 20_000);
      expect(await listProducts()).toEqual(['second', 'first']);
      const m = await metrics(node.url);
      expect(metric(m, 'db_replica_healthy', { pool: 'replica-1' })).toBe(0);
      expect(metric(m, 'db_replica_fallbacks_total', { reason: 'down' }) + metric(m, 'db_replica_fallbacks_total', { reason: 'error' })).toBeGreaterThan(0);
      expect((await req(node.url, 'GET', '/ready')).status).toBe(200); // replicas are optional
    } finally {
      await docker('start', infra.replica!.name);
    }
    await infra.waitPostgres(infra.replica!);
    await waitFor('replica back', async () => (await replicaState()) === 'ok', 30_000);
  });

  it('a replica URL that never answered from the start is never used', async () => {
    const dead = `postgres://app:x@127.0.0.1:${await freePort()}/app`;
    const other = await NodeProc.start({ ...nodeEnv(infra, secret(), { DATABASE_REPLICA_URLS: `${dead}`, REPLICA_CHECK_INTERVAL_MS: '200' }), NODE_NAME: 'api-dead-replica' });
    await other.waitReady();
    const me = await signUp(other.url, `dead-${secret(4)}@example.com`.toLowerCase());
    const r = await req(other.url, 'GET', `/api/users/${me.id}/orders`, { token: me.token });
    expect(r.status).toBe(200);
    expect(other.output).not.toContain(':x@'); // the replica URL (with its password) is never logged
    await other.stop();
  });
});
