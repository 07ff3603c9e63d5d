import { LABEL } from '../../shared/labels.ts';
import type { ContainerSummary, EngineClient } from '../docker/client.ts';
import { type AddressResolver, BridgeNetworkResolver, type MetricsTarget } from './address.ts';
import { AlertEngine, DEFAULT_RULES, validateRules } from './alerts.ts';
import { ApiCollector, type ApiCollectorOptions, type ApiInterval } from './collectors/api.ts';
import { NginxCollector } from './collectors/nginx.ts';
import { PostgresCollector, type PostgresCredentials } from './collectors/postgres.ts';
import { RedisCollector } from './collectors/redis.ts';
import { type StatsSource, StatsStreamCollector } from './collectors/stats-stream.ts';
import { histogramQuantile, mergeHttp } from './histogram.ts';
import { SeriesStore, type SeriesStoreOptions } from './series.ts';
import { type Collector, type CollectorTiming, SourceTracker, timing as makeTiming, withTimeout } from './source.ts';
import type { AlertEvent, AlertRule, MetricsBatch, MetricsSnapshot, Point, SeriesKey, SeriesView, ServiceInfo, SourceKind, SourceStatus } from './types.ts';

/** One engine a cluster placed on hosts uses (`local`, or a remote host over SSH). */
export interface MetricsHost {
  name: string;
  /** The host's engine; rejects (naming the host) while it cannot be reached. */
  engine: () => Promise<EngineClient>;
  /** How collectors reach its containers' ports (a remote host: tunnels over its SSH connection). */
  resolver: AddressResolver;
  /** Put before errors of its sources that do not name the host (e.g. `host web1 (lab@h:22)`). */
  label?: string;
  /** How to open its containers' stats streams (default: its engine's). */
  statsSource?: StatsSource;
}

export interface MetricsHubOptions {
  /** The local engine (the only one followed unless `hosts` is given). */
  engine: EngineClient;
  cluster: string;
  /** Default collector interval (1000 ms). */
  intervalMs?: number;
  /** Per-source interval overrides. */
  intervals?: Partial<Record<SourceKind, number>>;
  /** Timing overrides for every collector (timeout, backoff cap, staleness). */
  timing?: Partial<Omit<CollectorTiming, 'intervalMs'>>;
  /** Batch period (1000 ms). */
  batchMs?: number;
  /** Container re-discovery period (3000 ms). */
  discoverMs?: number;
  api?: ApiCollectorOptions;
  nginx?: { port?: number; path?: string };
  redis?: { port?: number; password?: string };
  /** Credentials for the Postgres collector (user postgres, POSTGRES_PASSWORD, spec database). */
  postgres?: PostgresCredentials & { port?: number };
  /** How to reach container ports (default: the container's IP on network sd-<cluster>). */
  resolver?: AddressResolver;
  /** How to open a container's stats stream (default: the engine's). */
  statsSource?: StatsSource;
  rules?: AlertRule[];
  store?: SeriesStoreOptions;
  /** Host memory for the memory % of containers without a limit (default: asked from the engine). */
  hostMemBytes?: number;
  /** Where internal errors go (they never escape the hub). */
  log?: (message: string) => void;
  /**
   * A cluster placed on hosts: follow every engine it uses. Containers are listed on each, their
   * stats streams opened on their own engine and their ports reached through their host's
   * resolver; services and sources carry the host's name. Without it only `engine` is followed.
   */
  hosts?: MetricsHost[];
}

interface HostState {
  name: string;
  engine: () => Promise<EngineClient>;
  resolver: AddressResolver;
  label?: string;
  statsSource: StatsSource;
  tracker: SourceTracker;
  memBytes?: number;
  memAsked: boolean;
}

interface ServiceEntry {
  host: HostState;
  info: ServiceInfo;
  target: MetricsTarget;
  collectors: Collector[];
  running: boolean;
}

type Subscriber = (batch: MetricsBatch) => void;

const statusKey = (s: SourceStatus) => `${s.state}|${s.error ?? ''}|${s.failures}`;

/**
 * Live metrics of one cluster: discovers its containers by label (again every few seconds, so
 * scaled nodes come and go), runs one collector per source, keeps every series in ring buffers,
 * computes cluster aggregates, evaluates alert rules, and hands subscribers one batch per second.
 */
