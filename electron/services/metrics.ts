import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { AlertRule, MetricsSnapshot } from '../../shared/metrics/types.ts';
import { hostOf, hostsOf, LOCAL, usesHosts } from '../../shared/generate/placement.ts';
import { names } from '../../shared/labels.ts';
import { BridgeNetworkResolver, DEFAULT_RULES, MetricsRegistry, prometheusScrapeConfig, RuleValidationError, TunnelResolver, type MetricsHost, type MetricsHub } from '../metrics/index.ts';
import { describeHost } from '../ssh/pool.ts';
import type { ClusterSpec } from '../../shared/spec/schema.ts';
import type { ScaleDeck } from './scaledeck.ts';

/**
 * Live metrics for the API contract: one hub per cluster, started when a client first asks and
 * stopped when no client has asked for two minutes (the UI asks every few seconds while a
 * metrics view is open). Batches go out as `metrics` events; alert rules are kept per cluster
 * in the workspace (alert-rules.json).
 */
const IDLE_MS = 120_000;

export class MetricsService {
  private readonly registry: MetricsRegistry;
  private readonly lastAsked = new Map<string, number>();
  private readonly unsubscribe = new Map<string, () => void>();
  /** The hosts each running hub follows (from the spec it was made for). */
  private readonly placement = new Map<string, string>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly app: ScaleDeck) {
    this.registry = new MetricsRegistry((cluster) => {
      const spec = this.app.storedSpec(cluster);
      this.placement.set(cluster, placementKey(spec));
      return {
        engine: this.app.engine,
        hosts: usesHosts(spec) ? this.hostsOf(cluster, hostsOf(spec)) : undefined,
        cluster,
        api: { port: spec.api.port },
        postgres: { user: 'postgres', password: this.app.workspace.peekSecrets(cluster).POSTGRES_PASSWORD, database: spec.postgres.database },
        redis: { password: spec.redis.password ? this.app.workspace.peekSecrets(cluster).REDIS_PASSWORD : undefined },
        rules: this.savedRules(cluster) ?? DEFAULT_RULES,
      };
    });
    this.sweeper = setInterval(() => void this.sweep(), 15_000);
    this.sweeper.unref();
  }

  /**
   * Every engine of a cluster placed on hosts. A remote host's engine is the pooled one over its
   * SSH connection; its containers' ports are reached through tunnels on that same connection.
   */
  private hostsOf(cluster: string, placed: string[]): MetricsHost[] {
    const network = names.network(cluster);
    const local = async () => this.app.engine;
    return [...new Set([LOCAL, ...placed])].map((name): MetricsHost => {
      if (name === LOCAL) return { name, engine: local, resolver: new BridgeNetworkResolver(this.app.engine, network) };
      const hosts = this.app.hosts();
      const engine = () => hosts.engine(name);
      const connection = () => hosts.connection(name);
      let label = `host ${name}`;
      try {
        label = describeHost(hosts.store.get(name));
      } catch {
        /* removed since: its sources say "host <name>: ..." */
      }
      return {
        name,
        label,
        engine,
        resolver: new TunnelResolver({
          inner: new BridgeNetworkResolver(engine, network),
          forward: async (ip, port) => (await connection()).forwardTcp(ip, port),
          check: async () => void (await connection()),
        }),
      };
    });
  }

  private rulesPath(cluster: string): string {
    return join(this.app.workspace.root, 'clusters', cluster, 'alert-rules.json');
  }

  private savedRules(cluster: string): AlertRule[] | null {
    const p = this.rulesPath(cluster);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as AlertRule[]) : null;
  }

  private async hub(cluster: string): Promise<MetricsHub> {
    this.lastAsked.set(cluster, Date.now());
    if (this.registry.clusters().includes(cluster)) {
      // Re-placed since its hub started (moved onto hosts, or to others): follow the new engines.
      let now: string | null = null;
      try {
        now = placementKey(this.app.storedSpec(cluster));
      } catch {
        /* gone or unreadable: the running hub answers until it idles out */
      }
      if (now !== null && now !== this.placement.get(cluster)) await this.stop(cluster);
      this.lastAsked.set(cluster, Date.now());
    }
    const hub = await this.registry.hub(cluster);
    if (!this.unsubscribe.has(cluster)) {
      this.unsubscribe.set(cluster, hub.subscribe((batch) => this.app.events.emit({ type: 'metrics', batch })));
    }
    return hub;
  }

  async snapshot(cluster: string, windowMs?: number): Promise<MetricsSnapshot> {
    const hub = await this.hub(cluster);
    return hub.snapshot(Math.min(Math.max(windowMs ?? 5 * 60_000, 10_000), 6 * 3600_000), { maxPoints: 300 });
  }

  async rules(cluster: string): Promise<AlertRule[]> {
    return (await this.hub(cluster)).getRules();
  }

  async setRules(cluster: string, rules: unknown): Promise<AlertRule[]> {
    const hub = await this.hub(cluster);
    try {
      const saved = hub.setRules(rules);
      writeFileSync(this.rulesPath(cluster), `${JSON.stringify(saved, null, 2)}\n`);
      return saved;
    } catch (err) {
      if (err instanceof RuleValidationError) throw new ScaleDeckError('BAD_REQUEST', err.message);
      throw err;
    }
  }

  /** prometheus.yml scrape config for the cluster's running API nodes. */
  async scrapeConfig(cluster: string): Promise<string> {
    const spec = this.app.storedSpec(cluster);
    if (usesHosts(spec)) {
      // The running nodes (every host), addressed as the balancer's host reaches them.
      const { observed } = await this.app.observeCluster(cluster, spec, { readBalancerConf: false });
      const via = this.app.upstreamAddresses(spec);
      const targets = observed.containers
        .filter((c) => c.role === 'api')
        .map((c) => ({ service: c.service, address: via.get(c.service) ?? `${c.service}:${spec.api.port}` }))
        .sort((a, b) => a.service.localeCompare(b.service, undefined, { numeric: true }));
      return prometheusScrapeConfig(spec, { spread: { host: hostOf(spec, 'balancer'), targets } });
    }
    const containers = await this.app.engine.listContainers(cluster);
    const apiNodes = containers.filter((c) => c.labels['io.scaledeck.role'] === 'api').map((c) => c.labels['io.scaledeck.service']!).sort();
    return prometheusScrapeConfig(spec, { apiNodes: apiNodes.length ? apiNodes : undefined });
  }

  async stop(cluster: string): Promise<void> {
    this.placement.delete(cluster);
    this.unsubscribe.get(cluster)?.();
    this.unsubscribe.delete(cluster);
    this.lastAsked.delete(cluster);
    await this.registry.stop(cluster);
  }

  async stopAll(): Promise<void> {
    clearInterval(this.sweeper);
    for (const c of [...this.unsubscribe.keys()]) this.unsubscribe.get(c)?.();
    this.unsubscribe.clear();
    await this.registry.stopAll();
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const cluster of this.registry.clusters()) {
      if (now - (this.lastAsked.get(cluster) ?? 0) > IDLE_MS) await this.stop(cluster);
    }
  }
}

/** Which engines a cluster's metrics follow: '' for the local engine only, else its hosts. */
function placementKey(spec: ClusterSpec): string {
  return usesHosts(spec) ? hostsOf(spec).join(',') : '';
}
