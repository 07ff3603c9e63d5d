import { describe, expect, it } from 'vitest';
import { Ring, SeriesStore, Tier } from './series.ts';

describe('Ring', () => {
  it('keeps the last `capacity` points in order', () => {
    const r = new Ring(3);
    expect(r.latest()).toBeUndefined();
    for (let i = 1; i <= 5; i++) r.push(i * 1000, i);
    expect(r.size).toBe(3);
    expect(r.since()).toEqual({ t: [3000, 4000, 5000], v: [3, 4, 5] });
    expect(r.latest()).toEqual([5000, 5]);
    expect(r.at(0)).toEqual([3000, 3]);
    expect(r.at(3)).toBeUndefined();
    expect(r.since(4000)).toEqual({ t: [4000, 5000], v: [4, 5] });
    expect(r.since(9000)).toEqual({ t: [], v: [] });
  });
});

describe('Tier', () => {
  it('buckets by epoch-aligned windows with avg/max/min, including the open bucket', () => {
    const t = new Tier(5000, 10);
    [1, 2, 3, 10, 0].forEach((v, i) => t.add(10_000 + i * 1000, v)); // bucket 10000
    [4, 6].forEach((v, i) => t.add(15_000 + i * 1000, v)); // bucket 15000 (open)
    const v = t.view(0);
    expect(v.t).toEqual([10_000, 15_000]);
    expect(v.v).toEqual([3.2, 5]);
    expect(v.max).toEqual([10, 6]);
    expect(v.min).toEqual([0, 4]);
  });
  it('drops the oldest buckets past capacity', () => {
    const t = new Tier(1000, 2);
    for (let i = 0; i < 5; i++) t.add(i * 1000, i);
    expect(t.view(0).t).toEqual([2000, 3000, 4000]); // 2 closed + the open one
  });
});

describe('SeriesStore', () => {
  const fill = (s: SeriesStore, key: string, from: number, n: number, stepMs = 1000, f = (i: number) => i) => {
    for (let i = 0; i < n; i++) s.push(key, from + i * stepMs, f(i));
  };

  it('keeps 15 minutes at 1 s raw, and answers windows from raw points', () => {
    const s = new SeriesStore();
    fill(s, 'api-1:cpu_pct', 0, 2000);
    const now = 1999 * 1000;
    const q = s.query('api-1:cpu_pct', 60_000, { now });
    expect(q.stepMs).toBe(0);
    expect(q.t).toHaveLength(61);
    expect(q.v.at(-1)).toBe(1999);
    const full = s.query('api-1:cpu_pct', 15 * 60_000, { now });
    expect(full.t).toHaveLength(901);
  });

  it('serves longer windows from the 5 s and 30 s tiers', () => {
    const s = new SeriesStore();
    fill(s, 'k', 0, 3 * 3600, 1000, (i) => (i % 10 === 0 ? 100 : 0));
    const now = (3 * 3600 - 1) * 1000;
    const h = s.query('k', 3600_000, { now });
    expect(h.stepMs).toBe(5000);
    expect(h.t.length).toBeGreaterThanOrEqual(720);
    expect(h.t.length).toBeLessThanOrEqual(721);
    expect(h.max!.every((m) => m === 100 || m === 0)).toBe(true);
    const avg = h.v.reduce((a, b) => a + b, 0) / h.v.length;
    expect(avg).toBeCloseTo(10, 0);
    const long = s.query('k', 3 * 3600_000, { now });
    expect(long.stepMs).toBe(30_000);
    expect(long.t.length).toBeGreaterThanOrEqual(360);
    expect(long.max!.every((m) => m === 100)).toBe(true);
    expect(long.v[5]).toBeCloseTo(10, 6);
  });

  it('downsamples a short window when maxPoints asks for it', () => {
    const s = new SeriesStore();
    fill(s, 'k', 0, 900);
    const q = s.query('k', 900_000, { now: 899_000, maxPoints: 300 });
    expect(q.stepMs).toBe(5000);
    expect(q.t.length).toBeLessThanOrEqual(181);
  });

  it('drops non-finite and out-of-order points; prunes old series', () => {
    const s = new SeriesStore();
    expect(s.push('k', 1000, NaN)).toBe(false);
    expect(s.push('k', 1000, Infinity)).toBe(false);
    expect(s.push('k', 2000, 1)).toBe(true);
    expect(s.push('k', 1500, 2)).toBe(false);
    expect(s.latest('k')).toEqual([2000, 1]);
    expect(s.query('none', 1000).t).toEqual([]);
    s.push('old', 10, 1);
    s.prune(1000);
    expect(s.keys()).toEqual(['k']);
  });
});
