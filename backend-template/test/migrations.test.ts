// Migrations under an advisory lock: three nodes started at the same moment on an empty database
// apply the schema exactly once. And a node started before Postgres is up retries, then serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Infra, NodeProc, buildTemplate, docker, killAll, nodeEnv, req, secret, sleep, waitFor } from './helpers.ts';

let infra: Infra;
const JWT = secret();

beforeAll(async () => {
  [infra] = await Promise.all([Infra.start(), buildTemplate()]);
});

afterAll(async () => {
  await killAll();
  await infra?.stop();
});

describe('migrations', () => {
  it('3 nodes started at once: all become ready, the schema is applied exactly once', async () => {
    expect(await infra.psql("SELECT count(*) FROM pg_tables WHERE tablename IN ('users', 'orders', 'schema_migrations')")).toBe('0');
    const env = nodeEnv(infra, JWT);
    const nodes = await Promise.all([1, 2, 3].map((i) => NodeProc.start({ ...env, NODE_NAME: `api-${i}` })));
    await Promise.all(nodes.map((n) => n.waitReady()));
    expect(await infra.psql('SELECT version || name FROM schema_migrations ORDER BY version')).toBe('1create_users\n2create_orders');
    const applied = nodes.map((n) => n.logs().filter((l) => l.msg === 'migration applied').length);
    expect(applied.sort()).toEqual([0, 0, 2]); // one node did both, the others found nothing to do
    const upToDate = nodes.filter((n) => n.logs().some((l) => l.msg === 'schema up to date'));
    expect(upToDate).toHaveLength(2);
    // The schema works through any node.
    const email = `m-${secret(4)}@example.com`.toLowerCase();
    expect((await req(nodes[2]!.url, 'POST', '/api/register', { body: { email, password: 'password123', name: 'M' } })).status).toBe(201);
    // A fourth node later: nothing to apply.
    const late = await NodeProc.start({ ...env, NODE_NAME: 'api-4' });
    await late.waitReady();
    expect(late.logs().some((l) => l.msg === 'schema up to date')).toBe(true);
    const codes = await Promise.all([...nodes, late].map((n) => n.stop()));
    expect(codes.map((c) => c.code)).toEqual([0, 0, 0, 0]);
  });

  it('Postgres down at start: the node is healthy at once, not ready, retries, then serves', async () => {
    await docker('stop', '-t', '10', infra.pg.name);
    const node = await NodeProc.start({ ...nodeEnv(infra, JWT), NODE_NAME: 'api-early' });
    const t0 = Date.now();
    await node.waitHealthy(5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    const notReady = await req(node.url, 'GET', '/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.json.checks).toMatchObject({ database: false, migrations: false });
    // API routes say why, with a Retry-After, rather than failing obscurely.
    const early = await req(node.url, 'POST', '/api/login', { body: { email: 'a@b.co', password: 'password123' } });
    expect(early.status).toBe(503);
    expect(early.json.message).toMatch(/schema is not ready/);
    await waitFor('a retried migration attempt', async () => node.logs().filter((l) => l.msg?.toString().startsWith('migrations failed')).length >= 2, 15_000);
    await sleep(500);
    expect(node.exitInfo).toBeUndefined(); // still running, not crashed
    await docker('start', infra.pg.name);
    await infra.waitPostgres(infra.pg);
    await node.waitReady(30_000);
    expect((await req(node.url, 'POST', '/api/login', { body: { email: 'nobody@example.com', password: 'password123' } })).status).toBe(401);
    expect((await node.stop()).code).toBe(0);
  });
});
