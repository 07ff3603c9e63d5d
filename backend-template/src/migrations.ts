// Schema migrations: numbered, each applied once in its own transaction, recorded in
// schema_migrations. When several nodes start at the same moment they all call migrate(); a
// Postgres advisory lock lets exactly one of them apply the pending migrations while the others
// wait, then find nothing left to do. The lock belongs to the session, so a node that dies while
// holding it releases it with its connection.
import pg from 'pg';
import type { Logger } from 'pino';
import { errFields } from './logger.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'create_users',
    sql: `
      CREATE TABLE users (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email         text NOT NULL CHECK (length(email) <= 254),
        password_hash text NOT NULL,
        name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
    `,
  },
  {
    version: 2,
    name: 'create_orders',
    sql: `
      CREATE TABLE orders (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        product          text NOT NULL CHECK (length(product) BETWEEN 1 AND 200),
        quantity         integer NOT NULL CHECK (quantity > 0),
        unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
        total_cents      bigint NOT NULL,
        idempotency_key  text,
        created_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX orders_user_id_id_idx ON orders (user_id, id DESC);
      CREATE UNIQUE INDEX orders_user_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    `,
  },
];

/** Any constant 64-bit number shared by every node of this application. */
const MIGRATION_LOCK_KEY = '7245283012931';

export interface MigrateResult {
  applied: string[];
  waitedMs: number;
}

export async function migrate(connectionString: string, log: Logger, migrations = MIGRATIONS): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000, application_name: 'scaledeck-migrate' });
  client.on('error', () => undefined); // reported by the failing query instead
  await client.connect();
  try {
    // Waiting for another node's migrations is fine; waiting forever is not.
    await client.query(`SET lock_timeout = '60s'`);
    const t0 = Date.now();
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const waitedMs = Date.now() - t0;
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version    integer PRIMARY KEY,
          name       text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      const applied: string[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push(`${m.version}_${m.name}`);
        log.info({ migration: `${m.version}_${m.name}` }, 'migration applied');
      }
      return { applied, waitedMs };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * migrate() until it succeeds: Postgres may still be starting when the node starts. Backoff
 * 0.25 s, 0.5 s, 1 s ... capped at 5 s. Stops (resolves undefined) when shouldStop() turns true.
 */
export async function migrateWithRetry(
  connectionString: string,
  log: Logger,
  shouldStop: () => boolean,
): Promise<MigrateResult | undefined> {
  for (let attempt = 1; !shouldStop(); attempt++) {
    try {
      const r = await migrate(connectionString, log);
      log.info({ applied: r.applied, waitedForLockMs: r.waitedMs, attempt }, r.applied.length ? 'migrations done' : 'schema up to date');
      return r;
    } catch (err) {
      const delay = Math.min(250 * 2 ** (attempt - 1), 5000);
      log.warn({ ...errFields(err), attempt, retryInMs: delay }, 'migrations failed (database not reachable yet?); retrying');
      const until = Date.now() + delay;
      while (Date.now() < until && !shouldStop()) await new Promise((r) => setTimeout(r, 50));
    }
  }
  return undefined;
}
