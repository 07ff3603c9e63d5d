// The Fastify application: hooks (request ids, security headers, CORS, rate limits, metrics,
// one log line per request), the error handler, and the operational routes. The API routes live
// in routes/. Nothing here keeps per-user state in memory: any node can serve any request.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Auth, AuthUser } from './auth.js';
import type { Config } from './config.js';
import type { Database } from './db.js';
import { HttpError, isUnavailableError } from './errors.js';
import { errFields } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RateLimiter } from './ratelimit.js';
import { authRoutes } from './routes/auth.js';
import { jobRoutes } from './routes/jobs.js';
import { orderRoutes } from './routes/orders.js';
import { userRoutes } from './routes/users.js';
import { testRoutes } from './routes/test.js';

export type Settled = { value: unknown; error?: undefined } | { error: unknown; value?: undefined };

export interface AppState {
  /** The schema is migrated: API routes may touch the database. */
  migrated: boolean;
  /** SIGTERM received: /ready answers 503 so balancers stop sending new work. */
  draining: boolean;
}

/** Everything a route needs; absent in standalone mode. */
export interface Services {
  db: Database;
  redis: Redis;
  auth: Auth;
  limiter: RateLimiter;
  queue: Queue;
}

export interface AppContext {
  cfg: Config;
  log: Logger;
  metrics: Metrics;
  state: AppState;
  services?: Services;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
    /** The route's prefetch, started together with the rate limit check (see onRequest). */
    prefetched: Promise<Settled> | null;
  }
  interface FastifyContextConfig {
    /** Which rate limit policy applies (default: "api"). */
    rateLimit?: 'api' | 'exports';
    /**
     * A Redis read the handler will need, started while the rate limit check runs: ioredis'
     * auto-pipelining sends both in one write, so a cached read costs one Redis round trip, not
     * two. Its result is only used if the request gets past the limiter and auth.
     */
    prefetch?: (req: FastifyRequest) => Promise<unknown> | undefined;
  }
}

