// Prometheus metrics: request latency by route and status, process metrics, pools, cache, limits.
import client from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(node: string, component: 'api' | 'worker') {
  const registry = new client.Registry();
  registry.setDefaultLabels({ node, component });
  client.collectDefaultMetrics({ register: registry });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const cacheHits = new client.Counter({
    name: 'cache_hits_total',
    help: 'Cache-aside reads answered from Redis',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  const cacheMisses = new client.Counter({
    name: 'cache_misses_total',
    help: 'Cache-aside reads that went to the database',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  const cacheErrors = new client.Counter({
    name: 'cache_errors_total',
    help: 'Cache operations that failed (the request went on without the cache)',
    labelNames: ['cache', 'op'] as const,
    registers: [registry],
  });
  const cacheInvalidations = new client.Counter({
    name: 'cache_invalidations_total',
    help: 'Cache entries deleted after a write',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  const dbQueries = new client.Counter({
    name: 'db_queries_total',
    help: 'Database queries by target pool (primary, or replica-N) and kind (read or write)',
    labelNames: ['pool', 'kind'] as const,
    registers: [registry],
  });
  const replicaFallbacks = new client.Counter({
    name: 'db_replica_fallbacks_total',
    help: 'Reads sent to the primary because no replica could serve them (reason: none, down, lagging, error)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const replicaLag = new client.Gauge({
    name: 'db_replica_lag_seconds',
    help: 'Replication lag of each replica as last measured (-1: unreachable)',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const replicaHealthy = new client.Gauge({
    name: 'db_replica_healthy',
    help: '1 if the replica is reachable and within the lag bound',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const rateLimited = new client.Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests answered 429 by policy',
    labelNames: ['policy'] as const,
    registers: [registry],
  });
  const rateLimitErrors = new client.Counter({
    name: 'rate_limit_errors_total',
    help: 'Rate limit checks that failed (Redis unavailable); the request was let through',
    registers: [registry],
  });
  const jobsEnqueued = new client.Counter({
    name: 'jobs_enqueued_total',
    help: 'Background jobs queued',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const jobsProcessed = new client.Counter({
    name: 'jobs_processed_total',
    help: 'Background job attempts by outcome (completed, failed)',
    labelNames: ['name', 'outcome'] as const,
    registers: [registry],
  });

  return {
    registry,
    httpDuration,
    cacheHits,
    cacheMisses,
    cacheErrors,
    cacheInvalidations,
    dbQueries,
    replicaFallbacks,
    replicaLag,
    replicaHealthy,
    rateLimited,
    rateLimitErrors,
    jobsEnqueued,
    jobsProcessed,
    /** Gauges read at scrape time (e.g. pool sizes). */
    gauge(name: string, help: string, labelNames: string[], collect: (g: client.Gauge<string>) => void) {
      return new client.Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          collect(this);
        },
      });
    },
  };
}
