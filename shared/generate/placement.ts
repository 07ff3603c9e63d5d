import type { ClusterSpec, Role } from '../spec/schema.ts';

/**
 * Placement: which host's engine runs each service. A spec without any `host`/`hosts` keeps
 * everything on the local engine (and generates exactly what it always did). With hosts, every
 * host gets its own sd-<cluster> network; a service used from another host publishes a port on
 * its host's advertise address, and consumers reach it there.
 */

export const LOCAL = 'local';

/** Host ports for cross-host traffic (published only when a consumer is on another host). */
export const CROSS_HOST_PORT = {
  postgres: 15432,
  redis: 16379,
  /** api-N publishes apiBase + N; green nodes apiBase + 100 + N. */
  apiBase: 13000,
} as const;

export function apiHostPort(slot: number, green: boolean): number {
  return CROSS_HOST_PORT.apiBase + (green ? 100 : 0) + slot;
}

/** Does the spec place anything on a host (even `local` written out)? */
export function usesHosts(spec: ClusterSpec): boolean {
  return !!(spec.api.hosts || spec.balancer.host || spec.worker.host || spec.redis.host || spec.postgres.host);
}

export function hostOf(spec: ClusterSpec, role: Role, slot?: number): string {
  switch (role) {
    case 'api': {
      const hs = spec.api.hosts;
      return hs && hs.length ? hs[((slot ?? 1) - 1) % hs.length]! : LOCAL;
    }
    case 'balancer':
      return spec.balancer.host ?? LOCAL;
    case 'worker':
      return spec.worker.host ?? LOCAL;
    case 'redis':
      return spec.redis.host ?? LOCAL;
    case 'postgres':
      return spec.postgres.host ?? LOCAL;
  }
}

/** Every host the spec puts something on, local first when used. */
export function hostsOf(spec: ClusterSpec): string[] {
  const hs = new Set<string>();
  hs.add(hostOf(spec, 'balancer'));
  for (let i = 1; i <= spec.api.replicas; i++) hs.add(hostOf(spec, 'api', i));
  if (spec.worker.replicas > 0) hs.add(hostOf(spec, 'worker'));
  hs.add(hostOf(spec, 'redis'));
  hs.add(hostOf(spec, 'postgres'));
  return [...hs].sort((a, b) => (a === LOCAL ? -1 : b === LOCAL ? 1 : a.localeCompare(b)));
}

/** Advertise address of each host (how other hosts reach ports published on it). */
export type HostAddresses = Record<string, string>;

export function addressOf(addrs: HostAddresses | undefined, host: string): string {
  const a = addrs?.[host];
  if (!a) {
    throw new Error(
      host === LOCAL
        ? 'a service on the local engine is used from another host, but this machine has no advertise address: set SCALEDECK_LOCAL_ADVERTISE to an address the hosts can reach'
        : `no address known for host "${host}" (add it with \`scaledeck hosts add\`)`,
    );
  }
  return a;
}

/** Publish on the advertise address when it is an IPv4 address of the host, else on every interface. */
export function bindFor(addr: string): string {
  return /^(\d{1,3}\.){3}\d{1,3}$/.test(addr) ? addr : '0.0.0.0';
}
