import type { Point, SeriesKey, SeriesView } from './types.ts';

/** Fixed-capacity ring of (t, v) points in typed arrays: O(1) push, no allocation after creation. */
export class Ring {
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;
  private head = 0; // next write position
  private len = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('ring capacity must be >= 1');
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  get size(): number {
    return this.len;
  }

  push(t: number, v: number): void {
    this.ts[this.head] = t;
    this.vs[this.head] = v;
    this.head = (this.head + 1) % this.capacity;
    if (this.len < this.capacity) this.len++;
  }

  /** The i-th oldest point (0 = oldest). */
  at(i: number): Point | undefined {
    if (i < 0 || i >= this.len) return undefined;
    const j = (this.head - this.len + i + this.capacity) % this.capacity;
    return [this.ts[j]!, this.vs[j]!];
  }

  latest(): Point | undefined {
    return this.at(this.len - 1);
  }

  /** Points with t >= from, oldest first. */
  since(from = -Infinity): { t: number[]; v: number[] } {
    const t: number[] = [];
    const v: number[] = [];
    // Binary search for the first index with t >= from (timestamps are pushed in order).
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid)![0] < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.len; i++) {
      const j = (this.head - this.len + i + this.capacity) % this.capacity;
      t.push(this.ts[j]!);
      v.push(this.vs[j]!);
    }
    return { t, v };
  }
}

/**
 * A downsampled tier: fixed buckets of `bucketMs` aligned to the epoch, each keeping avg, max and
 * min, in rings. The bucket being filled is included in queries.
 */
export class Tier {
  private readonly avg: Ring;
  private readonly maxR: Ring;
  private readonly minR: Ring;
  private cur: { start: number; sum: number; n: number; max: number; min: number } | null = null;

  constructor(
    readonly bucketMs: number,
    readonly capacity: number,
  ) {
    this.avg = new Ring(capacity);
    this.maxR = new Ring(capacity);
    this.minR = new Ring(capacity);
  }

  get retentionMs(): number {
    return this.bucketMs * this.capacity;
  }

  add(t: number, v: number): void {
    const start = Math.floor(t / this.bucketMs) * this.bucketMs;
    if (this.cur && start < this.cur.start) return; // out of order: drop
    if (this.cur && start !== this.cur.start) this.flush();
    if (!this.cur) this.cur = { start, sum: 0, n: 0, max: -Infinity, min: Infinity };
    this.cur.sum += v;
    this.cur.n++;
    if (v > this.cur.max) this.cur.max = v;
    if (v < this.cur.min) this.cur.min = v;
  }

  private flush(): void {
    const c = this.cur;
    if (!c || c.n === 0) return;
    this.avg.push(c.start, c.sum / c.n);
    this.maxR.push(c.start, c.max);
    this.minR.push(c.start, c.min);
    this.cur = null;
  }

  view(from: number): { t: number[]; v: number[]; max: number[]; min: number[] } {
    const a = this.avg.since(from);
    const max = this.maxR.since(from).v;
    const min = this.minR.since(from).v;
    const c = this.cur;
    if (c && c.n > 0 && c.start >= from) {
      a.t.push(c.start);
      a.v.push(c.sum / c.n);
      max.push(c.max);
      min.push(c.min);
    }
    return { t: a.t, v: a.v, max, min };
  }
}

export interface SeriesStoreOptions {
  /** Raw retention (default 15 min). */
  retentionMs?: number;
  /** Expected spacing of raw points (default 1 s); with retentionMs sizes the raw ring. */
  resolutionMs?: number;
  /** Downsampled tiers (default 5 s buckets for 1 h, 30 s buckets for 6 h). */
  tiers?: { bucketMs: number; retentionMs: number }[];
}

interface Series {
  raw: Ring;
  tiers: Tier[];
  lastT: number;
}

/** Every series of a cluster: raw points in rings plus downsampled tiers for longer windows. */
export class SeriesStore {
  private readonly series = new Map<SeriesKey, Series>();
  readonly retentionMs: number;
  readonly resolutionMs: number;
  private readonly tierSpec: { bucketMs: number; retentionMs: number }[];

  constructor(opts: SeriesStoreOptions = {}) {
    this.retentionMs = opts.retentionMs ?? 15 * 60_000;
    this.resolutionMs = opts.resolutionMs ?? 1000;
    this.tierSpec = opts.tiers ?? [
      { bucketMs: 5_000, retentionMs: 60 * 60_000 },
      { bucketMs: 30_000, retentionMs: 6 * 60 * 60_000 },
    ];
  }

  /** Record a point. Returns false (and drops it) when it is not finite or older than the last one. */
  push(key: SeriesKey, t: number, v: number): boolean {
    if (!Number.isFinite(v) || !Number.isFinite(t)) return false;
    let s = this.series.get(key);
    if (!s) {
      // A little headroom over retention/resolution absorbs collectors that run slightly faster.
      const cap = Math.ceil((this.retentionMs / this.resolutionMs) * 1.1);
      s = {
        raw: new Ring(cap),
        tiers: this.tierSpec.map((x) => new Tier(x.bucketMs, Math.ceil(x.retentionMs / x.bucketMs))),
        lastT: -Infinity,
      };
      this.series.set(key, s);
    }
    if (t < s.lastT) return false;
    s.lastT = t;
    s.raw.push(t, v);
    for (const tier of s.tiers) tier.add(t, v);
    return true;
  }

  keys(): SeriesKey[] {
    return [...this.series.keys()].sort();
  }

  has(key: SeriesKey): boolean {
    return this.series.has(key);
  }

  latest(key: SeriesKey): Point | undefined {
    return this.series.get(key)?.raw.latest();
  }

  /**
   * Points of the last `windowMs` before `now`. Raw points when the window fits in raw retention
   * and yields at most `maxPoints`; else the finest tier that covers the window within maxPoints
   * (or the coarsest tier).
   */
  query(key: SeriesKey, windowMs: number, opts: { now?: number; maxPoints?: number } = {}): SeriesView {
    const now = opts.now ?? Date.now();
    const maxPoints = opts.maxPoints ?? Infinity;
    const from = now - windowMs;
    const s = this.series.get(key);
    if (!s) return { key, stepMs: 0, t: [], v: [] };
    if (windowMs <= this.retentionMs && windowMs / this.resolutionMs <= maxPoints) {
      const { t, v } = s.raw.since(from);
      return { key, stepMs: 0, t, v };
    }
    let tier = s.tiers[s.tiers.length - 1];
    for (const candidate of s.tiers) {
      if (candidate.retentionMs >= windowMs && windowMs / candidate.bucketMs <= maxPoints) {
        tier = candidate;
        break;
      }
    }
    if (!tier) {
      const { t, v } = s.raw.since(from);
      return { key, stepMs: 0, t, v };
    }
    return { key, stepMs: tier.bucketMs, ...tier.view(from) };
  }

  /** Forget series whose last point is older than `olderThan` (services gone for good). */
  prune(olderThan: number): void {
    for (const [key, s] of this.series) if (s.lastT < olderThan) this.series.delete(key);
  }
}
