import { MetricsHub, type MetricsHubOptions } from './hub.ts';

/**
 * One MetricsHub per cluster, created on first use and started once. `options(cluster)` supplies
 * what differs per cluster (engine, Postgres credentials from the cluster's secrets, saved rules,
 * api port from the spec, a tunnel resolver for remote hosts).
 */
export class MetricsRegistry {
  private readonly hubs = new Map<string, Promise<MetricsHub>>();

  constructor(private readonly options: (cluster: string) => MetricsHubOptions | Promise<MetricsHubOptions>) {}

  /** The cluster's hub, started. */
  hub(cluster: string): Promise<MetricsHub> {
    let p = this.hubs.get(cluster);
    if (!p) {
      p = (async () => {
        const hub = new MetricsHub(await this.options(cluster));
        await hub.start();
        return hub;
      })();
      this.hubs.set(cluster, p);
      p.catch(() => this.hubs.delete(cluster));
    }
    return p;
  }

  /** The hub if one runs, without starting one. */
  async peek(cluster: string): Promise<MetricsHub | undefined> {
    return this.hubs.get(cluster)?.catch(() => undefined);
  }

  clusters(): string[] {
    return [...this.hubs.keys()];
  }

  async stop(cluster: string): Promise<void> {
    const p = this.hubs.get(cluster);
    this.hubs.delete(cluster);
    const hub = await p?.catch(() => undefined);
    await hub?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.clusters().map((c) => this.stop(c)));
  }
}
