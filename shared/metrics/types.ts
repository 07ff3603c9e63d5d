/**
 * Live metrics: the JSON shapes the UI consumes (batches, snapshots, series views, sources,
 * alerts). Pure types plus a few constant tables: no node:* imports, no DOM, so this file can move
 * to shared/ unchanged.
 *
 * ## Series naming
 * A series key is `<scope>:<metric>`.
 *   - scope: a service key of the cluster (`balancer`, `api-1`, `redis`, `postgres`, ...) or
 *     `cluster` for values aggregated over the whole cluster.
 *   - metric: one of the names in METRICS below (snake_case, unit as suffix: `_pct`, `_ms`,
 *     `_bytes`, `_bps` (bytes per second), `_s`; rates per second end in `rps`/`ops`/`tps`).
 * Examples: `api-1:cpu_pct`, `api-2:p95_ms`, `balancer:active_conns`, `redis:hit_rate_pct`,
 * `cluster:rps`, `cluster:p95_ms`.
 */

export type SeriesKey = string;

/** One sample: [unix time in ms, value]. */
export type Point = [t: number, v: number];

export type SourceKind = 'stats' | 'nginx' | 'api' | 'redis' | 'postgres';

/**
 * up: the last attempt succeeded recently. down: the last attempt failed (see `error`); retried
 * with backoff. stale: no fresh data for a while although nothing failed (a silent stats stream,
 * a very slow scrape). starting: no attempt finished yet.
 */
export type SourceState = 'up' | 'down' | 'stale' | 'starting';

export interface SourceStatus {
  /** `<service>:<kind>`, e.g. `api-1:api`, `api-1:stats`, `redis:redis`, `cluster:engine`. */
  id: string;
  service: string;
  kind: SourceKind | 'engine';
  state: SourceState;
  /** The last error message (kept while down; cleared when up again). */
  error?: string;
  lastOkAt: number | null;
  lastAttemptAt: number | null;
  /** Consecutive failures. */
  failures: number;
  /** When the next attempt is due, while backing off. */
  nextRetryAt?: number;
  /** Duration of the last successful scrape. */
  latencyMs?: number;
  /** The host the source is on (only for clusters placed on hosts: `local` or a host name). */
  host?: string;
}

export interface ServiceInfo {
  service: string;
  role: string;
  containerId: string;
  containerName: string;
  /** Docker state: running, exited, ... */
  state: string;
  /** Memory limit the container runs with (docker stats' limit: host memory when none is set). */
  memLimitBytes?: number;
  /** The host whose engine runs the container (only for clusters placed on hosts). */
  host?: string;
}

export interface SeriesView {
  key: SeriesKey;
  /** 0 for raw points (collector interval), else the bucket width of the downsampled tier. */
  stepMs: number;
  t: number[];
  /** Raw value, or the bucket average for downsampled tiers. */
  v: number[];
  /** Bucket maximum (downsampled tiers only). */
  max?: number[];
  /** Bucket minimum (downsampled tiers only). */
  min?: number[];
}

export type Comparator = '>' | '>=' | '<' | '<=';

/**
 * An alert rule, plain JSON. `series` is a series key or a glob over keys where `*` matches any
 * run of characters (`*:cpu_pct` = every container's CPU). Every matching series is evaluated on
 * its own.
 */
export interface AlertRule {
  id: string;
  name: string;
  series: string;
  op: Comparator;
  threshold: number;
  /** The condition must hold this long (seconds) before the alert fires. */
  forS: number;
  /** A firing alert clears after the condition has been false (or without data) this long (seconds). */
  clearAfterS: number;
  severity: 'warning' | 'critical';
  enabled: boolean;
}

export interface AlertEvent {
  kind: 'fired' | 'cleared';
  ruleId: string;
  ruleName: string;
  severity: AlertRule['severity'];
  /** The concrete series the rule matched. */
  series: SeriesKey;
  op: Comparator;
  threshold: number;
  /** The value at the time of the event (null when cleared for lack of data). */
  value: number | null;
  at: number;
  /** For `cleared`: when it had fired. */
  firedAt?: number;
}

export interface ActiveAlert {
  ruleId: string;
  ruleName: string;
  severity: AlertRule['severity'];
  series: SeriesKey;
  op: Comparator;
  threshold: number;
  firedAt: number;
  /** Value when it fired, and the latest value seen. */
  value: number;
  lastValue: number | null;
}

