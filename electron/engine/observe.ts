import type { Health } from '../../shared/api/types.ts';
import { NGINX_CONF_PATH, type Color } from '../../shared/generate/model.ts';
import { LABEL } from '../../shared/labels.ts';
import type { EngineClient } from '../docker/client.ts';
import { sha256 } from './desired.ts';

export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  role: string;
  slot?: number;
  color?: Color;
  image: string;
  state: string;
  health: Health;
  status: string;
  configHash: string | null;
  hostPorts: number[];
  /** The host whose engine runs it; undefined = the local engine. */
  host?: string;
}

export interface ObservedState {
  cluster: string;
  network: { id: string; name: string } | null;
  volumes: string[];
  containers: ObservedContainer[];
  /** The colour most API nodes carry (blue when there are none): the fleet's current colour. */
  apiColor: Color;
  /** sha256 of the nginx.conf inside the balancer container, when there is one. */
  balancerConfHash: string | null;
  /** Multi-host: the network and volumes found on each remote host (local ones are above). */
  remote?: Record<string, { network: { id: string; name: string } | null; volumes: string[] }>;
}

/**
 * Observe a cluster on several engines (`local` and remote hosts) and merge: containers carry
 * their host; each remote host's network and volumes are kept apart. A host that cannot be
 * reached fails the whole observation with its own error (which names the host).
 */
export async function observeAll(engines: Map<string, EngineClient>, cluster: string, opts: { readBalancerConf?: boolean } = {}): Promise<ObservedState> {
  const entries = [...engines.entries()];
  const results = await Promise.all(entries.map(([, e]) => observe(e, cluster, opts)));
  const merged: ObservedState = { cluster, network: null, volumes: [], containers: [], apiColor: 'blue', balancerConfHash: null, remote: {} };
  entries.forEach(([host, _], i) => {
    const r = results[i]!;
    if (host === 'local') {
      merged.network = r.network;
      merged.volumes = r.volumes;
    } else {
      merged.remote![host] = { network: r.network, volumes: r.volumes };
    }
    for (const c of r.containers) merged.containers.push(host === 'local' ? c : { ...c, host });
    if (r.containers.some((c) => c.role === 'balancer')) merged.balancerConfHash = r.balancerConfHash;
  });
  merged.containers.sort((a, b) => serviceOrder(a.service) - serviceOrder(b.service) || a.service.localeCompare(b.service));
  merged.apiColor = fleetColor(merged.containers);
  return merged;
}

export function healthFromStatus(status: string): Health {
  if (/\(healthy\)/.test(status)) return 'healthy';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(health: starting\)/.test(status)) return 'starting';
  return 'none';
}

/** Everything deployed for a cluster, recovered from labels alone (no state file). */
export async function observe(engine: EngineClient, cluster: string, opts: { readBalancerConf?: boolean } = {}): Promise<ObservedState> {
  const [containers, networks, volumes] = await Promise.all([
    engine.listContainers(cluster),
    engine.listNetworks(cluster),
    engine.listVolumes(cluster),
  ]);
  const observed: ObservedContainer[] = containers.map((c) => {
    const slot = c.labels[LABEL.slot];
    return {
      id: c.id,
      name: c.name,
      service: c.labels[LABEL.service] ?? c.name,
      role: c.labels[LABEL.role] ?? 'unknown',
      slot: slot ? Number(slot) : undefined,
      color: (c.labels[LABEL.color] as Color | undefined) ?? undefined,
      image: c.labels[LABEL.image] ?? c.image,
      state: c.state,
      health: c.state === 'running' ? healthFromStatus(c.status) : 'none',
      status: c.status,
      configHash: c.labels[LABEL.configHash] ?? null,
      hostPorts: c.ports.map((p) => p.hostPort).filter((p): p is number => !!p),
    };
  });
  observed.sort((a, b) => serviceOrder(a.service) - serviceOrder(b.service) || a.service.localeCompare(b.service));
  let balancerConfHash: string | null = null;
  const balancer = observed.find((c) => c.role === 'balancer');
  if (balancer && opts.readBalancerConf !== false) {
    const conf = await engine.readFile(balancer.id, NGINX_CONF_PATH);
    balancerConfHash = conf === null ? null : sha256(conf);
  }
  return {
    cluster,
    apiColor: fleetColor(observed),
    network: networks[0] ?? null,
    volumes: volumes.map((v) => v.name).sort(),
    containers: observed,
    balancerConfHash,
  };
}

export function fleetColor(containers: { role: string; color?: Color }[]): Color {
  const apis = containers.filter((c) => c.role === 'api');
  const green = apis.filter((c) => c.color === 'green').length;
  return green > apis.length - green ? 'green' : 'blue';
}

export function serviceOrder(service: string): number {
  if (service === 'balancer') return 0;
  const m = /^api-(\d+)(-green)?$/.exec(service);
  if (m) return 10 + Number(m[1]) * 2 + (m[2] ? 1 : 0);
  const w = /^worker-(\d+)$/.exec(service);
  if (w) return 500 + Number(w[1]);
  if (service === 'redis') return 1000;
  if (service.startsWith('postgres')) return 1001;
  return 2000;
}
