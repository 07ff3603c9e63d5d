// Graceful shutdown: SIGTERM during a slow request lets it finish, then the node exits 0 in time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Infra, NodeProc, buildTemplate, killAll, nodeEnv, req, secret, sleep } from './helpers.ts';

let infra: Infra;
let env: Record<string, string>;

beforeAll(async () => {
  [infra] = await Promise.all([Infra.start(), buildTemplate()]);
  env = nodeEnv(infra, secret(), { ENABLE_TEST_ROUTES: '1' });
});

afterAll(async () => {
  await killAll();
  await infra?.stop();
});

describe('graceful shutdown', () => {
  it('SIGTERM during a slow request: /ready turns 503, the request completes, exit 0', async () => {
    const node = await NodeProc.start({ ...env, NODE_NAME: 'api-slow', SHUTDOWN_DELAY_MS: '700' });
    await node.waitReady();
    const t0 = Date.now();
    const slow = req(node.url, 'GET', '/api/test/slow?ms=2500');
    await sleep(300);
    node.child.kill('SIGTERM');
    await sleep(150);
    // During the delay the node still answers, but says it is not ready for new work.
    const ready = await req(node.url, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.json.status).toBe('draining');
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ slept_ms: 2500 });
    const exit = await node.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(9500); // the slow request (2.5 s) finished, no hard exit
    const msgs = node.logs().map((l) => l.msg);
    expect(msgs).toContain('draining: /ready is 503');
    expect(msgs).toContain('shutdown complete');
    // After exit nothing listens any more.
    await expect(fetch(`${node.url}/health`)).rejects.toThrow();
  });

  it('without a delay: stops accepting at once, still finishes in-flight requests', async () => {
    const node = await NodeProc.start({ ...env, NODE_NAME: 'api-fast' });
    await node.waitReady();
    const slow = [req(node.url, 'GET', '/api/test/slow?ms=1500'), req(node.url, 'GET', '/api/test/slow?ms=1000')];
    await sleep(300);
    const t0 = Date.now();
    node.child.kill('SIGTERM');
    await sleep(100);
    await expect(fetch(`${node.url}/health`)).rejects.toThrow(); // listener closed
    const rs = await Promise.all(slow);
    expect(rs.map((r) => r.status)).toEqual([200, 200]);
    expect((await node.exited).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(9000); // before the 10 s hard exit
  });

  it('an idle node exits within a second; the worker exits 0 too', async () => {
    const node = await NodeProc.start({ ...env, NODE_NAME: 'api-idle' });
    const worker = await NodeProc.start({ ...env, NODE_NAME: 'worker-idle' }, { script: 'worker' });
    await Promise.all([node.waitReady(), worker.waitReady()]);
    const t0 = Date.now();
    const [a, b] = await Promise.all([node.stop(), worker.stop()]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(Date.now() - t0).toBeLessThan(9000); // well before the 10 s hard exit: idle connections do not hold shutdown
  });

  it('keeps idle HTTP connections open for 65 s (above NGINX upstream keepalive 60 s)', async () => {
    const node = await NodeProc.start({ ...env, NODE_NAME: 'api-ka' });
    await node.waitHealthy();
    const r = await fetch(`${node.url}/health`);
    expect(r.headers.get('keep-alive')).toBe('timeout=65');
    await node.stop();
  });
});
