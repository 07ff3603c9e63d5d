import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, destroyCluster, freePort, labelled, specYaml, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * Bad input gets a clear message naming the field or cause and what to do, exits non-zero,
 * and creates nothing.
 */
const home = tempDir();
const names: string[] = [];
const fresh = () => {
  const n = uniqueName('bad');
  names.push(n);
  return n;
};

async function nothingCreated(name: string) {
  expect(await labelled('ps', name)).toEqual([]);
  expect(await labelled('network', name)).toEqual([]);
  expect(await labelled('volume', name)).toEqual([]);
}

afterAll(async () => {
  for (const n of names) await destroyCluster(n);
});

describe('bad input', () => {
  it('invalid YAML: names the line', async () => {
    const f = writeSpec(home, 'name: x\napi:\n  replicas: [1, 2\n', 'broken.yaml');
    const r = await cli(['up', f], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid YAML/);
    expect(r.stderr).toMatch(/line \d/);
  });

  it('unknown keys: names the key and the keys that are allowed', async () => {
    const name = fresh();
    const f = writeSpec(home, `name: ${name}\napi:\n  replica: 3\nbalancr: {}\n`, 'unknown.yaml');
    const r = await cli(['up', f], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('api/replica: unknown key');
    expect(r.stderr).toContain('replicas');
    expect(r.stderr).toContain('balancr: unknown key');
    await nothingCreated(name);
  });

  it.each([0, 10000])('replicas %i: says the allowed range', async (n) => {
    const name = fresh();
    const f = writeSpec(home, specYaml(name, 18080, n), `replicas-${n}.yaml`);
    const r = await cli(['up', f], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`api/replicas: must be between 1 and 64 (got ${n})`);
    await nothingCreated(name);
  });

  it('scale to an out-of-range count is refused', async () => {
    const r = await cli(['scale', 'whatever', 'api=0'], home);
    expect(r.code).toBe(2);
  });

  it('a name with spaces: names the field', async () => {
    const f = writeSpec(home, 'name: my cluster\n', 'spaces.yaml');
    const r = await cli(['up', f], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/name: must be .*no spaces.*got "my cluster"/);
  });

  it('a host port already in use: says which port and what to do, creates nothing', async () => {
    const name = fresh();
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const f = writeSpec(home, specYaml(name, port, 2), 'port.yaml');
      const r = await cli(['up', f], home);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`balancer/port: 127.0.0.1:${port} is already in use`);
      expect(r.stderr).toContain('Choose another port');
      await nothingCreated(name);
    } finally {
      blocker.close();
    }
  });

  it('an image that does not exist: names the image, creates nothing', async () => {
    const name = fresh();
    const f = writeSpec(home, `${specYaml(name, await freePort(), 2)}redis:\n  image: scaledeck-test/does-not-exist:404\n`, 'image.yaml');
    const r = await cli(['up', f], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('scaledeck-test/does-not-exist:404: not on this engine');
    expect(r.stderr).toContain('Nothing was created');
    await nothingCreated(name);
  });

  it('the Docker engine not running: says so and how to start it', async () => {
    const name = fresh();
    const f = writeSpec(home, specYaml(name, await freePort(), 2), 'noengine.yaml');
    const r = await cli(['up', f], home, { DOCKER_HOST: 'unix:///tmp/scaledeck-no-such-docker.sock' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot reach the Docker engine at unix:///tmp/scaledeck-no-such-docker.sock');
    expect(r.stderr).toMatch(/Start Docker/);
    const s = await cli(['status'], home, { DOCKER_HOST: 'unix:///tmp/scaledeck-no-such-docker.sock' });
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('Cannot reach the Docker engine');
  });

  it('a cluster that does not exist: down and status say so', async () => {
    const r = await cli(['down', 'nosuchcluster'], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No cluster named "nosuchcluster"');
  });
});
