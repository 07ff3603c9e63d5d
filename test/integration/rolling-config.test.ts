import { afterAll, describe, expect, it } from 'vitest';
import { cli, destroyCluster, docker, freePort, specYaml, startProbe, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * A spec change that recreates every API node (here: a new environment variable, as adding a read
 * replica does) rolls through them one at a time behind the balancer: a GET probe sees no failure,
 * and afterwards every node runs with the new setting.
 */
const name = uniqueName('roll');
const home = tempDir();

afterAll(async () => {
  await destroyCluster(name);
});

describe('rolling recreate of API nodes on a config change', () => {
  it('applies an env change to 3 nodes under traffic with 0 failures', async () => {
    const port = await freePort();
    const up = await cli(['up', writeSpec(home, specYaml(name, port, 3))], home);
    expect(up.code, up.stderr).toBe(0);
    const before = await docker('ps', '-q', '--filter', `label=io.scaledeck.cluster=${name}`, '--filter', 'label=io.scaledeck.role=api');

    const probe = startProbe(`http://127.0.0.1:${port}/`, { concurrency: 4, maxMs: 180_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const spec = writeSpec(home, `name: ${name}\napi:\n  replicas: 3\n  env:\n    FEATURE: "on"\nbalancer:\n  port: ${port}\n`, 'changed.yaml');
    const r = await cli(['up', spec], home);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/marked down/);
    await new Promise((r) => setTimeout(r, 1000));
    const stats = await probe.stop();
    expect(stats.failed, stats.errors.join('\n')).toBe(0);
    expect(stats.ok).toBeGreaterThan(100);

    const after = await docker('ps', '-q', '--filter', `label=io.scaledeck.cluster=${name}`, '--filter', 'label=io.scaledeck.role=api');
    const kept = after.split('\n').filter((id) => before.split('\n').includes(id));
    expect(kept).toEqual([]);
    const env = await docker('inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', `sd-${name}-api-2`);
    expect(env).toContain('FEATURE=on');
  });
});
