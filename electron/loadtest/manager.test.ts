import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadTestManager, type LoadTestEvent } from './manager.ts';
import { appServer } from './testing.ts';

describe('LoadTestManager (what the API contract wraps)', () => {
  let app: Awaited<ReturnType<typeof appServer>>;
  let dir: string;
  beforeAll(async () => {
    app = await appServer();
    dir = mkdtempSync(join(tmpdir(), 'scaledeck-ltm-'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, streams events, saves, lists, gets, compares, stops', { timeout: 30_000 }, async () => {
    const events: LoadTestEvent[] = [];
    const m = new LoadTestManager({ reportsDir: dir, emit: (e) => events.push(e) });
    const doneOf = (id: string) =>
      new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (events.some((e) => e.type === 'loadtest-done' && e.runId === id)) {
            clearInterval(t);
            resolve();
          }
        }, 20);
      });

    const a = m.start({ target: app.url, model: { kind: 'open', rate: 50, duration: '1s' }, thresholds: ['p95<1000'] });
    expect(a.model).toBe('open');
    expect(m.list().running.map((r) => r.id)).toEqual([a.runId]);
    expect(m.get(a.runId).live).toMatchObject({ id: a.runId, model: 'open' });
    await doneOf(a.runId);
    const b = m.start({ target: app.url, model: { kind: 'closed', vus: 2, duration: '1s' } });
    await doneOf(b.runId);

    expect(events.filter((e) => e.type === 'loadtest-progress' && e.runId === a.runId).length).toBeGreaterThanOrEqual(1);
    expect(events.find((e) => e.type === 'loadtest-state' && e.runId === a.runId)).toMatchObject({ state: 'running' });
    const done = events.find((e) => e.type === 'loadtest-done' && e.runId === a.runId);
    expect(done).toMatchObject({ error: null, summary: { id: a.runId, model: 'open', pass: true, requests: 50 } });

    const list = m.list();
    expect(list.running).toEqual([]);
    expect(list.reports.map((r) => r.id).sort()).toEqual([a.runId, b.runId].sort());
    expect(m.get(a.runId).report?.totals.requests).toBe(50);
    const cmp = m.compare(a.runId, b.runId);
    expect(cmp.sameModel).toBe(false);
    expect(m.html(b.runId)).toMatch(/CLOSED \(virtual users\)/);

    const c = m.start({ target: app.url, model: { kind: 'closed', vus: 1, duration: '30s' } });
    expect(() => m.start({ target: 'http://192.0.2.1', model: { kind: 'closed', vus: 1 } })).toThrow(/Refusing/);
    expect(() => m.stop('lt-nope')).toThrow(/No running load test/);
    await new Promise((r) => setTimeout(r, 300));
    m.stop(c.runId);
    await doneOf(c.runId);
    expect(m.get(c.runId).report?.state).toBe('stopped');
  });
});
