import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiEvent } from '../../../../shared/api/index.ts';
import type { ActiveAlert, AlertEvent, MetricsBatch, MetricsSnapshot, ServiceInfo, SourceStatus } from '../../../../shared/metrics/types.ts';
import { useApi } from '../../api/ApiContext.tsx';

/**
 * Follow a cluster's live metrics. Not query-cached: a snapshot of the window, then `metrics`
 * batches (one a second) applied in place when their seq is newer. The hub stops when nobody asks
 * for a snapshot for 2 minutes, so it is asked again every 30 s while mounted (also while paused,
 * so alerts keep being evaluated). Points older than the window are dropped on every batch.
 */
export const KEEPALIVE_MS = 30_000;
const MAX_RECENT = 50;
const MAX_EARLY = 120;

export interface LiveSeries {
  t: number[];
  v: number[];
}

export interface LiveMetrics {
  status: 'loading' | 'live' | 'error';
  error: unknown;
  /** Bumped on every applied change: memo key for derived chart data. */
  version: number;
  /** Time of the newest batch (or the snapshot). */
  at: number;
  seq: number;
  intervalMs: number;
  series: Map<string, LiveSeries>;
  sources: Map<string, SourceStatus>;
  services: ServiceInfo[];
  active: ActiveAlert[];
  recent: AlertEvent[];
}

function empty(): LiveMetrics {
  return { status: 'loading', error: null, version: 0, at: Date.now(), seq: -1, intervalMs: 1000, series: new Map(), sources: new Map(), services: [], active: [], recent: [] };
}

function fromSnapshot(s: MetricsSnapshot, version: number): LiveMetrics {
  const series = new Map<string, LiveSeries>();
  for (const [k, view] of Object.entries(s.series)) series.set(k, { t: view.t.slice(), v: view.v.slice() });
  return {
    status: 'live',
    error: null,
    version,
    at: s.at,
    seq: s.seq,
    intervalMs: s.intervalMs,
    series,
    sources: new Map(s.sources.map((x) => [x.id, x])),
    services: s.services,
    active: s.alerts.active.slice(),
    recent: s.alerts.recent.slice(-MAX_RECENT),
  };
}

/** Apply one batch in place; returns false when it reveals a gap (a missed batch). */
function applyBatch(m: LiveMetrics, b: MetricsBatch, windowMs: number): boolean {
  if (b.seq <= m.seq) return true;
  const gap = m.seq >= 0 && b.seq !== m.seq + 1;
  m.seq = b.seq;
  m.at = Math.max(m.at, b.at);
  for (const [key, pts] of Object.entries(b.points)) {
    let s = m.series.get(key);
    if (!s) m.series.set(key, (s = { t: [], v: [] }));
    for (const [t, v] of pts) {
      if (s.t.length && t <= s.t[s.t.length - 1]!) continue;
      s.t.push(t);
      s.v.push(v);
    }
  }
  const cutoff = m.at - windowMs;
  for (const [key, s] of m.series) {
    let i = 0;
    while (i < s.t.length && s.t[i]! < cutoff) i++;
    if (i > 0) {
      s.t.splice(0, i);
      s.v.splice(0, i);
    }
    if (s.t.length === 0) m.series.delete(key);
  }
  for (const src of b.sources ?? []) m.sources.set(src.id, src);
  for (const id of b.sourcesRemoved ?? []) m.sources.delete(id);
  if (b.services) m.services = b.services;
  for (const e of b.alerts ?? []) {
    if (e.kind === 'fired') {
      m.active = m.active.filter((a) => !(a.ruleId === e.ruleId && a.series === e.series));
      m.active.push({ ruleId: e.ruleId, ruleName: e.ruleName, severity: e.severity, series: e.series, op: e.op, threshold: e.threshold, firedAt: e.at, value: e.value ?? NaN, lastValue: e.value });
    } else {
      m.active = m.active.filter((a) => !(a.ruleId === e.ruleId && a.series === e.series));
    }
    m.recent.push(e);
  }
  if (m.recent.length > MAX_RECENT) m.recent = m.recent.slice(-MAX_RECENT);
  m.version++;
  return !gap;
}

export function useLiveMetrics(cluster: string, windowMs: number, paused: boolean) {
  const api = useApi();
  const store = useRef<LiveMetrics>(empty());
  const [, setTick] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const refresh = useCallback(() => setAttempt((a) => a + 1), []);

  useEffect(() => {
    if (paused) return;
    let cancelled = false;
    let loaded = false;
    const early: MetricsBatch[] = [];
    const rerender = () => setTick((t) => t + 1);
    if (store.current.status !== 'live') {
      store.current = { ...empty(), version: store.current.version + 1 };
      rerender();
    }

    const load = () =>
      api['metrics.snapshot']({ cluster, windowMs }).then(
        (snap) => {
          if (cancelled) return;
          const m = fromSnapshot(snap, store.current.version + 1);
          for (const b of early.splice(0)) applyBatch(m, b, windowMs);
          store.current = m;
          loaded = true;
          rerender();
        },
        (err: unknown) => {
          if (cancelled) return;
          store.current = { ...store.current, status: 'error', error: err, version: store.current.version + 1 };
          rerender();
        },
      );
    void load();

    const off = api.subscribe((e: ApiEvent) => {
      if (e.type !== 'metrics' || e.batch.cluster !== cluster || cancelled || pausedRef.current) return;
      if (!loaded) {
        if (early.length < MAX_EARLY) early.push(e.batch);
        return;
      }
      if (!applyBatch(store.current, e.batch, windowMs)) {
        // A missed batch: start again from a fresh snapshot.
        loaded = false;
        void load();
      }
      rerender();
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [api, cluster, windowMs, paused, attempt]);

  // Keep the hub alive (and alerts evaluated) while the tab is open, paused or not.
  useEffect(() => {
    const id = window.setInterval(() => {
      void api['metrics.snapshot']({ cluster, windowMs: 1000 }).catch(() => undefined);
    }, KEEPALIVE_MS);
    return () => window.clearInterval(id);
  }, [api, cluster]);

  return { metrics: store.current, refresh };
}
