import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineClient } from '../docker/client.ts';
import { Workspace } from '../workspace/workspace.ts';
import { ScaleDeck } from './scaledeck.ts';

/** Which engines a cluster's metrics follow, from its stored spec (no Docker, no SSH needed). */
const decks: ScaleDeck[] = [];
afterEach(async () => {
  for (const d of decks.splice(0)) await d.metrics.stopAll();
});

describe('MetricsService placement', () => {
  it('follows only the local engine for a local cluster, and every host once the spec places services on hosts', async () => {
    const engine = { listContainers: async () => [], docker: { info: async () => ({ MemTotal: 1e9 }) } } as unknown as EngineClient;
    const deck = new ScaleDeck({ engine, workspace: new Workspace(mkdtempSync(join(tmpdir(), 'sd-mtr-'))), imageSet: 'test' });
    decks.push(deck);
    deck.workspace.writeSpec('c1', 'name: c1\napi:\n  replicas: 1\n');
    const local = await deck.metrics.snapshot('c1');
    // Exactly as before hosts existed: one engine source, no host fields.
    expect(local.sources.map((s) => s.id)).toEqual(['cluster:engine']);
    expect(local.sources[0]).toMatchObject({ state: 'up' });
    expect(local.sources[0]!.host).toBeUndefined();

    // Re-placed onto a host (unknown to this workspace): the hub follows both engines now.
    deck.workspace.writeSpec('c1', 'name: c1\napi:\n  replicas: 1\n  hosts: [web1]\n');
    const placed = await deck.metrics.snapshot('c1');
    const byId = Object.fromEntries(placed.sources.map((s) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(['cluster:engine', 'cluster@web1:engine']);
    expect(byId['cluster:engine']).toMatchObject({ state: 'up', host: 'local' });
    expect(byId['cluster@web1:engine']).toMatchObject({ state: 'down', host: 'web1' });
    expect(byId['cluster@web1:engine']!.error).toMatch(/web1/);
  });
});