export class MetricsHub {
  readonly cluster: string;
  private readonly engine: EngineClient;
  private readonly opts: MetricsHubOptions;
  private readonly store: SeriesStore;
  private readonly alerts: AlertEngine;
  private readonly services = new Map<string, ServiceEntry>();
  /** The engines followed: the local one, or every host of a cluster placed on hosts. */
  private readonly hosts: HostState[];
  private readonly multiHost: boolean;
  private readonly subscribers = new Set<Subscriber>();
  private pending = new Map<SeriesKey, Point[]>();
  private pendingAlerts: AlertEvent[] = [];
  private readonly sentStatus = new Map<string, string>();
  private servicesDirty = true;
  private seq = 0;
  private batchTimer: NodeJS.Timeout | null = null;
  private discoverTimer: NodeJS.Timeout | null = null;
  private discovering: Promise<void> | null = null;
  private running = false;
  readonly intervalMs: number;

  constructor(opts: MetricsHubOptions) {
    this.opts = opts;
    this.cluster = opts.cluster;
    this.engine = opts.engine;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.store = new SeriesStore({ resolutionMs: this.intervalMs, ...opts.store });
    this.alerts = new AlertEngine(opts.rules ?? DEFAULT_RULES, { staleMs: Math.max(3000, 3 * this.intervalMs) });
    const engineStale = Math.max(10_000, 3 * (opts.discoverMs ?? 3000));
    const streamsOf = (engine: () => Promise<EngineClient>): StatsSource => ({
      openStatsStream: async (id, signal) =>
        (await engine()).docker.getContainer(id).stats({ stream: true, abortSignal: signal } as { stream: true }) as Promise<NodeJS.ReadableStream>,
    });
    this.multiHost = !!opts.hosts?.length;
    if (opts.hosts?.length) {
      this.hosts = opts.hosts.map((h) => ({
        name: h.name,
        engine: h.engine,
        resolver: h.resolver,
        label: h.label,
        statsSource: h.statsSource ?? streamsOf(h.engine),
        // The local engine keeps its source id; a remote one is `cluster@<host>:engine`.
        tracker: new SourceTracker(h.label ? `cluster@${h.name}` : 'cluster', 'engine', engineStale).onHost(h.name, h.label),
        memBytes: h.label ? undefined : opts.hostMemBytes,
        memAsked: false,
      }));
    } else {
      const engine = async () => this.engine;
      this.hosts = [
        {
          name: 'local',
          engine,
          resolver: opts.resolver ?? BridgeNetworkResolver.forCluster(opts.engine, opts.cluster),
          statsSource: opts.statsSource ?? streamsOf(engine),
          tracker: new SourceTracker('cluster', 'engine', engineStale),
          memBytes: opts.hostMemBytes,
          memAsked: false,
        },
      ];
    }
  }

  /** Host memory (for the memory % of containers without a limit), asked once per engine. */
  private async askMemory(h: HostState, engine: EngineClient): Promise<void> {
    if (h.memBytes !== undefined || h.memAsked) return;
    h.memAsked = true;
    try {
      const info = (await withTimeout(5000, () => engine.docker.info())) as { MemTotal?: number };
      if (info?.MemTotal) h.memBytes = info.MemTotal;
    } catch {
      /* memory % falls back to the limit docker reports */
    }
  }

  // ---------------------------------------------------------------------------------------------
  // lifecycle

  /** Discover the cluster once and start collecting; resolves when collectors are started. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Remote hosts are asked when first listed (one that is down must not hold up the start).
    if (!this.multiHost) await this.askMemory(this.hosts[0]!, this.engine);
    await this.discover();
    if (!this.running) return;
    this.batchTimer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        // Never let a bad batch take the process down; the next one starts afresh.
        this.opts.log?.(`metrics ${this.cluster}: batch failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    }, this.opts.batchMs ?? 1000);
    this.discoverTimer = setInterval(() => void this.discover(), this.opts.discoverMs ?? 3000);
  }

  /** Stop every collector and timer; the series stay queryable. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.batchTimer) clearInterval(this.batchTimer);
    if (this.discoverTimer) clearInterval(this.discoverTimer);
    this.batchTimer = this.discoverTimer = null;
    await this.discovering?.catch(() => undefined);
    await Promise.all([...this.services.values()].flatMap((s) => s.collectors.map((c) => c.stop())));
    for (const s of this.services.values()) {
      s.collectors = [];
      s.running = false; // a later start() makes fresh collectors
    }
    for (const h of this.hosts) h.resolver.close?.(); // tunnels to remote containers
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Receive one batch per batch period. Returns the unsubscribe function. */
  subscribe(cb: Subscriber): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  // ---------------------------------------------------------------------------------------------
  // discovery