const VERSION = '0.2.0';
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // The API serves JSON only; should anything render as HTML, it may load nothing and not be framed.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const HSTS = 'max-age=31536000; includeSubDomains';
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);
const READY_CACHE_MS = 500;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function buildApp(ctx: AppContext): FastifyInstance {
  const { cfg, metrics, state, services } = ctx;
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // One line per request, written in onResponse below (Fastify's own two lines are off).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
    trustProxy: cfg.trustProxy,
    bodyLimit: cfg.bodyLimitBytes,
    // Above NGINX's upstream keepalive_timeout (60 s): NGINX closes idle connections first, so it
    // never sends a request down a connection this server is closing at that very moment.
    keepAliveTimeout: 65_000,
    requestTimeout: 120_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
  });
  app.server.headersTimeout = 66_000;
  app.decorateRequest('user', null);
  app.decorateRequest('prefetched', null);
  // JSON only: any other body type answers 415 instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');

  const corsAllowed = new Set(cfg.corsOrigins);
  const logQuietRoutes = ctx.log.isLevelEnabled('debug'); // /health, /ready, /metrics: debug only
  const durationSeries = new Map<string, { observe(v: number): void }>();

  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    reply.header('x-request-id', req.id);
    // HSTS only over TLS (here: TLS ended by the trusted proxy in front, X-Forwarded-Proto).
    if (req.headers['x-forwarded-proto'] !== undefined && req.protocol === 'https') reply.header('strict-transport-security', HSTS);
    // CORS is closed unless CORS_ORIGINS lists the origin: no Access-Control-* headers otherwise.
    const origin = req.headers.origin;
    if (origin && corsAllowed.has(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, X-Request-Id');
    }
    if (!req.url.startsWith('/api/')) return done();
    reply.header('cache-control', 'no-store');
    if (!services) return done(new HttpError(503, 'this node runs in standalone mode: set DATABASE_URL, REDIS_URL and JWT_SECRET to enable /api'));
    if (!state.migrated) return done(new HttpError(503, 'starting: the database schema is not ready yet', { 'retry-after': '2' }));
    const routeConfig = req.routeOptions.config;
    const policyName = routeConfig?.rateLimit ?? 'api';
    const policy = policyName === 'exports' ? cfg.exportRateLimit : cfg.rateLimit;
    const pending = routeConfig?.prefetch?.(req);
    if (pending) req.prefetched = pending.then((value) => ({ value }), (error: unknown) => ({ error }));
    services.limiter.hit(policyName, req.ip, policy).then(
      (r) => {
        reply.header('ratelimit-limit', r.limit);
        reply.header('ratelimit-remaining', r.remaining);
        reply.header('ratelimit-reset', r.resetSeconds);
        reply.header('ratelimit-policy', r.policy);
        if (r.allowed) return done();
        metrics.rateLimited.inc({ policy: policyName });
        done(new HttpError(429, `rate limit exceeded: ${r.limit} requests per ${policy.windowSeconds} s; retry in ${r.resetSeconds} s`, { 'retry-after': String(r.resetSeconds) }));
      },
      (err: unknown) => {
        // Fail open: a Redis hiccup must not take the API down with it.
        metrics.rateLimitErrors.inc();
        req.log.warn(errFields(err), 'rate limit check failed; request let through');
        done();
      },
    );
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    // One labelled child per (method, route, status), looked up by a string key: cheaper than
    // having prom-client hash a label object on every request.
    const key = `${req.method} ${status} ${route}`;
    let series = durationSeries.get(key);
    if (!series) {
      series = metrics.httpDuration.labels(req.method, route, String(status));
      durationSeries.set(key, series);
    }
    series.observe(ms / 1000);
    const quiet = QUIET_ROUTES.has(route);
    if (quiet && !logQuietRoutes) return done();
    const q = req.url.indexOf('?');
    const line = {
      method: req.method,
      route,
      path: (q === -1 ? req.url : req.url.slice(0, q)).slice(0, 200),
      status,
      ms: Math.round(ms * 100) / 100,
      ip: req.ip,
      user: req.user?.id,
    };
    if (quiet) req.log.debug(line, 'request');
    else if (status >= 500 && status !== 503) req.log.error(line, 'request');
    else if (status >= 500) req.log.warn(line, 'request');
    else req.log.info(line, 'request');
    done();
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof HttpError) {
      reply.headers(err.headers);
      return sendError(reply, err.statusCode, err.message);
    }
    const e = err as Error & { statusCode?: number; code?: string };
    // Fastify's own client errors: malformed JSON, body too large, unsupported media type, bad URL.
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, e.statusCode, e.message);
    }
    if (isUnavailableError(err)) {
      req.log.warn(errFields(err), 'backing service unavailable');
      reply.header('retry-after', '1');
      return sendError(reply, 503, 'a backing service (database or cache) is unavailable; retry shortly');
    }
    req.log.error(errFields(err), 'unhandled error');
    return sendError(reply, 500, 'internal error');
  });

  app.setNotFoundHandler((req, reply) => {
    const q = req.url.indexOf('?');
    const path = (q === -1 ? req.url : req.url.slice(0, q)).slice(0, 200);
    sendError(reply, 404, `no route for ${req.method} ${path}`);
  });

  // ---- operational routes (no auth, no database, not rate limited)

  const host = hostname();
  app.get('/', async () => ({ node: cfg.nodeName, hostname: host, pid: process.pid, version: VERSION, uptime_s: Math.round(process.uptime()), time: new Date().toISOString() }));

  // Liveness: is this process able to answer at all? Deliberately independent of Postgres and
  // Redis (restarting the node would not fix them).
  app.get('/health', async () => ({ status: 'ok' }));

  // Dependency checks are shared: however many probes arrive, at most one check runs at a time
  // and its answer is reused for READY_CACHE_MS.
  let lastCheck: { at: number; result: Promise<{ database: boolean; redis: boolean }> } | undefined;
  const dependencyChecks = () => {
    if (!services) return Promise.resolve({ database: false, redis: false });
    if (lastCheck && Date.now() - lastCheck.at < READY_CACHE_MS) return lastCheck.result;
    const result = Promise.all([services.db.ping(2000), pingRedis(services.redis, 2000)]).then(([database, redis]) => ({ database, redis }));
    lastCheck = { at: Date.now(), result };
    // Time the cache from when the answer arrived.
    void result.then(() => {
      if (lastCheck?.result === result) lastCheck.at = Date.now();
    });
    return result;
  };

  // Readiness: should this node get traffic? Not while draining, nor without its database/Redis.
  app.get('/ready', async (_req, reply) => {
    if (state.draining) return reply.code(503).send({ status: 'draining' });
    if (!services) return { status: 'ready', mode: 'standalone' };
    const { database, redis } = await dependencyChecks();
    const checks = { database, redis, migrations: state.migrated };
    const ok = database && redis && state.migrated;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks, replicas: services.db.replicaStatus() });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  // Preflight for the allowed origins only.
  if (corsAllowed.size) {
    app.options('/api/*', async (req, reply) => {
      const origin = req.headers.origin;
      if (!origin || !corsAllowed.has(origin)) return sendError(reply, 403, 'origin not allowed');
      reply.headers({
        'access-control-allow-methods': 'GET, POST, PATCH, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, idempotency-key, x-request-id',
        'access-control-max-age': '600',
      });
      return reply.code(204).send();
    });
  }

  if (services) {
    const deps = { ...ctx, services };
    app.register(async (api) => {
      authRoutes(api, deps);
      userRoutes(api, deps);
      orderRoutes(api, deps);
      jobRoutes(api, deps);
      if (cfg.enableTestRoutes) testRoutes(api);
    });
  }
  return app;
}

export type RouteDeps = AppContext & { services: Services };

export function sendError(reply: FastifyReply, status: number, message: string) {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  return reply.code(status).send({ error: titles[status] ?? 'Error', message, request_id: reply.request.id });
}

/** preHandler for routes that need a signed-in user. */
export function requireUser(deps: RouteDeps) {
  return async (req: FastifyRequest) => {
    req.user = await deps.services.auth.verify(req.headers.authorization);
  };
}

async function pingRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error('timeout')), timeoutMs);
    });
    return (await Promise.race([redis.ping(), timeout])) === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