/** One message per batch interval (1 s) with every point recorded since the previous batch. */
export interface MetricsBatch {
  cluster: string;
  /** Increases by one per batch; a gap means a subscriber missed batches. */
  seq: number;
  at: number;
  points: Record<SeriesKey, Point[]>;
  /** Only sources whose status changed since the previous batch. */
  sources?: SourceStatus[];
  /** Ids of sources that no longer exist (their container was removed). */
  sourcesRemoved?: string[];
  /** Alert events since the previous batch. */
  alerts?: AlertEvent[];
  /** The full service list, when it changed (a node scaled in or out, a container stopped). */
  services?: ServiceInfo[];
}

/** Everything a new view needs to draw at once; then it applies batches with seq > this seq. */
export interface MetricsSnapshot {
  cluster: string;
  seq: number;
  at: number;
  /** Default collector interval. */
  intervalMs: number;
  windowMs: number;
  services: ServiceInfo[];
  sources: SourceStatus[];
  series: Record<SeriesKey, SeriesView>;
  alerts: { active: ActiveAlert[]; recent: AlertEvent[] };
  rules: AlertRule[];
}

export interface MetricInfo {
  unit: '%' | 'ms' | 'bytes' | 'bytes/s' | 'req/s' | 'ops/s' | 'tx/s' | 's' | 'count';
  description: string;
  /** Which source produces it; `cluster` for aggregates. */
  source: SourceKind | 'cluster';
}

/** Every metric name a collector or the aggregator emits. */
export const METRICS = {
  // per container, from the engine's stats stream
  cpu_pct: { unit: '%', source: 'stats', description: 'CPU, as docker stats shows it (100 = one core)' },
  mem_bytes: { unit: 'bytes', source: 'stats', description: 'Memory in use: usage minus inactive file cache' },
  mem_pct: { unit: '%', source: 'stats', description: 'Memory in use against the limit (host memory when none is set)' },
  net_rx_bps: { unit: 'bytes/s', source: 'stats', description: 'Network received' },
  net_tx_bps: { unit: 'bytes/s', source: 'stats', description: 'Network sent' },
  // balancer
  active_conns: { unit: 'count', source: 'nginx', description: 'NGINX active client connections' },
  // api nodes (and the balancer's request rate)
  rps: { unit: 'req/s', source: 'api', description: 'Requests per second' },
  p50_ms: { unit: 'ms', source: 'api', description: 'Median latency (histogram, last interval)' },
  p95_ms: { unit: 'ms', source: 'api', description: '95th percentile latency (histogram, last interval)' },
  p99_ms: { unit: 'ms', source: 'api', description: '99th percentile latency (histogram, last interval)' },
  error_pct: { unit: '%', source: 'api', description: 'Server errors (5xx) among requests' },
  err4xx_pct: { unit: '%', source: 'api', description: '4xx responses among requests' },
  err5xx_pct: { unit: '%', source: 'api', description: '5xx responses among requests' },
  // redis
  ops: { unit: 'ops/s', source: 'redis', description: 'Commands processed per second' },
  hit_rate_pct: { unit: '%', source: 'redis', description: 'Keyspace hits / (hits + misses), last interval' },
  used_memory_bytes: { unit: 'bytes', source: 'redis', description: 'Redis used_memory' },
  clients: { unit: 'count', source: 'redis', description: 'Connected clients' },
  // postgres
  connections: { unit: 'count', source: 'postgres', description: 'Backends (pg_stat_database.numbackends)' },
  max_connections: { unit: 'count', source: 'postgres', description: 'max_connections' },
  conn_pct: { unit: '%', source: 'postgres', description: 'Backends against max_connections' },
  tps: { unit: 'tx/s', source: 'postgres', description: 'Commits + rollbacks per second' },
  replicas: { unit: 'count', source: 'postgres', description: 'Streaming replicas attached (primary)' },
  repl_lag_s: { unit: 's', source: 'postgres', description: 'Replication lag: worst replica replay lag (primary) or own replay delay (replica)' },
  repl_lag_bytes: { unit: 'bytes', source: 'postgres', description: 'WAL sent but not yet replayed, worst replica (primary)' },
  // cluster aggregates (besides cluster:rps, p50/p95/p99_ms, error_pct, err4xx_pct, err5xx_pct over all API nodes)
  cpu_total_pct: { unit: '%', source: 'cluster', description: 'CPU of every container of the cluster, summed (100 = one core)' },
  mem_total_bytes: { unit: 'bytes', source: 'cluster', description: 'Memory in use by every container of the cluster, summed' },
  nodes_up: { unit: 'count', source: 'cluster', description: 'API nodes whose /metrics answered' },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

export function seriesKey(scope: string, metric: string): SeriesKey {
  return `${scope}:${metric}`;
}

export function splitSeriesKey(key: SeriesKey): { scope: string; metric: string } {
  const i = key.lastIndexOf(':');
  return i < 0 ? { scope: '', metric: key } : { scope: key.slice(0, i), metric: key.slice(i + 1) };
}
