import { useMemo, useState, type ReactNode } from 'react';
import type { ServiceInfo, SourceStatus } from '../../../../shared/metrics/types.ts';
import { Card, Dot, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useCluster } from '../../data/clusters/queries.ts';
import { useLiveMetrics, type LiveMetrics } from '../../data/metrics/live.ts';
import type { Tone } from '../../lib/health.ts';
import { AlertsPanel, RulesEditor } from './metrics/Alerts.tsx';
import { axisStart, latest, MetricChart, perScope, scopesWith, Sparkline } from './metrics/MetricChart.tsx';
import { formatClock, formatValue, PALETTE, serviceOrder } from './metrics/format.ts';

const WINDOWS = [
  { ms: 60_000, label: '1 m' },
  { ms: 300_000, label: '5 m' },
  { ms: 900_000, label: '15 m' },
];

const sourceTone: Record<SourceStatus['state'], Tone> = { up: 'ok', down: 'bad', stale: 'warn', starting: 'idle' };
const toneRank: Record<Tone, number> = { bad: 4, warn: 3, idle: 2, info: 1, ok: 0 };

function serviceHealth(svc: ServiceInfo, sources: SourceStatus[]): { tone: Tone; why: string } {
  if (svc.state !== 'running') return { tone: 'bad', why: `container ${svc.state}` };
  let tone: Tone = sources.length ? 'ok' : 'idle';
  let why = sources.length ? 'every source answers' : 'no source yet';
  for (const s of sources) {
    const t = sourceTone[s.state];
    if (toneRank[t] > toneRank[tone]) {
      tone = t;
      why = `${s.id} ${s.state}${s.error ? `: ${s.error}` : ''}`;
    }
  }
  return { tone, why };
}

