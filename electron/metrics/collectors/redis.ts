import { Redis } from 'ioredis';
import type { AddressResolver, MetricsTarget } from '../address.ts';
import { splitHostPort } from '../address.ts';
import { type CollectorTiming, PollingCollector, type PointSink } from '../source.ts';

/** `INFO` output as a flat map (section headers and blank lines skipped). */
export function parseRedisInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const num = (info: Record<string, string>, key: string): number => {
  const v = Number(info[key]);
  if (info[key] === undefined || !Number.isFinite(v)) throw new Error(`INFO has no numeric ${key}`);
  return v;
};

/** Redis INFO: ops/s and hit rate from counter deltas, used_memory, connected_clients. */
export class RedisCollector extends PollingCollector {
  private client: Redis | null = null;
  private prev: { t: number; cmds: number; hits: number; misses: number } | null = null;

  constructor(
    private readonly target: MetricsTarget,
    private readonly resolver: AddressResolver,
    timing: CollectorTiming,
    sink: PointSink,
    private readonly port = 6379,
    private readonly password?: string,
  ) {
    super(target.service, 'redis', timing, sink);
  }

  private async connect(signal: AbortSignal): Promise<Redis> {
    if (this.client && this.client.status === 'ready') return this.client;
    await this.reset();
    const { host, port } = splitHostPort(await this.resolver.resolveAddress(this.target, this.port));
    // No automatic reconnects or offline queue: the collector's own backoff decides when to retry.
    const client = new Redis({
      host,
      port,
      password: this.password,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: this.timing.timeoutMs,
      commandTimeout: this.timing.timeoutMs,
      connectionName: 'scaledeck-metrics',
    });
    client.on('error', () => undefined); // reported through the failing command
    this.client = client;
    const onAbort = () => client.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return client;
  }

  protected async scrape(signal: AbortSignal, startedAt: number): Promise<void> {
    const client = await this.connect(signal);
    const info = parseRedisInfo(await client.info());
    const t = startedAt;
    const cmds = num(info, 'total_commands_processed');
    const hits = num(info, 'keyspace_hits');
    const misses = num(info, 'keyspace_misses');
    const svc = this.service;
    this.sink(svc, 'used_memory_bytes', t, num(info, 'used_memory'));
    this.sink(svc, 'clients', t, num(info, 'connected_clients'));
    const p = this.prev;
    if (p && t > p.t && cmds >= p.cmds && hits >= p.hits && misses >= p.misses) {
      const dtS = (t - p.t) / 1000;
      // Our own INFO is one command per interval.
      this.sink(svc, 'ops', t, Math.max(0, cmds - p.cmds - 1) / dtS);
      const lookups = hits - p.hits + (misses - p.misses);
      if (lookups > 0) this.sink(svc, 'hit_rate_pct', t, ((hits - p.hits) / lookups) * 100);
    }
    this.prev = { t, cmds, hits, misses };
  }

  protected override onFailure(): void {
    this.prev = null;
    this.resolver.invalidate?.(this.target);
  }

  protected override async reset(): Promise<void> {
    const c = this.client;
    this.client = null;
    c?.disconnect();
  }
}
