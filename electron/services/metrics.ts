import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { AlertRule, MetricsSnapshot } from '../../shared/metrics/types.ts';
import { DEFAULT_RULES, MetricsRegistry, prometheusScrapeConfig, RuleValidationError, type MetricsHub } from '../metrics/index.ts';
import type { ScaleDeck } from './scaledeck.ts';
import type { MetricsHubOptions } from '../metrics/hub.ts';
import { hostsOf, LOCAL, usesHosts } from '../../shared/generate/placement.ts';
import type { ClusterSpec } from '../../shared/spec/index.ts';
import { FleetEngine, FleetResolver, type FleetMember } from '../ssh/metrics.ts';

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
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly app: ScaleDeck) {
    this.registry = new MetricsRegistry(async (cluster) => {
      const spec = this.app.storedSpec(cluster);
      const fleet = usesHosts(spec) ? await this.fleetOptions(cluster, spec) : {};
      return {
        engine: this.app.engine,
        cluster,
        api: { port: spec.api.port },
        postgres: { user: 'postgres', password: this.app.workspace.peekSecrets(cluster).POSTGRES_PASSWORD, database: spec.postgres.database },
        rules: this.savedRules(cluster) ?? DEFAULT_RULES,
        ...fleet,
      };
    });
    this.sweeper = setInterval(() => void this.sweep(), 15_000);
    this.sweeper.unref();
  }

  /** A cluster spread over hosts: containers of every host, remote ports through SSH tunnels. */
  private async fleetOptions(cluster: string, spec: ClusterSpec): Promise<Pick<MetricsHubOptions, 'engine' | 'statsSource' | 'resolver'>> {
    const hosts = [...new Set([LOCAL, ...hostsOf(spec)])];
    const engines = await this.app.enginesFor(hosts);
    const members: FleetMember[] = hosts.map((host) => ({
      host,
      engine: engines.get(host)!,
      ...(host === LOCAL ? {} : { connection: () => this.app.hosts().connection(host) }),
    }));
    const fleet = new FleetEngine(members, this.app.engine);
    return { engine: fleet, statsSource: fleet.statsSource(), resolver: new FleetResolver(fleet, cluster, this.app.engine) };
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
    const containers = await this.app.engine.listContainers(cluster);
    const apiNodes = containers.filter((c) => c.labels['io.scaledeck.role'] === 'api').map((c) => c.labels['io.scaledeck.service']!).sort();
    return prometheusScrapeConfig(spec, { apiNodes: apiNodes.length ? apiNodes : undefined });
  }

  async stop(cluster: string): Promise<void> {
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