function NodeList({ metrics, windowMs }: { metrics: LiveMetrics; windowMs: number }) {
  const sources = [...metrics.sources.values()];
  const services = metrics.services.slice().sort((a, b) => serviceOrder(a.service, b.service));
  if (services.length === 0) return <p className="muted small">No containers seen yet: the node list fills in once the engine reports the cluster’s containers.</p>;
  return (
    <div className="table-wrap">
      <table className="table node-table">
        <thead>
          <tr>
            <th>Node</th>
            <th>CPU</th>
            <th />
            <th>Memory</th>
            <th>Req/s</th>
          </tr>
        </thead>
        <tbody>
          {services.map((svc, i) => {
            const h = serviceHealth(
              svc,
              sources.filter((s) => s.service === svc.service),
            );
            const cpu = metrics.series.get(`${svc.service}:cpu_pct`);
            const rps = latest(metrics, `${svc.service}:rps`);
            return (
              <tr key={svc.service} data-testid={`metrics-node-${svc.service}`} data-health={h.tone} title={h.why}>
                <td>
                  <span className="node-cell">
                    <Dot tone={h.tone} />
                    <span className="mono">{svc.service}</span>
                    <span className="muted small">{svc.role}</span>
                    {svc.host && svc.host !== 'local' ? (
                      <span className="muted small" data-testid={`metrics-node-host-${svc.service}`}>
                        on {svc.host}
                      </span>
                    ) : null}
                  </span>
                </td>
                <td className="mono num" data-testid={`metrics-node-cpu-${svc.service}`}>
                  {formatValue(latest(metrics, `${svc.service}:cpu_pct`), '%')}
                </td>
                <td>{cpu ? <Sparkline t={cpu.t} v={cpu.v} from={axisStart(metrics, windowMs)} to={metrics.at} color={PALETTE[i % PALETTE.length]!} max={10} /> : null}</td>
                <td className="mono num">{formatValue(latest(metrics, `${svc.service}:mem_bytes`), 'bytes')}</td>
                <td className="mono num">{rps == null ? '' : formatValue(rps, 'req/s')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Teach({ children }: { children: ReactNode }) {
  return <p className="teach">{children}</p>;
}

/** Metrics: live charts of the whole cluster, the nodes, alerts and their rules. */
export default function MetricsTab({ name }: { name: string }) {
  const [windowMs, setWindowMs] = useState(300_000);
  const [paused, setPaused] = useState(false);
  const { metrics: m, refresh } = useLiveMetrics(name, windowMs, paused);
  const cluster = useCluster(name, { poll: false });
  const port = cluster.data?.spec?.balancer.port;

  const sources = useMemo(() => [...m.sources.values()], [m.sources, m.version]);
  const kind = (...k: string[]) => sources.filter((s) => k.includes(s.kind));

  const v = m.version;
  const apis = scopesWith(m, 'rps', (s) => s.startsWith('api-'));
  const stats = scopesWith(m, 'cpu_pct');
  const mem = scopesWith(m, 'mem_bytes');
  const redis = scopesWith(m, 'ops')[0] ?? 'redis';
  const pg = scopesWith(m, 'connections')[0] ?? 'postgres';
  const lag = scopesWith(m, 'repl_lag_s');
  const maxConns = latest(m, `${pg}:max_connections`);
  const traffic = port ? (
    <>
      Send requests to <code className="inline-code">http://127.0.0.1:{port}/</code> and they appear here within a second.
    </>
  ) : (
    'Send requests to the balancer and they appear here within a second.'
  );

  const charts = [
    <MetricChart
      key="rps"
      testId="chart-rps"
      title="Request rate"
      unit="req/s"
      metrics={m}
      version={v}
      windowMs={windowMs}
      series={[{ key: 'cluster:rps', label: 'cluster', color: 'var(--accent)' }, ...perScope(apis, 'rps').map((s, i) => ({ ...s, color: PALETTE[(i + 1) % PALETTE.length]! }))]}
      sources={kind('api', 'nginx')}
      empty={<Teach>No requests yet. This counts requests per second over every API node, and per node: an even split means the balancer spreads load. {traffic}</Teach>}
    />,
    <MetricChart
      key="lat"
      testId="chart-latency"
      title="Latency"
      unit="ms"
      metrics={m}
      version={v}
      windowMs={windowMs}
      headline={`p95 ${formatValue(latest(m, 'cluster:p95_ms'), 'ms')}`}
      series={[
        { key: 'cluster:p50_ms', label: 'p50', color: PALETTE[2]! },
        { key: 'cluster:p95_ms', label: 'p95', color: PALETTE[1]! },
        { key: 'cluster:p99_ms', label: 'p99', color: PALETTE[3]! },
      ]}
      sources={kind('api')}
      empty={
        <Teach>
          <strong>p95</strong> is the time 95 % of requests beat: the slowest one in twenty takes longer. It rises before the median (p50) does, so it is the early warning; p99 shows the worst tail. Needs
          traffic to measure.
        </Teach>
      }
    />,
    <MetricChart
      key="err"
      testId="chart-errors"
      title="Error rate"
      unit="%"
      metrics={m}
      version={v}
      windowMs={windowMs}
      series={[
        { key: 'cluster:err5xx_pct', label: '5xx', color: PALETTE[3]! },
        { key: 'cluster:err4xx_pct', label: '4xx', color: PALETTE[1]!, dashed: true },
      ]}
      sources={kind('api')}
      empty={<Teach>The share of responses that are server errors (5xx, the cluster’s fault) and client errors (4xx, the caller’s). Computed per second from each node’s counters once traffic flows.</Teach>}
    />,
    <MetricChart
      key="cpu"
      testId="chart-cpu"
      title="CPU per node"
      unit="%"
      metrics={m}
      version={v}
      windowMs={windowMs}
      headline={`total ${formatValue(latest(m, 'cluster:cpu_total_pct'), '%')}`}
      series={perScope(stats, 'cpu_pct')}
      sources={kind('stats')}
      empty={<Teach>CPU per container, as docker stats shows it (100 % = one core). Per node matters: one hot node while others idle means uneven balancing or a slow replica; all hot means it is time to scale out.</Teach>}
    />,
    <MetricChart
      key="mem"
      testId="chart-memory"
      title="Memory per node"
      unit="bytes"
      metrics={m}
      version={v}
      windowMs={windowMs}
      headline={`total ${formatValue(latest(m, 'cluster:mem_total_bytes'), 'bytes')}`}
      series={perScope(mem, 'mem_bytes')}
      sources={kind('stats')}
      empty={<Teach>Memory in use per container (usage minus the file cache, as docker stats computes it). A line that only climbs under steady load is a leak.</Teach>}
    />,
    <MetricChart
      key="conns"
      testId="chart-balancer"
      title="Balancer connections"
      unit="count"
      metrics={m}
      version={v}
      windowMs={windowMs}
      series={[{ key: 'balancer:active_conns', label: 'active', color: PALETTE[5]! }]}
      sources={kind('nginx')}
      area
      empty={<Teach>Open client connections on NGINX (stub_status). Keep-alive clients hold them between requests.</Teach>}
    />,
    <MetricChart
      key="rops"
      testId="chart-redis-ops"
      title="Redis ops/s"
      unit="ops/s"
      metrics={m}
      version={v}
      windowMs={windowMs}
      series={[{ key: `${redis}:ops`, label: 'ops/s', color: PALETTE[3]! }]}
      sources={kind('redis')}
      area
      empty={<Teach>Commands Redis processes per second (INFO stats).</Teach>}
    />,
    <MetricChart
      key="rhit"
      testId="chart-redis-hit"
      title="Redis hit rate"
      unit="%"
      metrics={m}
      version={v}
      windowMs={windowMs}
      yMax={100}
      series={[{ key: `${redis}:hit_rate_pct`, label: 'hit rate', color: PALETTE[2]! }]}
      sources={kind('redis')}
      empty={<Teach>Keyspace hits over hits + misses. A falling hit rate sends more reads to Postgres. Shown once reads reach Redis.</Teach>}
    />,
    <MetricChart
      key="rmem"
      testId="chart-redis-mem"
      title="Redis memory"
      unit="bytes"
      metrics={m}
      version={v}
      windowMs={windowMs}
      series={[{ key: `${redis}:used_memory_bytes`, label: 'used', color: PALETTE[4]! }]}
      sources={kind('redis')}
      area
      empty={<Teach>Redis used_memory: what the dataset and its overhead take.</Teach>}
    />,
    <MetricChart
      key="pgc"
      testId="chart-pg-conns"
      title="Postgres connections"
      unit="count"
      metrics={m}
      version={v}
      windowMs={windowMs}
      headline={`${formatValue(latest(m, `${pg}:connections`), 'count')} / ${formatValue(maxConns, 'count')}`}
      series={[{ key: `${pg}:connections`, label: 'connections', color: PALETTE[0]! }]}
      reference={maxConns != null ? { value: maxConns, label: `max ${maxConns}` } : undefined}
      sources={kind('postgres')}
      empty={<Teach>Backends against max_connections. Each API node holds a pool; scaling out multiplies them, and at the max new connections are refused.</Teach>}
    />,
    <MetricChart
      key="tps"
      testId="chart-pg-tps"
      title="Postgres tx/s"
      unit="tx/s"
      metrics={m}
      version={v}
      windowMs={windowMs}
      series={[{ key: `${pg}:tps`, label: 'tx/s', color: PALETTE[6]! }]}
      sources={kind('postgres')}
      area
      empty={<Teach>Commits plus rollbacks per second.</Teach>}
    />,
  ];
  if (lag.length > 0) {
    charts.push(
      <MetricChart
        key="lag"
        testId="chart-pg-lag"
        title="Replication lag"
        unit="s"
        metrics={m}
        version={v}
        windowMs={windowMs}
        series={perScope(lag, 'repl_lag_s')}
        sources={kind('postgres')}
        empty={<Teach>How far replicas trail the primary: reads from a lagging replica return stale data.</Teach>}
      />,
    );
  }

  return (
    <div className="tab-body metrics-tab">
      <div className="metrics-toolbar">
        <p className="muted">Live from every container, the balancer, each API node’s /metrics, Redis and Postgres, once a second.</p>
        <div className="metrics-controls">
          <div className="seg" role="group" aria-label="Time window">
            {WINDOWS.map((w) => (
              <button key={w.ms} type="button" className={`btn btn-sm${w.ms === windowMs ? ' btn-selected' : ''}`} aria-pressed={w.ms === windowMs} data-testid={`window-${w.ms / 60_000}m`} onClick={() => setWindowMs(w.ms)}>
                {w.label}
              </button>
            ))}
          </div>
          <button type="button" className={`btn btn-sm${paused ? ' btn-primary' : ''}`} aria-pressed={paused} data-testid="metrics-pause" onClick={() => setPaused((p) => !p)}>
            {paused ? '▶ Resume' : '❚❚ Pause'}
          </button>
          <span className="metrics-status small muted" role="status" data-testid="metrics-status" data-status={paused ? 'paused' : m.status}>
            <Dot tone={paused ? 'warn' : m.status === 'live' ? 'ok' : m.status === 'error' ? 'bad' : 'idle'} pulse={!paused && m.status === 'live'} />
            {paused ? `paused at ${formatClock(m.at)}` : m.status === 'live' ? `live · ${formatClock(m.at)}` : m.status === 'error' ? 'not connected' : 'connecting…'}
          </span>
        </div>
      </div>

      {m.status === 'error' && (
        <div>
          <ErrorNotice error={m.error} title="Cannot read this cluster’s metrics" />
          <button type="button" className="btn btn-sm" onClick={refresh}>
            Try again
          </button>
        </div>
      )}

      {m.status === 'loading' ? (
        <div className="metrics-grid" aria-busy="true">
          {Array.from({ length: 4 }, (_, i) => (
            <div key={i} className="card metric-card">
              <Skeleton width="40%" height={14} />
              <Skeleton width="100%" height={170} style={{ marginTop: 12 }} />
            </div>
          ))}
        </div>
      ) : (
        m.status === 'live' && (
          <>
            <div className="metrics-split">
              <Card title="Nodes" actions={<span className="muted small">CPU over the window · dot: source health</span>}>
                <NodeList metrics={m} windowMs={windowMs} />
              </Card>
              <Card title="Alerts">
                <AlertsPanel metrics={m} />
              </Card>
            </div>
            <div className="metrics-grid">{charts}</div>
          </>
        )
      )}

      <Card title="Alert rules">
        <RulesEditor cluster={name} />
      </Card>
    </div>
  );
}
