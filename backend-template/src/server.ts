// The API node: `node dist/server.js`.
//
// Start: check the configuration (exit 1 with one line per problem), listen at once (so /health
// answers within a second), then migrate the schema in the background, retrying with backoff
// while Postgres is not reachable yet; /ready and /api/* answer 503 until that is done.
//
// SIGTERM/SIGINT: /ready turns 503, (after SHUTDOWN_DELAY_MS, default 0) the server stops
// accepting connections, closes idle keep-alive connections, lets in-flight requests finish,
// then closes the queue, Redis and the Postgres pools and exits 0. Exit 1 if that takes longer
// than SHUTDOWN_TIMEOUT_MS (10 s, below the 15 s the container gets before SIGKILL) or on a
// second signal.
import { buildApp, type AppState, type Services } from './app.js';
import { Auth } from './auth.js';
import { ConfigError, describeConfig, loadConfig, type Config } from './config.js';
import { Database } from './db.js';
import { createQueue } from './jobs.js';
import { createLogger, errFields } from './logger.js';
import { createMetrics } from './metrics.js';
import { migrateWithRetry } from './migrations.js';
import { RateLimiter } from './ratelimit.js';
import { createRedis } from './redis.js';

let cfg: Config;
try {
  cfg = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stdout.write(JSON.stringify({ level: 'fatal', time: new Date().toISOString(), msg: 'invalid configuration', problems: err.problems }) + '\n');
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger(cfg.logLevel, cfg.nodeName, 'api');
const metrics = createMetrics(cfg.nodeName, 'api');
const state: AppState = { migrated: false, draining: false };

let services: Services | undefined;
if (cfg.mode === 'full') {
  const db = new Database(cfg, log, metrics);
  const redis = createRedis(cfg.redisUrl, `api:${cfg.nodeName}`, log);
  const queue = createQueue(cfg.redisUrl);
  let lastQueueError = 0;
  queue.on('error', (err) => {
    if (Date.now() - lastQueueError < 5000) return; // one line per 5 s while Redis is away
    lastQueueError = Date.now();
    log.warn(errFields(err), 'job queue error');
  });
  services = { db, redis, queue, auth: new Auth(cfg, redis), limiter: new RateLimiter(redis) };
} else {
  log.warn(
    { missing: ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET'] },
    'standalone mode: no database, Redis or JWT secret configured; serving only /, /health, /ready and /metrics (/api/* answers 503)',
  );
}
if (cfg.enableTestRoutes) log.warn('ENABLE_TEST_ROUTES is on: test-only routes are served (never in production)');

const app = buildApp({ cfg, log, metrics, state, services });

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (err) => log.error(errFields(err), 'unhandled promise rejection'));

try {
  await app.listen({ port: cfg.port, host: cfg.host });
} catch (err) {
  log.fatal(errFields(err), 'cannot listen');
  process.exit(1);
}
log.info({ config: describeConfig(cfg) }, 'listening');

if (services) {
  const db = services.db;
  void migrateWithRetry(cfg.databaseUrl, log, () => state.draining).then((r) => {
    if (!r) return;
    state.migrated = true;
    db.startMonitor();
    log.info('ready');
  });
}

async function shutdown(signal: string) {
  if (state.draining) {
    log.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  state.draining = true;
  const t0 = Date.now();
  log.info({ signal, delayMs: cfg.shutdownDelayMs }, 'draining: /ready is 503');
  const hard = setTimeout(() => {
    log.error({ timeoutMs: cfg.shutdownTimeoutMs }, 'shutdown took too long: exiting with requests still open');
    process.exit(1);
  }, cfg.shutdownTimeoutMs);
  hard.unref();

  if (cfg.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, cfg.shutdownDelayMs));
  // Connections that finish their last request become idle later; close those too as they do.
  const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
  sweep.unref();
  try {
    await app.close(); // stops accepting; resolves when in-flight requests are done
  } catch (err) {
    log.error(errFields(err), 'closing the HTTP server failed');
  }
  clearInterval(sweep);
  if (services) {
    await Promise.allSettled([services.queue.close(), services.db.close()]);
    await services.redis.quit().catch(() => services?.redis.disconnect());
  }
  log.info({ ms: Date.now() - t0 }, 'shutdown complete');
  process.exit(0);
}
