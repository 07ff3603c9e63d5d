import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, destroyCluster, docker, freePort, labelled, nodesSeen, ROOT, specYaml, tempDir, uniqueName, waitFor, writeSpec } from '../support/cluster.ts';

/** SIGKILL the CLI in the middle of `up`; the next `up` converges with no duplicate and no orphan. */
const name = uniqueName('kill');
const home = tempDir();

afterAll(async () => {
  await destroyCluster(name);
});

describe('interrupted up', () => {
  it('converges after the CLI is killed mid-way', async () => {
    const port = await freePort();
    const spec = writeSpec(home, specYaml(name, port, 3));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), 'up', spec], { env: cliEnv(home), stdio: 'ignore' });
    // Kill it once some containers exist but before the cluster is complete.
    await waitFor(async () => (await labelled('ps', name)).length >= 2, 60_000, 'first containers');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = await labelled('ps', name);
    expect(partial.length).toBeLessThan(7);

    const r = await cli(['up', spec], home);
    expect(r.code, r.stderr).toBe(0);
    const names = await labelled('ps', name);
    expect(names).toEqual(['api-1', 'api-2', 'api-3', 'balancer', 'postgres', 'redis', 'worker-1'].map((s) => `sd-${name}-${s}`).sort());
    expect(await labelled('network', name)).toEqual([`sd-${name}`]);
    expect(await labelled('volume', name)).toEqual([`sd-${name}-pgdata`]);
    const health = await docker('inspect', '-f', '{{.State.Health.Status}}', ...names);
    expect(health.split('\n').every((h) => h === 'healthy')).toBe(true);
    expect((await nodesSeen(`http://127.0.0.1:${port}/`, 15)).size).toBe(3);
    // And a further up has nothing to do.
    const again = await cli(['up', spec, '--dry-run'], home);
    expect(again.stdout).toContain('nothing to do');
  });
});
