import { names } from '../../shared/labels.ts';
import type { EngineClient } from '../docker/client.ts';

/** The container a collector reads from. */
export interface MetricsTarget {
  id: string;
  name: string;
  service: string;
  role: string;
}

/**
 * How collectors reach a container port: `resolveAddress(target, port)` answers "host:port". The
 * local engine's containers are reached at their bridge-network IP (Linux hosts route to
 * user-defined bridges); a remote engine plugs in a resolver that opens a tunnel and answers a
 * local forwarded address. `invalidate` is called after a connection failure (the container may
 * have been recreated with another IP, or the tunnel dropped).
 */
export interface AddressResolver {
  resolveAddress(target: MetricsTarget, port: number): Promise<string>;
  invalidate?(target: MetricsTarget): void;
  /** Release what the resolver holds open (tunnels); it stays usable. */
  close?(): void;
}

export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`not a host:port address: ${address}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** Reads the container's IP on the cluster network `sd-<cluster>` (or any network it is on). */
export class BridgeNetworkResolver implements AddressResolver {
  private readonly cache = new Map<string, string>();

  /** `engine` may be a getter (a remote host's engine, connected on first use). */
  constructor(
    private readonly engine: EngineClient | (() => Promise<EngineClient>),
    private readonly network: string,
  ) {}

  static forCluster(engine: EngineClient, cluster: string): BridgeNetworkResolver {
    return new BridgeNetworkResolver(engine, names.network(cluster));
  }

  async resolveAddress(target: MetricsTarget, port: number): Promise<string> {
    let ip = this.cache.get(target.id);
    if (!ip) {
      const engine = typeof this.engine === 'function' ? await this.engine() : this.engine;
      const info = await engine.inspect(target.id);
      if (!info) throw new Error(`container ${target.name} is gone`);
      if (!info.State?.Running) throw new Error(`container ${target.name} is not running`);
      const nets = info.NetworkSettings?.Networks ?? {};
      ip = nets[this.network]?.IPAddress || Object.values(nets).find((n) => n?.IPAddress)?.IPAddress || '';
      if (!ip) throw new Error(`container ${target.name} has no IP address on ${this.network}`);
      this.cache.set(target.id, ip);
    }
    return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  }

  invalidate(target: MetricsTarget): void {
    this.cache.delete(target.id);
  }
}

/** Fixed addresses by service (tests, or containers with published ports). */
export class StaticResolver implements AddressResolver {
  constructor(private readonly map: Record<string, string>) {}
  async resolveAddress(target: MetricsTarget, port: number): Promise<string> {
    const a = this.map[`${target.service}:${port}`] ?? this.map[target.service];
    if (!a) throw new Error(`no address for ${target.service}:${port}`);
    return a.includes(':') ? a : `${a}:${port}`;
  }
}
