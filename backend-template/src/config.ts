// Configuration comes from the environment only, and is checked once at start. Every problem is
// reported (not just the first), each with the variable's name and what a good value looks like.
// Values that can carry secrets (URLs with passwords, JWT_SECRET) are never echoed back.
import { hostname } from 'node:os';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RateLimitPolicy {
  /** Requests allowed per window, per client IP. */
  max: number;
  windowSeconds: number;
}

export interface Config {
  /**
   * "full": DATABASE_URL, REDIS_URL and JWT_SECRET are set; every route is served.
   * "standalone": none of the three is set; only /, /health, /ready and /metrics are served and
   * /api/* answers 503. Setting some but not all of them is a configuration error.
   */
  mode: 'full' | 'standalone';
  port: number;
  host: string;
  nodeName: string;
  databaseUrl: string;
  replicaUrls: string[];
  redisUrl: string;
  jwtSecret: string;
  logLevel: LogLevel;
  trustProxy: boolean | string[];
  bodyLimitBytes: number;
  corsOrigins: string[];
  dbPoolMax: number;
  dbStatementTimeoutMs: number;
  replicaMaxLagSeconds: number;
  replicaCheckIntervalMs: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  bcryptRounds: number;
  userCacheTtlSeconds: number;
  rateLimit: RateLimitPolicy;
  exportRateLimit: RateLimitPolicy;
  shutdownTimeoutMs: number;
  shutdownDelayMs: number;
  enableTestRoutes: boolean;
  workerConcurrency: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  int(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
      return def;
    }
    return Number(v);
  }

  num(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max} (got ${JSON.stringify(v)})`);
      return def;
    }
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name} must be true or false (got ${JSON.stringify(v)})`);
    return def;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
      return def;
    }
    return v as T;
  }

  /** A URL that may contain a password: the message names the problem, never the value. */
  secretUrl(name: string, value: string, protocols: string[], example: string, needsPath: boolean): string | undefined {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      this.problems.push(`${name} is not a valid URL (expected like ${example})`);
      return undefined;
    }
    if (!protocols.includes(u.protocol)) {
      this.problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${u.protocol}//…; expected like ${example})`);
      return undefined;
    }
    if (!u.hostname) {
      this.problems.push(`${name} has no host (expected like ${example})`);
      return undefined;
    }
    if (needsPath && (u.pathname === '' || u.pathname === '/')) {
      this.problems.push(`${name} names no database (expected like ${example})`);
      return undefined;
    }
    return value;
  }
}

