import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../shared/api/contract.ts';
import { ScaleDeck } from '../../electron/services/scaledeck.ts';
import { Workspace } from '../../electron/workspace/workspace.ts';
import { destroyCluster, docker, tempDir, uniqueName, waitFor } from '../support/cluster.ts';

/** logs.follow streams a real container's stdout and stderr as batched events, and stops cleanly. */
const cluster = uniqueName('logs');
const app = new ScaleDeck({ workspace: new Workspace(tempDir()), imageSet: 'test' });

afterAll(async () => {
  app.dispose();
  await destroyCluster(cluster);
});

describe('logs.follow', () => {
  it('delivers the tail and new lines from both streams, then ends on stop', async () => {
    await docker(
      'run', '-d', '--name', `sd-${cluster}-api-1`, '--label', `io.scaledeck.cluster=${cluster}`,
      'scaledeck-test/node:1', 'node', '-e',
      "console.log('first line'); let i = 0; setInterval(() => { i++; console.log('tick ' + i); console.error('warn ' + i); }, 200)",
    );
    const received: ApiEvent[] = [];
    const off = app.events.subscribe((e) => {
      if (e.type === 'logs') received.push(e);
    });
    const h = app.handlers();
    const { streamId } = await h['logs.follow']({ cluster, service: 'api-1', tail: 50 });
    const lines = () => received.flatMap((e) => (e.type === 'logs' && e.streamId === streamId ? e.lines : []));
    await waitFor(async () => lines().some((l) => l.text === 'tick 3') && lines().some((l) => l.stream === 'stderr'), 15_000, 'log lines');
    expect(lines()[0]!.text).toBe('first line');
    expect(lines()[0]!.ts).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(lines().find((l) => l.text.startsWith('warn'))!.stream).toBe('stderr');
    // Lines arrive in batches, not one event per line.
    expect(received.length).toBeLessThan(lines().length);
    // Renewing the lease keeps the same stream.
    expect((await h['logs.follow']({ cluster, service: 'api-1', streamId })).streamId).toBe(streamId);
    await h['logs.stop']({ streamId });
    expect(received.at(-1)).toMatchObject({ type: 'logs', streamId, ended: true });
    off();
  });

  it('a service that does not exist is a clear NOT_FOUND', async () => {
    await expect(app.handlers()['logs.follow']({ cluster, service: 'api-9' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
