import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiEvent, OperationView } from '../../shared/api/index.ts';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import { Workspace } from '../workspace/workspace.ts';
import { ScaleDeck } from './scaledeck.ts';

/** operations.cancel through the contract's handler: the run sees its signal, the operation ends `cancelled`. */
describe('cancelling an operation', () => {
  it('aborts the run signal, marks the request, and ends as cancelled with the reason', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'sd-op-'));
    const deck = new ScaleDeck({ engine: {} as never, workspace: new Workspace(ws) });
    const seen: OperationView[] = [];
    deck.events.subscribe((e: ApiEvent) => e.type === 'operation' && seen.push(e.operation));
    const started = await deck.runOperation('c1', 'up', async () => ({
      planText: 'two steps',
      cancellable: true,
      steps: [
        { id: 'a', label: 'a' },
        { id: 'b', label: 'b' },
      ],
      run: (_update, signal) =>
        new Promise<void>((_res, rej) => {
          signal.addEventListener('abort', () => rej(new ScaleDeckError('CANCELLED', 'Cancelled: 1 of 2 steps had finished', 'run up again')));
        }),
    }));
    const handlers = deck.handlers();
    const view = await handlers['operations.cancel']({ id: started.operationId });
    expect(view.cancelRequested).toBe(true);
    await expect(started.done).rejects.toThrow(/Cancelled/);
    const final = await handlers['operations.get']({ id: started.operationId });
    expect(final.state).toBe('cancelled');
    expect(final.error).toMatchObject({ code: 'CANCELLED', hint: 'run up again' });
    expect(seen.some((o) => o.cancelRequested && o.state === 'running')).toBe(true);
    await expect(handlers['operations.cancel']({ id: started.operationId })).rejects.toThrow(/already cancelled/);
    await expect(handlers['operations.cancel']({ id: 'nope' })).rejects.toThrow(/No operation/);
  });
});
