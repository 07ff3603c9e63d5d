import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaleDeck } from '../../electron/services/scaledeck.ts';
import { Workspace } from '../../electron/workspace/workspace.ts';
import { destroyCluster, docker, freePort, specYaml, tempDir, uniqueName, waitFor } from '../support/cluster.ts';

/** Pause, resume and abort of a rolling upgrade, through the API the app and web mode use. */
const name = uniqueName('ctl');
const app = new ScaleDeck({ workspace: new Workspace(tempDir()), imageSet: 'test' });
const NEXT = `scaledeck-test/api:ctl-${name}`;
const h = app.handlers();
/** Wait until the upgrade is held at batch 2; fail with the operation's own error if it ended instead. */
async function waitPaused(operationId: string) {
  const op = await waitFor(
    async () => {
      const o = await h['operations.get']({ id: operationId });
      return o.state !== 'running' || o.steps.find((s) => s.id === 'batch-2:start')?.message?.includes('paused') ? o : null;
    },
    180_000,
    'the pause',
  );
  if (op.state !== 'running') throw new Error(`the upgrade ended before the pause: ${op.state} ${op.error?.message ?? ''}`);
}

const images = async () =>
  (await docker('ps', '--filter', `label=io.scaledeck.cluster=${name}`, '--filter', 'label=io.scaledeck.role=api', '--format', '{{.Label "io.scaledeck.image"}}')).split('\n').sort();

beforeAll(async () => {
  await docker('tag', 'scaledeck-test/api:1', NEXT);
  const started = await app.apply(specYaml(name, await freePort(), 2, 'worker:\n  replicas: 0\n'));
  await started.done;
});

afterAll(async () => {
  app.dispose();
  await destroyCluster(name);
  await docker('rmi', NEXT).catch(() => '');
});

describe('upgrade control', () => {
  it('pause holds the upgrade between batches; resume finishes it', { timeout: 400_000 }, async () => {
    const { operationId } = await h['upgrades.start']({ cluster: name, image: NEXT, strategy: 'rolling', batch: 1, probeRate: 0 });
    expect(await h['upgrades.control']({ cluster: name, action: 'pause' })).toEqual({ state: 'paused' });
    // The first batch (already started) finishes; the second waits.
    await waitPaused(operationId);
    await new Promise((r) => setTimeout(r, 1500));
    const op = await h['operations.get']({ id: operationId });
    expect(op.state).toBe('running');
    expect(op.steps.find((s) => s.id === 'batch-2:gate')!.state).toBe('pending');
    await h['upgrades.control']({ cluster: name, action: 'resume' });
    await waitFor(async () => (await h['operations.get']({ id: operationId })).state !== 'running', 120_000, 'the upgrade to end');
    expect((await h['operations.get']({ id: operationId })).state).toBe('succeeded');
    expect(await images()).toEqual([NEXT, NEXT]);
  });

  it('abort rolls back what was changed', { timeout: 400_000 }, async () => {
    const { operationId } = await h['upgrades.start']({ cluster: name, image: 'scaledeck-test/api:1', strategy: 'rolling', batch: 1, probeRate: 0 });
    await h['upgrades.control']({ cluster: name, action: 'pause' });
    await waitPaused(operationId);
    await h['upgrades.control']({ cluster: name, action: 'abort' });
    await waitFor(async () => (await h['operations.get']({ id: operationId })).state !== 'running', 120_000, 'the abort');
    expect((await h['operations.get']({ id: operationId })).state).toBe('failed');
    const rec = (await h['upgrades.list']({ cluster: name }))[0]!;
    expect(rec.state).toBe('rolled-back');
    expect(rec.reason).toContain('aborted by the user');
    expect(await images()).toEqual([NEXT, NEXT]);
    await expect(h['upgrades.control']({ cluster: name, action: 'resume' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
