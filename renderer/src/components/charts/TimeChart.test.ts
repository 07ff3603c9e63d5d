import { describe, expect, it } from 'vitest';
import { lastAtOrBefore, niceScale, timeTicks } from './TimeChart.tsx';

describe('time chart scales', () => {
  it('rounds the y axis up to a nice top in 3 to 5 steps', () => {
    expect(niceScale(37)).toEqual({ top: 40, step: 10 });
    expect(niceScale(0.83)).toEqual({ top: 1, step: 0.25 });
    expect(niceScale(1234)).toEqual({ top: 1500, step: 500 });
    const z = niceScale(0);
    expect(z.top).toBeGreaterThan(0);
  });

  it('puts time ticks on round instants, about one per 110 px', () => {
    const from = Date.UTC(2026, 0, 1, 10, 0, 3);
    expect(timeTicks(from, from + 300_000, 560)).toEqual([1, 2, 3, 4].map((m) => Date.UTC(2026, 0, 1, 10, m)).concat(Date.UTC(2026, 0, 1, 10, 5)));
    const ticks = timeTicks(from, from + 60_000, 330);
    expect(ticks.length).toBeLessThanOrEqual(3);
    expect(ticks.every((t) => t % 30_000 === 0)).toBe(true);
  });

  it('finds the last point at or before a time', () => {
    const t = [10, 20, 30, 40];
    expect(lastAtOrBefore(t, 5)).toBe(-1);
    expect(lastAtOrBefore(t, 20)).toBe(1);
    expect(lastAtOrBefore(t, 35)).toBe(2);
    expect(lastAtOrBefore(t, 99)).toBe(3);
  });
});
