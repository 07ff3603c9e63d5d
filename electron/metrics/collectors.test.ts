import { describe, expect, it } from 'vitest';
import { parseStubStatus } from './collectors/nginx.ts';
import { parseRedisInfo } from './collectors/redis.ts';
import { PassThrough } from 'node:stream';
import { LineSplitter, StatsStreamCollector } from './collectors/stats-stream.ts';
import { backoffMs, errorMessage, SourceTracker, timing, withTimeout } from './source.ts';

describe('parseStubStatus', () => {
  it('reads NGINX stub_status', () => {
    const text = 'Active connections: 291 \nserver accepts handled requests\n 16630948 16630948 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n';
    expect(parseStubStatus(text)).toEqual({ active: 291, accepts: 16630948, handled: 16630948, requests: 31070465, reading: 6, writing: 179, waiting: 106 });
  });
  it('rejects anything else', () => {
    expect(() => parseStubStatus('<html>403 Forbidden</html>')).toThrow(/not an NGINX stub_status/);
  });
});

describe('parseRedisInfo', () => {
  it('flattens sections', () => {
    const info = parseRedisInfo('# Server\r\nredis_version:7.0.15\r\n\r\n# Stats\r\ntotal_commands_processed:42\r\nkeyspace_hits:3\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n');
    expect(info).toMatchObject({ redis_version: '7.0.15', total_commands_processed: '42', keyspace_hits: '3', db0: 'keys=1,expires=0' });
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks and skips blank ones', () => {
    const lines: string[] = [];
    const s = new LineSplitter();
    for (const chunk of ['{"a":', '1}\n\n{"b"', ':2}\n{"c":3']) s.push(chunk, (l) => lines.push(l));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    s.push('}\n', (l) => lines.push(l));
    expect(lines.at(-1)).toBe('{"c":3}');
  });
  it('refuses endless lines', () => {
    const s = new LineSplitter(10);
    expect(() => s.push('x'.repeat(11), () => undefined)).toThrow(/longer than/);
  });
});

describe('source plumbing', () => {
  it('withTimeout settles on time even when the work ignores the signal', async () => {
    const t0 = Date.now();
    await expect(withTimeout(50, () => new Promise(() => undefined))).rejects.toThrow('timed out after 50 ms');
    expect(Date.now() - t0).toBeLessThan(500);
    await expect(withTimeout(50, async () => 7)).resolves.toBe(7);
    await expect(withTimeout(50, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      withTimeout(50, () => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
  });
  it('backs off exponentially up to the cap, with jitter', () => {
    const t = timing(1000, { maxBackoffMs: 15_000 });
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(n, t, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(backoffMs(1, t, () => 0)).toBe(900);
    expect(backoffMs(1, t, () => 1)).toBe(1100);
  });
  it('tracks up/down/stale', () => {
    const s = new SourceTracker('api-1', 'api', 3000);
    expect(s.snapshot(0).state).toBe('starting');
    s.ok(1000, 12.34);
    expect(s.snapshot(2000)).toMatchObject({ id: 'api-1:api', state: 'up', lastOkAt: 1000, latencyMs: 12.3 });
    expect(s.snapshot(5000).state).toBe('stale');
    s.fail(6000, new Error('connect ECONNREFUSED 10.0.0.2:3000'), 7000);
    expect(s.snapshot(6000)).toMatchObject({ state: 'down', failures: 1, error: 'connect ECONNREFUSED 10.0.0.2:3000', nextRetryAt: 7000 });
    s.ok(8000);
    expect(s.snapshot(8000)).toMatchObject({ state: 'up', failures: 0 });
    expect(s.snapshot(8000).error).toBeUndefined();
  });
  it('error messages carry the code', () => {
    expect(errorMessage(Object.assign(new Error('connect failed'), { code: 'EHOSTUNREACH' }))).toBe('connect failed (EHOSTUNREACH)');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new AggregateError([new Error('inner')]))).toBe('inner');
  });
});

describe('StatsStreamCollector', () => {
  const sample = (k: number) =>
    JSON.stringify({
      read: new Date(Date.UTC(2026, 0, 1, 0, 0, k)).toISOString(),
      cpu_stats: { cpu_usage: { total_usage: k * 1e9 }, system_cpu_usage: k * 2e9, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: (k - 1) * 1e9 }, system_cpu_usage: (k - 1) * 2e9, online_cpus: 2 },
      memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 200 } },
    }) + '\n';

  async function feed(intervalMs: number, lines: string[]) {
    const stream = new PassThrough();
    const points: [string, number][] = [];
    const c = new StatsStreamCollector({ id: 'x', name: 'x', service: 'api-1', role: 'api' }, { openStatsStream: async () => stream }, timing(intervalMs), (_s, m, _t, v) => points.push([m, v]));
    c.start();
    await new Promise((r) => setTimeout(r, 20));
    for (const l of lines) stream.write(l);
    await new Promise((r) => setTimeout(r, 20));
    const status = c.tracker.snapshot(Date.now());
    await c.stop();
    return { points, status, c };
  }

  it('keeps every engine sample at 1 s and thins to longer intervals', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => sample(i + 2)); // sample 1's precpu is empty
    const at1 = await feed(1000, lines);
    expect(at1.points.filter(([m]) => m === 'cpu_pct')).toHaveLength(10);
    expect(at1.points.filter(([m]) => m === 'cpu_pct').every(([, v]) => Math.abs(v - 100) < 1e-9)).toBe(true);
    expect(at1.points.find(([m]) => m === 'mem_bytes')![1]).toBe(800);
    expect(at1.c.memLimitBytes).toBe(4000);
    const at3 = await feed(3000, lines);
    expect(at3.points.filter(([m]) => m === 'cpu_pct')).toHaveLength(4); // samples 2, 5, 8, 11
    expect(at3.points.filter(([m]) => m === 'cpu_pct').every(([, v]) => Math.abs(v - 100) < 1e-9)).toBe(true);
  });

  it('tolerates a stray bad line, gives up on a stream of garbage, and marks a stopped container down', async () => {
    const one = await feed(1000, [sample(1), 'not json\n', sample(2)]);
    expect(one.status.state).toBe('up');
    const garbage = await feed(1000, ['<html>\n', 'x\n', 'y\n']);
    expect(garbage.status).toMatchObject({ state: 'down' });
    expect(garbage.status.error).toMatch(/not JSON/);
    const stopped = await feed(1000, [sample(1), JSON.stringify({ read: '0001-01-01T00:00:00Z' }) + '\n']);
    expect(stopped.status).toMatchObject({ state: 'down', error: 'container is not running' });
  });
});
