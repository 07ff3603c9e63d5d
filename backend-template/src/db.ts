// Postgres with a read/write split.
//
//   write(): always the primary.
//   read():  round-robin over the replicas that are up and within REPLICA_MAX_LAG_SECONDS; the
//            primary when there are none (DATABASE_REPLICA_URLS empty), when every replica is down
//            or lagging, or when the replica chosen fails with a connection error (then the query
//            is retried once on the primary and that replica is marked down until the next check).
//
// A monitor measures each replica's lag every REPLICA_CHECK_INTERVAL_MS. Reads that must see the
// caller's own latest write (read-your-writes) should use write() or primaryRead().
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { errFields } from './logger.js';
import type { Metrics } from './metrics.js';
import { isUnavailableError } from './errors.js';

// int8 (bigint ids, counts) as JS numbers: ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

type Row = Record<string, unknown>;

interface Replica {
  name: string;
  pool: pg.Pool;
  healthy: boolean;
  lagSeconds: number | null;
  reason: 'unchecked' | 'ok' | 'down' | 'lagging';
}

const LAG_SQL = `
  SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())), 0)
  END::float8 AS lag`;

export class Database {
  readonly primary: pg.Pool;
  readonly replicas: Replica[];
  private rr = 0;
  private monitor: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly cfg: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.primary = this.makePool(cfg.databaseUrl, 'primary');
    this.replicas = cfg.replicaUrls.map((url, i) => ({
      name: `replica-${i + 1}`,
      pool: this.makePool(url, `replica-${i + 1}`),
      healthy: false,
      lagSeconds: null,
      reason: 'unchecked' as const,
    }));
    metrics.gauge('db_pool_connections', 'Postgres pool connections by pool and state (total, idle, waiting)', ['pool', 'state'], (g) => {
      for (const [name, pool] of [['primary', this.primary] as const, ...this.replicas.map((r) => [r.name, r.pool] as const)]) {
        g.set({ pool: name, state: 'total' }, pool.totalCount);
        g.set({ pool: name, state: 'idle' }, pool.idleCount);
        g.set({ pool: name, state: 'waiting' }, pool.waitingCount);
      }
    });
  }

  private makePool(connectionString: string, name: string): pg.Pool {
    const pool = new pg.Pool({
      connectionString,
      max: this.cfg.dbPoolMax,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 3000,
      statement_timeout: this.cfg.dbStatementTimeoutMs,
      query_timeout: this.cfg.dbStatementTimeoutMs + 1000,
      application_name: `scaledeck-${this.cfg.nodeName}`.slice(0, 63),
      keepAlive: true,
    });
    // An idle client losing its connection emits here; without a listener the process would crash.
    pool.on('error', (err) => this.log.warn({ ...errFields(err), pool: name }, 'postgres idle client error'));
    return pool;
  }

  /** A statement on the primary (every write, and reads that must see the latest write). */
  async write<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
    this.metrics.dbQueries.inc({ pool: 'primary', kind: 'write' });
    return this.primary.query<T>(sql, params);
  }

  async primaryRead<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
    this.metrics.dbQueries.inc({ pool: 'primary', kind: 'read' });
    return this.primary.query<T>(sql, params);
  }

  /** A read that may be served by a replica (see the top of this file). */
  async read<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
    const replica = this.pickReplica();
    if (replica) {
      try {
        this.metrics.dbQueries.inc({ pool: replica.name, kind: 'read' });
        return await replica.pool.query<T>(sql, params);
      } catch (err) {
        if (!isUnavailableError(err)) throw err;
        this.markDown(replica, err);
        this.metrics.replicaFallbacks.inc({ reason: 'error' });
      }
    }
    return this.primaryRead<T>(sql, params);
  }

  private pickReplica(): Replica | undefined {
    if (this.replicas.length === 0) return undefined;
    const healthy = this.replicas.filter((r) => r.healthy);
    if (healthy.length === 0) {
      const lagging = this.replicas.some((r) => r.reason === 'lagging');
      this.metrics.replicaFallbacks.inc({ reason: lagging ? 'lagging' : this.replicas.some((r) => r.reason === 'down') ? 'down' : 'none' });
      return undefined;
    }
    this.rr = (this.rr + 1) % healthy.length;
    return healthy[this.rr];
  }

  private markDown(r: Replica, err: unknown) {
    if (r.reason !== 'down') this.log.warn({ ...errFields(err), pool: r.name }, 'replica down: reads go elsewhere');
    r.healthy = false;
    r.reason = 'down';
    r.lagSeconds = null;
    this.metrics.replicaHealthy.set({ pool: r.name }, 0);
    this.metrics.replicaLag.set({ pool: r.name }, -1);
  }

  /** Measure every replica now (also called by the monitor). */
  async checkReplicas(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(
        this.replicas.map(async (r) => {
          try {
            const { rows } = await r.pool.query<{ lag: number }>(LAG_SQL);
            const lag = Number(rows[0]?.lag ?? 0);
            const ok = lag <= this.cfg.replicaMaxLagSeconds;
            const reason = ok ? 'ok' : 'lagging';
            if (reason !== r.reason) {
              this.log[ok ? 'info' : 'warn'](
                { pool: r.name, lagSeconds: Math.round(lag * 1000) / 1000, maxLagSeconds: this.cfg.replicaMaxLagSeconds },
                ok ? 'replica serving reads' : 'replica lagging: reads go elsewhere',
              );
            }
            r.lagSeconds = lag;
            r.healthy = ok;
            r.reason = reason;
            this.metrics.replicaLag.set({ pool: r.name }, lag);
            this.metrics.replicaHealthy.set({ pool: r.name }, ok ? 1 : 0);
          } catch (err) {
            this.markDown(r, err);
          }
        }),
      );
    } finally {
      this.checking = false;
    }
  }

  startMonitor(): void {
    if (this.replicas.length === 0 || this.monitor) return;
    void this.checkReplicas();
    this.monitor = setInterval(() => void this.checkReplicas(), this.cfg.replicaCheckIntervalMs);
    this.monitor.unref();
  }

  replicaStatus() {
    return this.replicas.map((r) => ({ pool: r.name, healthy: r.healthy, state: r.reason, lagSeconds: r.lagSeconds }));
  }

  /** Readiness: the primary answers within timeoutMs. */
  async ping(timeoutMs = 1000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error('ping timed out')), timeoutMs);
      });
      await Promise.race([this.primary.query('SELECT 1'), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.monitor) clearInterval(this.monitor);
    await Promise.allSettled([this.primary.end(), ...this.replicas.map((r) => r.pool.end())]);
  }
}