  /** List the cluster's containers and start/stop collectors to match. Never throws. */
  discover(): Promise<void> {
    if (!this.discovering) {
      this.discovering = this.discoverOnce()
        .catch((err: unknown) => this.opts.log?.(`metrics ${this.cluster}: discovery failed: ${(err as Error)?.stack ?? String(err)}`))
        .finally(() => (this.discovering = null));
    }
    return this.discovering;
  }

  /** One engine's containers of the cluster, or null (its source marked down) when it cannot be listed. */
  private async listOn(h: HostState): Promise<ContainerSummary[] | null> {
    const t0 = performance.now();
    try {
      const list = await withTimeout(10_000, async () => {
        const engine = await h.engine();
        if (this.multiHost) await this.askMemory(h, engine);
        return engine.listContainers(this.cluster);
      });
      h.tracker.ok(Date.now(), performance.now() - t0);
      return list;
    } catch (err) {
      h.tracker.fail(Date.now(), err);
      return null;
    }
  }

  private async discoverOnce(): Promise<void> {
    // Every engine at once: a host that is down costs its own timeout, not the others'.
    const lists = await Promise.all(this.hosts.map(async (h) => ({ h, list: await this.listOn(h) })));
    const listed = lists.filter((l): l is { h: HostState; list: ContainerSummary[] } => l.list !== null);
    if (listed.length === 0 || !this.running) return;
    const list = listed.flatMap(({ h, list }) => list.map((c) => ({ ...c, host: h })));
    // Containers of a host that could not be listed stay as they are (their collectors report it).
    const unlisted = new Set(lists.filter((l) => l.list === null).map((l) => l.h));
    // Running containers claim their service key first (an old stopped copy must not shadow it).
    list.sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || a.name.localeCompare(b.name));
    const seen = new Set<string>();
    const prefix = `sd-${this.cluster}-`;
    for (const c of list) {
      let scope = c.labels[LABEL.service] || c.name.replace(prefix, '');
      if (seen.has(scope)) scope = c.name.startsWith(prefix) ? c.name.slice(prefix.length) : c.name;
      if (seen.has(scope)) scope = `${scope}-${c.id.slice(0, 6)}`;
      seen.add(scope);
      const info: ServiceInfo = { service: scope, role: c.labels[LABEL.role] ?? 'unknown', containerId: c.id, containerName: c.name, state: c.state };
      if (this.multiHost) info.host = c.host.name;
      const running = c.state === 'running';
      let entry = this.services.get(scope);
      if (entry && (entry.info.containerId !== c.id || entry.host !== c.host)) {
        // Recreated under the same service key: start over.
        await this.stopEntry(entry);
        entry.host.resolver.invalidate?.(entry.target);
        this.services.delete(scope);
        entry = undefined;
      }
      if (!entry) {
        entry = { host: c.host, info, target: { id: c.id, name: c.name, service: scope, role: info.role }, collectors: [], running: false };
        this.services.set(scope, entry);
        this.servicesDirty = true;
      }
      if (entry.info.state !== c.state) {
        entry.info.state = c.state;
        this.servicesDirty = true;
      }
      if (running && !entry.running) {
        await this.stopEntry(entry);
        entry.host.resolver.invalidate?.(entry.target);
        entry.collectors = this.makeCollectors(entry);
        entry.running = true;
        for (const col of entry.collectors) col.start();
      } else if (!running && entry.running) {
        entry.running = false;
        await this.stopEntry(entry);
        for (const col of entry.collectors) col.tracker.down(`container is ${c.state}`);
      } else if (!running && entry.collectors.length === 0) {
        entry.collectors = this.makeCollectors(entry);
        for (const col of entry.collectors) col.tracker.down(`container is ${c.state}`);
      }
    }
    for (const [scope, entry] of this.services) {
      if (seen.has(scope) || unlisted.has(entry.host)) continue;
      await this.stopEntry(entry);
      entry.host.resolver.invalidate?.(entry.target); // its tunnels, if any
      this.services.delete(scope);
      this.servicesDirty = true;
    }
  }

  private async stopEntry(entry: ServiceEntry): Promise<void> {
    await Promise.all(entry.collectors.map((c) => c.stop()));
  }

  private makeCollectors(entry: ServiceEntry): Collector[] {
    const o = this.opts;
    const { target, host } = entry;
    const resolver = host.resolver;
    const t = (kind: SourceKind) => makeTiming(o.intervals?.[kind] ?? this.intervalMs, o.timing);
    const sink = this.sink;
    const stats = new StatsStreamCollector(target, host.statsSource, t('stats'), sink, host.memBytes);
    const out: Collector[] = [stats];
    switch (target.role) {
      case 'balancer':
        out.push(new NginxCollector(target, resolver, t('nginx'), sink, o.nginx?.port, o.nginx?.path));
        break;
      case 'api':
        out.push(new ApiCollector(target, resolver, t('api'), sink, o.api));
        break;
      case 'redis':
        out.push(new RedisCollector(target, resolver, t('redis'), sink, o.redis?.port, o.redis?.password));
        break;
      case 'postgres':
        out.push(new PostgresCollector(target, resolver, t('postgres'), sink, o.postgres, o.postgres?.port));
        break;
    }
    if (this.multiHost) for (const c of out) c.tracker.onHost(host.name, host.label);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // points, aggregates, batches

  private readonly sink = (service: string, metric: string, t: number, v: number): void => {
    const key = `${service}:${metric}`;
    if (!this.store.push(key, t, v)) return;
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push([t, v]);
  };

  /** Cluster-wide series from each source's latest fresh value. */
  private aggregate(now: number): void {
    const fresh = Math.max(2500, 2.5 * this.intervalMs);
    const intervals: ApiInterval[] = [];
    let nodesUp = 0;
    let cpu = 0;
    let mem = 0;
    let statsSeen = 0;
    for (const entry of this.services.values()) {
      if (!entry.running) continue;
      for (const c of entry.collectors) {
        if (c instanceof ApiCollector) {
          if (c.tracker.snapshot(now).state === 'up') nodesUp++;
          if (c.latest && now - c.latest.t <= fresh) intervals.push(c.latest);
        }
      }
      const cp = this.store.latest(`${entry.info.service}:cpu_pct`);
      if (cp && now - cp[0] <= fresh) {
        cpu += cp[1];
        statsSeen++;
      }
      const mb = this.store.latest(`${entry.info.service}:mem_bytes`);
      if (mb && now - mb[0] <= fresh) mem += mb[1];
    }
    if (statsSeen > 0) {
      this.sink('cluster', 'cpu_total_pct', now, cpu);
      this.sink('cluster', 'mem_total_bytes', now, mem);
    }
    const apiCount = [...this.services.values()].filter((s) => s.info.role === 'api').length;
    if (apiCount > 0) this.sink('cluster', 'nodes_up', now, nodesUp);
    if (intervals.length === 0) return;
    const rps = intervals.reduce((a, i) => a + i.delta.count / i.dtS, 0);
    this.sink('cluster', 'rps', now, rps);
    const merged = mergeHttp(intervals.map((i) => i.delta));
    if (merged.count <= 0) return;
    if (merged.buckets.length >= 2) {
      for (const [q, metric] of [
        [0.5, 'p50_ms'],
        [0.95, 'p95_ms'],
        [0.99, 'p99_ms'],
      ] as const) {
        const v = histogramQuantile(q, merged.buckets);
        if (Number.isFinite(v)) this.sink('cluster', metric, now, v * 1000);
      }
    }
    this.sink('cluster', 'err4xx_pct', now, (merged.c4xx / merged.count) * 100);
    this.sink('cluster', 'err5xx_pct', now, (merged.c5xx / merged.count) * 100);
    this.sink('cluster', 'error_pct', now, (merged.c5xx / merged.count) * 100);
  }

  /** One batch period: aggregates, alerts, then one batch to every subscriber. */
  tick(now = Date.now()): MetricsBatch {
    this.aggregate(now);
    this.pendingAlerts.push(...this.alerts.evaluate(now, this.store.keys(), (k) => this.store.latest(k)));
    const batch: MetricsBatch = { cluster: this.cluster, seq: ++this.seq, at: now, points: Object.fromEntries(this.pending) };
    this.pending = new Map();
    const changed: SourceStatus[] = [];
    const current = new Set<string>();
    for (const s of this.sourceStatuses(now)) {
      current.add(s.id);
      const k = statusKey(s);
      if (this.sentStatus.get(s.id) !== k) {
        this.sentStatus.set(s.id, k);
        changed.push(s);
      }
    }
    const removed = [...this.sentStatus.keys()].filter((id) => !current.has(id));
    for (const id of removed) this.sentStatus.delete(id);
    if (changed.length) batch.sources = changed;
    if (removed.length) batch.sourcesRemoved = removed;
    if (this.pendingAlerts.length) batch.alerts = this.pendingAlerts;
    this.pendingAlerts = [];
    if (this.servicesDirty) {
      batch.services = this.serviceList();
      this.servicesDirty = false;
    }
    for (const cb of this.subscribers) {
      try {
        cb(batch);
      } catch (err) {
        // A failing subscriber must not stop the others or the hub.
        this.opts.log?.(`metrics ${this.cluster}: subscriber failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    return batch;
  }

  // ---------------------------------------------------------------------------------------------
  // queries

  serviceList(): ServiceInfo[] {
    return [...this.services.values()].map((s) => {
      const stats = s.collectors.find((c): c is StatsStreamCollector => c instanceof StatsStreamCollector);
      const info = { ...s.info };
      if (stats?.memLimitBytes) info.memLimitBytes = stats.memLimitBytes;
      return info;
    });
  }

  sourceStatuses(now = Date.now()): SourceStatus[] {
    const out = this.hosts.map((h) => h.tracker.snapshot(now));
    for (const s of this.services.values()) for (const c of s.collectors) out.push(c.tracker.snapshot(now));
    return out;
  }

  seriesKeys(): SeriesKey[] {
    return this.store.keys();
  }

  latest(key: SeriesKey): Point | undefined {
    return this.store.latest(key);
  }

  /** Points of one series over the last `windowMs` (raw, or downsampled when long or when maxPoints asks). */
  query(key: SeriesKey, windowMs: number, opts: { maxPoints?: number; now?: number } = {}): SeriesView {
    return this.store.query(key, windowMs, opts);
  }

  /** Everything a new view needs (series of the last `windowMs`, default 5 min). */
  snapshot(windowMs = 5 * 60_000, opts: { maxPoints?: number; series?: (key: SeriesKey) => boolean } = {}): MetricsSnapshot {
    const now = Date.now();
    const series: Record<SeriesKey, SeriesView> = {};
    for (const key of this.store.keys()) {
      if (opts.series && !opts.series(key)) continue;
      series[key] = this.store.query(key, windowMs, { now, maxPoints: opts.maxPoints });
    }
    return {
      cluster: this.cluster,
      seq: this.seq,
      at: now,
      intervalMs: this.intervalMs,
      windowMs,
      services: this.serviceList(),
      sources: this.sourceStatuses(now),
      series,
      alerts: { active: this.alerts.active(), recent: this.alerts.recent() },
      rules: this.alerts.getRules(),
    };
  }

  getRules(): AlertRule[] {
    return this.alerts.getRules();
  }

  /** Replace the cluster's rules (plain JSON, validated; throws RuleValidationError). */
  setRules(rules: unknown): AlertRule[] {
    const valid = validateRules(rules);
    this.pendingAlerts.push(...this.alerts.setRules(valid));
    return this.alerts.getRules();
  }

  activeAlerts() {
    return this.alerts.active();
  }

  recentAlerts() {
    return this.alerts.recent();
  }
}