const PG_EXAMPLE = 'postgres://app:PASSWORD@postgres:5432/app';
const REDIS_EXAMPLE = 'redis://redis:6379';

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);

  const dbRaw = r.raw('DATABASE_URL');
  const redisRaw = r.raw('REDIS_URL');
  const jwtRaw = r.raw('JWT_SECRET');
  const mode: Config['mode'] = dbRaw || redisRaw || jwtRaw ? 'full' : 'standalone';

  let databaseUrl = '';
  let redisUrl = '';
  let jwtSecret = '';
  const replicaUrls: string[] = [];
  if (mode === 'full') {
    if (!dbRaw) r.problems.push(`DATABASE_URL is not set (the primary Postgres, like ${PG_EXAMPLE})`);
    else databaseUrl = r.secretUrl('DATABASE_URL', dbRaw, ['postgres:', 'postgresql:'], PG_EXAMPLE, true) ?? '';
    if (!redisRaw) r.problems.push(`REDIS_URL is not set (like ${REDIS_EXAMPLE})`);
    else redisUrl = r.secretUrl('REDIS_URL', redisRaw, ['redis:', 'rediss:'], REDIS_EXAMPLE, false) ?? '';
    if (!jwtRaw) r.problems.push('JWT_SECRET is not set (a random string of at least 16 characters)');
    else if (jwtRaw.length < 16) r.problems.push(`JWT_SECRET is too short (${jwtRaw.length} characters; at least 16)`);
    else jwtSecret = jwtRaw;
    const replicas = (r.raw('DATABASE_REPLICA_URLS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    replicas.forEach((u, i) => {
      const ok = r.secretUrl(`DATABASE_REPLICA_URLS (entry ${i + 1})`, u, ['postgres:', 'postgresql:'], PG_EXAMPLE, true);
      if (ok) replicaUrls.push(ok);
    });
  }

  const trustProxyRaw = r.raw('TRUST_PROXY') ?? 'loopback,linklocal,uniquelocal';
  let trustProxy: Config['trustProxy'];
  if (/^(true|false)$/i.test(trustProxyRaw)) trustProxy = trustProxyRaw.toLowerCase() === 'true';
  else trustProxy = trustProxyRaw.split(',').map((s) => s.trim()).filter(Boolean);

  const corsOrigins = (r.raw('CORS_ORIGINS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of corsOrigins) {
    if (!/^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(o)) {
      r.problems.push(`CORS_ORIGINS entries must be origins like https://app.example.com (got ${JSON.stringify(o)})`);
    }
  }

  const config: Config = {
    mode,
    port: r.int('PORT', 3000, 0, 65535),
    host: r.raw('HOST') ?? '0.0.0.0',
    nodeName: r.raw('NODE_NAME') ?? hostname(),
    databaseUrl,
    replicaUrls,
    redisUrl,
    jwtSecret,
    logLevel: r.oneOf<LogLevel>('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    trustProxy,
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    corsOrigins,
    dbPoolMax: r.int('DB_POOL_MAX', 10, 1, 200),
    dbStatementTimeoutMs: r.int('DB_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
    replicaMaxLagSeconds: r.num('REPLICA_MAX_LAG_SECONDS', 5, 0, 86_400),
    replicaCheckIntervalMs: r.int('REPLICA_CHECK_INTERVAL_MS', 2000, 100, 600_000),
    accessTokenTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', 900, 10, 86_400),
    refreshTokenTtlSeconds: r.int('REFRESH_TOKEN_TTL_SECONDS', 14 * 86_400, 60, 365 * 86_400),
    bcryptRounds: r.int('BCRYPT_ROUNDS', 10, 4, 15),
    userCacheTtlSeconds: r.int('USER_CACHE_TTL_SECONDS', 60, 1, 86_400),
    rateLimit: {
      max: r.int('RATE_LIMIT_MAX', 300, 1, 1_000_000_000),
      windowSeconds: r.int('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    },
    exportRateLimit: {
      max: r.int('EXPORT_RATE_LIMIT_MAX', 5, 1, 1_000_000_000),
      windowSeconds: r.int('EXPORT_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    },
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 600_000),
    shutdownDelayMs: r.int('SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    enableTestRoutes: r.bool('ENABLE_TEST_ROUTES', false),
    workerConcurrency: r.int('WORKER_CONCURRENCY', 5, 1, 100),
  };
  if (config.shutdownDelayMs >= config.shutdownTimeoutMs) {
    r.problems.push('SHUTDOWN_DELAY_MS must be smaller than SHUTDOWN_TIMEOUT_MS');
  }

  if (r.problems.length) throw new ConfigError(r.problems);
  return config;
}

/** What is safe to log about the configuration: no secrets, no URLs with credentials. */
export function describeConfig(c: Config): Record<string, unknown> {
  const where = (u: string) => {
    try {
      const x = new URL(u);
      return `${x.protocol}//${x.hostname}${x.port ? `:${x.port}` : ''}${x.pathname === '/' ? '' : x.pathname}`;
    } catch {
      return '(invalid)';
    }
  };
  return {
    mode: c.mode,
    port: c.port,
    node: c.nodeName,
    database: c.databaseUrl ? where(c.databaseUrl) : undefined,
    replicas: c.replicaUrls.map(where),
    redis: c.redisUrl ? where(c.redisUrl) : undefined,
    rateLimit: c.rateLimit,
    exportRateLimit: c.exportRateLimit,
    replicaMaxLagSeconds: c.replicaMaxLagSeconds,
    testRoutes: c.enableTestRoutes,
  };
}
