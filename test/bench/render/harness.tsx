/**
 * Browser half of `npm run bench -- metrics` (render_ms): the real Metrics tab fed by a stand-in
 * API client holding 20 API nodes × 300 points per series (a 5-minute window at 1 s), and, as the
 * peer, bare recharts drawing the same number of series and points with no app code. Bundled
 * by esbuild and opened in Chromium by test/bench/render.ts, which calls window.bench.update().
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import type { ApiClient, ApiEvent } from '../../../shared/api/index.ts';
import type { MetricsBatch, MetricsSnapshot, SeriesView } from '../../../shared/metrics/types.ts';
import { ApiProvider } from '../../../renderer/src/api/ApiContext.tsx';
import MetricsTab from '../../../renderer/src/pages/cluster/MetricsTab.tsx';
import '../../../renderer/src/styles.css';

const NODES = 20;
const POINTS = 300;
const t0 = Date.now() - POINTS * 1000;
const nodes = Array.from({ length: NODES }, (_, i) => `api-${i + 1}`);
const wave = (i: number, k: number, base: number, amp: number) => base + amp * Math.sin(i / 17 + k) + amp * 0.3 * Math.sin(i / 3 + k * 2);

/** Series keys and how each one's value moves. */
const defs: [string, (i: number) => number][] = [];
nodes.forEach((n, k) => {
  defs.push([`${n}:cpu_pct`, (i) => wave(i, k, 20, 8)], [`${n}:mem_bytes`, (i) => wave(i, k, 80e6, 5e6)], [`${n}:rps`, (i) => wave(i, k, 50, 10)], [`${n}:p95_ms`, (i) => wave(i, k, 30, 6)]);
});
for (const s of ['balancer', 'redis', 'postgres', 'worker-1']) defs.push([`${s}:cpu_pct`, (i) => wave(i, 3, 5, 2)], [`${s}:mem_bytes`, (i) => wave(i, 2, 30e6, 2e6)]);
defs.push(
  ['cluster:rps', (i) => wave(i, 0, 1000, 100)],
  ['cluster:p50_ms', (i) => wave(i, 1, 10, 2)],
  ['cluster:p95_ms', (i) => wave(i, 2, 30, 5)],
  ['cluster:p99_ms', (i) => wave(i, 3, 60, 9)],
  ['cluster:err5xx_pct', (i) => Math.max(0, wave(i, 4, 0.2, 0.3))],
  ['cluster:err4xx_pct', (i) => Math.max(0, wave(i, 5, 0.5, 0.3))],
  ['cluster:cpu_total_pct', (i) => wave(i, 6, 400, 40)],
  ['cluster:mem_total_bytes', (i) => wave(i, 7, 1.7e9, 1e8)],
  ['balancer:active_conns', (i) => wave(i, 8, 40, 10)],
  ['redis:ops', (i) => wave(i, 9, 2000, 300)],
  ['redis:hit_rate_pct', (i) => wave(i, 10, 90, 5)],
  ['redis:used_memory_bytes', (i) => wave(i, 11, 5e6, 1e5)],
  ['redis:clients', () => 44],
  ['postgres:connections', (i) => wave(i, 12, 40, 5)],
  ['postgres:max_connections', () => 100],
  ['postgres:tps', (i) => wave(i, 13, 300, 50)],
);

const series: Record<string, SeriesView> = {};
for (const [key, f] of defs) series[key] = { key, stepMs: 0, t: Array.from({ length: POINTS }, (_, i) => t0 + i * 1000), v: Array.from({ length: POINTS }, (_, i) => f(i)) };
let seq = 0;
let tick = POINTS;
const snapshot: MetricsSnapshot = {
  cluster: 'bench',
  seq,
  at: t0 + (POINTS - 1) * 1000,
  intervalMs: 1000,
  windowMs: 300_000,
  services: [...nodes, 'balancer', 'redis', 'postgres', 'worker-1'].map((s) => ({ service: s, role: s.startsWith('api-') ? 'api' : s.replace(/-\d+$/, ''), containerId: s, containerName: `sd-bench-${s}`, state: 'running' })),
  sources: [],
  series,
  alerts: { active: [], recent: [] },
  rules: [],
};

function nextBatch(): MetricsBatch {
  const t = t0 + tick * 1000;
  const points: MetricsBatch['points'] = {};
  for (const [key, f] of defs) points[key] = [[t, f(tick)]];
  tick++;
  return { cluster: 'bench', seq: ++seq, at: t, points };
}

const listeners = new Set<(e: ApiEvent) => void>();
const answers: Record<string, unknown> = { 'metrics.snapshot': snapshot, 'metrics.rules': [], 'clusters.get': { name: 'bench', spec: null } };
const api = new Proxy({} as ApiClient, {
  get: (_t, method: string) => {
    if (method === 'subscribe') {
      return (l: (e: ApiEvent) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      };
    }
    return () => (method in answers ? Promise.resolve(answers[method]) : Promise.reject(new Error(`${method}: not in the bench`)));
  },
});

/** The peer: the same number of series and points in plain recharts, no app code around it. */
function Bare() {
  const [, setN] = useState(0);
  bareUpdate = () => {
    const b = nextBatch();
    for (const [key, pts] of Object.entries(b.points)) {
      const s = series[key]!;
      s.t = [...s.t.slice(1), pts[0]![0]];
      s.v = [...s.v.slice(1), pts[0]![1]];
    }
    setN((n) => n + 1);
  };
  const groups = ['cpu_pct', 'mem_bytes', 'rps', 'p95_ms'].map((m) => defs.map(([k]) => k).filter((k) => k.endsWith(`:${m}`)));
  return (
    <div className="metrics-grid">
      {groups.map((keys, gi) => {
        const rows = series[keys[0]!]!.t.map((t, i) => Object.fromEntries([['t', t], ...keys.map((k) => [k, series[k]!.v[i]])]));
        return (
          <div key={gi} className="card metric-card">
            <div className="metric-plot">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={rows}>
                  <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} />
                  <YAxis />
                  {keys.map((k) => (
                    <Line key={k} dataKey={k} dot={false} isAnimationActive={false} />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          </div>
        );
      })}
    </div>
  );
}
let bareUpdate: () => void = () => undefined;

const mode = new URLSearchParams(location.search).get('mode') ?? 'app';
const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
createRoot(document.getElementById('root')!).render(
  mode === 'bare' ? (
    <Bare />
  ) : (
    <QueryClientProvider client={qc}>
      <ApiProvider api={api}>
        <MetricsTab name="bench" />
      </ApiProvider>
    </QueryClientProvider>
  ),
);

/** One update, measured: the batch is applied and rendered synchronously, then layout is forced. */
function update(): number {
  performance.mark('update-start');
  flushSync(() => {
    if (mode === 'bare') bareUpdate();
    else {
      const e: ApiEvent = { type: 'metrics', batch: nextBatch() };
      for (const l of listeners) l(e);
    }
  });
  void document.body.getBoundingClientRect().height;
  performance.mark('update-end');
  return performance.measure('update', 'update-start', 'update-end').duration;
}

const w = window as unknown as { bench: { ready: () => boolean; update: () => number; charts: () => number } };
w.bench = {
  ready: () => document.querySelectorAll('.recharts-line, canvas.time-canvas').length > 0,
  update,
  /** Charts on the page (canvases in the app, recharts lines in the peer). */
  charts: () => document.querySelectorAll('.recharts-line path, canvas.time-canvas').length,
};
