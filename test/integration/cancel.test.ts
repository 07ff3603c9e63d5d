import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, destroyCluster, docker, freePort, labelled, nodesSeen, ROOT, specYaml, tempDir, uniqueName, waitFor, writeSpec } from '../support/cluster.ts';

/**
 * Ctrl-C during `up` cancels cleanly: steps in progress finish, the rest are skipped, the command
 * says so and exits 1, nothing is left half-made (every container that exists was started), and
 * the next `up` finishes the cluster.
 */
const name = uniqueName('cancel');
const home = tempDir();

afterAll(async () => {
  await destroyCluster(name);
});

describe('cancelled up', () => {
  it('stops starting steps on SIGINT and a later up completes', async () => {
    const port = await freePort();
    const spec = writeSpec(home, specYaml(name, port, 3));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), 'up', spec], { env: cliEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // Cancel once the first step has finished (the network), before the API nodes can exist.
    await waitFor(async () => /✓/.test(output), 60_000, 'a first finished step');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, output).toBe(1);
    expect(output).toContain('Cancelling');
    expect(output).toMatch(/Cancelled: \d+ of \d+ steps/);
    expect(output).toMatch(/- .*cancelled before it started/);

    // Nothing half-made: whatever exists is running, and the cluster is not complete.
    const partial = await labelled('ps', name);
    expect(partial.length).toBeLessThan(7);
    if (partial.length) {
      const states = (await docker('inspect', '-f', '{{.State.Status}}', ...partial)).split('\n');
      expect(states.every((s) => s === 'running'), states.join(',')).toBe(true);
    }

    const r = await cli(['up', spec], home);
    expect(r.code, r.stderr).toBe(0);
    expect(await labelled('ps', name)).toEqual(['api-1', 'api-2', 'api-3', 'balancer', 'postgres', 'redis', 'worker-1'].map((s) => `sd-${name}-${s}`).sort());
    expect((await nodesSeen(`http://127.0.0.1:${port}/`, 15)).size).toBe(3);
  });
});
