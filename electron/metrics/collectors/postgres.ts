import pg from 'pg';
import type { AddressResolver, MetricsTarget } from '../address.ts';
import { splitHostPort } from '../address.ts';
import { type CollectorTiming, PollingCollector, type PointSink } from '../source.ts';

export interface PostgresCredentials {
  user: string;
  password?: string;
  database: string;
}

/** One round trip: connections, max_connections, transaction counter, replication state. */
export const POSTGRES_METRICS_SQL = `
SELECT
  (SELECT coalesce(sum(numbackends), 0) FROM pg_stat_database)::bigint AS backends,
  current_setting('max_connections')::int AS max_conn,
  (SELECT coalesce(sum(xact_commit + xact_rollback), 0) FROM pg_stat_database)::bigint AS xacts,
  pg_is_in_recovery() AS in_recovery,
  (SELECT count(*) FROM pg_stat_replication)::int AS replicas,
  (SELECT max(extract(epoch FROM coalesce(replay_lag, interval '0'))) FROM pg_stat_replication)::float8 AS primary_lag_s,
  (SELECT max(pg_wal_lsn_diff(sent_lsn, replay_lsn)) FROM pg_stat_replication)::float8 AS primary_lag_bytes,
  CASE WHEN pg_is_in_recovery() THEN
    CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
         ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
  END::float8 AS replica_lag_s`;

interface Row {
  backends: string;
  max_conn: number;
  xacts: string;
  in_recovery: boolean;
  replicas: number;
  primary_lag_s: number | null;
  primary_lag_bytes: number | null;
  replica_lag_s: number | null;
}

/**
 * Postgres: numbackends against max_connections, commits+rollbacks/s from pg_stat_database deltas,
 * replication lag (primary: worst replica from pg_stat_replication; replica: its own replay delay).
 * A pool of one connection, statement timeout = the collector's timeout.
 */
export class PostgresCollector extends PollingCollector {
  private pool: pg.Pool | null = null;
  private prev: { t: number; xacts: number } | null = null;

  constructor(
    private readonly target: MetricsTarget,
    private readonly resolver: AddressResolver,
    timing: CollectorTiming,
    sink: PointSink,
    private readonly credentials: PostgresCredentials | undefined,
    private readonly port = 5432,
  ) {
    super(target.service, 'postgres', timing, sink);
  }

  protected async scrape(signal: AbortSignal, startedAt: number): Promise<void> {
    if (!this.credentials) throw new Error('no Postgres credentials for this cluster');
    if (!this.pool) {
      const { host, port } = splitHostPort(await this.resolver.resolveAddress(this.target, this.port));
      const pool = new pg.Pool({
        host,
        port,
        user: this.credentials.user,
        password: this.credentials.password,
        database: this.credentials.database,
        max: 1,
        idleTimeoutMillis: 0,
        connectionTimeoutMillis: this.timing.timeoutMs,
        statement_timeout: this.timing.timeoutMs,
        query_timeout: this.timing.timeoutMs,
        application_name: 'scaledeck-metrics',
      });
      pool.on('error', () => undefined); // an idle client died; the next query reports it
      this.pool = pool;
    }
    const pool = this.pool;
    const onAbort = () => void this.reset();
    signal.addEventListener('abort', onAbort, { once: true });
    let row: Row | undefined;
    try {
      row = (await pool.query<Row>(POSTGRES_METRICS_SQL)).rows[0];
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (!row) throw new Error('Postgres answered no row');
    const t = startedAt;
    const svc = this.service;
    const backends = Number(row.backends);
    const maxConn = Number(row.max_conn);
    const xacts = Number(row.xacts);
    this.sink(svc, 'connections', t, backends);
    this.sink(svc, 'max_connections', t, maxConn);
    if (maxConn > 0) this.sink(svc, 'conn_pct', t, (backends / maxConn) * 100);
    if (!row.in_recovery) this.sink(svc, 'replicas', t, row.replicas);
    const lag = row.in_recovery ? row.replica_lag_s : row.replicas > 0 ? row.primary_lag_s : null;
    if (lag !== null && lag !== undefined && Number.isFinite(Number(lag))) this.sink(svc, 'repl_lag_s', t, Math.max(0, Number(lag)));
    if (!row.in_recovery && row.replicas > 0 && row.primary_lag_bytes !== null) this.sink(svc, 'repl_lag_bytes', t, Number(row.primary_lag_bytes));
    if (this.prev && t > this.prev.t && xacts >= this.prev.xacts) {
      // Our own query is one transaction per interval.
      this.sink(svc, 'tps', t, Math.max(0, xacts - this.prev.xacts - 1) / ((t - this.prev.t) / 1000));
    }
    this.prev = { t, xacts };
  }

  protected override onFailure(): void {
    this.prev = null;
    this.resolver.invalidate?.(this.target);
  }

  protected override async reset(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    // end() waits for a checked-out client; a hung query must not hold the collector.
    if (p) await Promise.race([p.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}
