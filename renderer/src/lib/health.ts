import type { ClusterState, ContainerView } from '../../../shared/api/index.ts';

/**
 * What a topology box shows (its data-health), from Docker state + health check:
 * healthy · starting · unhealthy · exited · missing (in the spec, no container).
 * A running container without a health check counts as healthy, as the cluster counts do.
 */
export type NodeHealth = 'healthy' | 'starting' | 'unhealthy' | 'exited' | 'missing';

export function nodeHealth(c: ContainerView | undefined): NodeHealth {
  if (!c) return 'missing';
  if (c.state === 'exited' || c.state === 'dead' || c.state === 'removing') return 'exited';
  if (c.health === 'healthy' || c.health === 'starting' || c.health === 'unhealthy') return c.health;
  if (c.state === 'running') return 'healthy';
  return 'starting'; // created, restarting, paused
}

export type Tone = 'ok' | 'warn' | 'bad' | 'idle' | 'info';

export const healthTone: Record<NodeHealth, Tone> = {
  healthy: 'ok',
  starting: 'warn',
  unhealthy: 'bad',
  exited: 'bad',
  missing: 'idle',
};

export const clusterStateTone: Record<ClusterState, Tone> = {
  running: 'ok',
  starting: 'warn',
  degraded: 'bad',
  partial: 'warn',
  stopped: 'idle',
  empty: 'idle',
};

export function containerHealthTone(c: ContainerView): Tone {
  if (c.health === 'healthy') return 'ok';
  if (c.health === 'unhealthy') return 'bad';
  if (c.health === 'starting') return 'warn';
  return 'idle';
}

export function containerStateTone(state: string): Tone {
  if (state === 'running') return 'ok';
  if (state === 'exited' || state === 'dead') return 'bad';
  if (state === 'restarting' || state === 'created' || state === 'paused') return 'warn';
  return 'idle';
}

const ROLE_ORDER: Record<string, number> = { balancer: 0, api: 1, redis: 2, postgres: 3 };

/** balancer, api-1…api-n (by slot), redis, postgres, then anything else by service name. */
export function sortContainers(list: ContainerView[]): ContainerView[] {
  return [...list].sort((a, b) => {
    const ra = ROLE_ORDER[a.role] ?? 9;
    const rb = ROLE_ORDER[b.role] ?? 9;
    if (ra !== rb) return ra - rb;
    if (a.slot != null && b.slot != null && a.slot !== b.slot) return a.slot - b.slot;
    return a.service.localeCompare(b.service, undefined, { numeric: true });
  });
}
