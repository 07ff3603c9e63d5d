import type { PlanView } from '../../shared/api/types.ts';
import { replicaNumber, replicaSlot, replicaVolume } from '../../shared/generate/model.ts';
import { names } from '../../shared/labels.ts';
import type { DesiredState } from './desired.ts';
import type { ObservedState } from './observe.ts';

/**
 * plan(desired, observed) → Plan. Pure: no I/O, so every case is a golden test.
 * Steps form a graph (dependsOn); the executor runs each step as soon as its dependencies are done.
 *
 * Ordering rules that keep traffic flowing:
 * - data services first; API nodes wait for Postgres and Redis to be healthy (as compose's
 *   depends_on: service_healthy);
 * - new API nodes must be healthy before NGINX is reloaded to include them;
 * - nodes leaving the fleet are removed only after NGINX has been reloaded without them.
 */
/** `host` is set only for steps on a remote host's engine (multi-host clusters). */
export type Step = (
  | { id: string; kind: 'create-network'; name: string; dependsOn: string[] }
  | { id: string; kind: 'create-volume'; name: string; dependsOn: string[] }
  | { id: string; kind: 'create'; service: string; image: string; dependsOn: string[] }
  | { id: string; kind: 'recreate'; service: string; image: string; containerId: string; dependsOn: string[] }
  | { id: string; kind: 'start'; service: string; containerId: string; dependsOn: string[] }
  | { id: string; kind: 'wait-healthy'; service: string; dependsOn: string[] }
  /** `drain`: the API node marked down in this reload (rolling recreate); otherwise the desired upstream list. */
  | { id: string; kind: 'reload-balancer'; drain?: string; dependsOn: string[] }
  | { id: string; kind: 'remove'; service: string; containerId: string; name: string; dependsOn: string[] }
  | { id: string; kind: 'remove-network'; name: string; dependsOn: string[] }
  | { id: string; kind: 'remove-volume'; name: string; dependsOn: string[] }
  /** Drop a removed replica's replication slot on the primary, so it holds no WAL. */
  | { id: string; kind: 'drop-slot'; slot: string; primary: string; dependsOn: string[] }
) & { host?: string };

const at = (host: string | undefined) => (host ? { host } : {});
const onHost = (id: string, host: string | undefined) => (host ? `${id}@${host}` : id);

export interface Plan {
  cluster: string;
  steps: Step[];
}

export function planUp(desired: DesiredState, observedAll: ObservedState): Plan {
  const steps: Step[] = [];
  // Fenced old primaries stay as they are (stopped, for inspection) until `down`.
  const observed = { ...observedAll, containers: observedAll.containers.filter((c) => !desired.fenced.includes(c.service)) };
  const byService = new Map(observed.containers.map((c) => [c.service, c]));
  // Per host (undefined = local): the network step services there wait for, and volume steps.
  const baseOf = new Map<string | undefined, string[]>();
  const volumeSteps = new Map<string, string>();
  const hostList: (string | undefined)[] = desired.hosts ? desired.hosts.map((h) => (h === 'local' ? undefined : h)) : [undefined];
  for (const host of hostList) {
    const net = host ? (observed.remote?.[host]?.network ?? null) : observed.network;
    const base: string[] = [];
    if (!net) {
      const id = onHost(`network:${desired.network}`, host);
      steps.push({ id, kind: 'create-network', name: desired.network, dependsOn: [], ...at(host) });
      base.push(id);
    }
    baseOf.set(host, base);
    const have = host ? (observed.remote?.[host]?.volumes ?? []) : observed.volumes;
    for (const v of host ? (desired.hostVolumes?.[host] ?? []) : desired.volumes) {
      if (!have.includes(v)) {
        const id = onHost(`volume:${v}`, host);
        steps.push({ id, kind: 'create-volume', name: v, dependsOn: [], ...at(host) });
        volumeSteps.set(onHost(v, host), id);
      }
    }
  }

  // Which step brings each service up (create/recreate/start), and which waits for it.
  const upStep = new Map<string, string>();
  const waitStep = new Map<string, string>();
  const apiChanged: string[] = [];

  for (const d of desired.containers) {
    const o = byService.get(d.service);
    const volDeps = d.options.HostConfig.Mounts?.map((m) => volumeSteps.get(onHost(m.Source, d.host))).filter((x): x is string => !!x) ?? [];
    const deps = [...(baseOf.get(d.host) ?? []), ...volDeps];
    let stepId: string | null = null;
    if (o && o.host !== d.host) {
      // Moved to another host: remove it where it runs, create it where it belongs.
      steps.push({ id: `remove:${d.service}`, kind: 'remove', service: d.service, containerId: o.id, name: o.name, dependsOn: [], ...at(o.host) });
      stepId = `create:${d.service}`;
      steps.push({ id: stepId, kind: 'create', service: d.service, image: d.options.Image, dependsOn: [...deps, `remove:${d.service}`], ...at(d.host) });
    } else if (!o) {
      stepId = `create:${d.service}`;
      steps.push({ id: stepId, kind: 'create', service: d.service, image: d.options.Image, dependsOn: deps, ...at(d.host) });
    } else if (o.configHash !== d.configHash) {
      stepId = `recreate:${d.service}`;
      steps.push({ id: stepId, kind: 'recreate', service: d.service, image: d.options.Image, containerId: o.id, dependsOn: deps, ...at(d.host) });
    } else if (o.state !== 'running') {
      stepId = `start:${d.service}`;
      steps.push({ id: stepId, kind: 'start', service: d.service, containerId: o.id, dependsOn: deps, ...at(d.host) });
    }
    if (stepId) upStep.set(d.service, stepId);
    if (stepId || (o && o.health === 'starting')) {
      const w = `wait:${d.service}`;
      steps.push({ id: w, kind: 'wait-healthy', service: d.service, dependsOn: stepId ? [stepId] : [], ...at(d.host) });
      waitStep.set(d.service, w);
      if (d.role === 'api') apiChanged.push(d.service);
    }
  }

  // Dependencies between services, from the model (healthy → wait step, started → up step).
  for (const d of desired.containers) {
    const id = upStep.get(d.service);
    if (!id) continue;
    const step = steps.find((s) => s.id === id)!;
    for (const dep of d.model.dependsOn) {
      const target = dep.condition === 'healthy' ? (waitStep.get(dep.key) ?? upStep.get(dep.key)) : upStep.get(dep.key);
      if (target) step.dependsOn.push(target);
    }
  }

  const desiredServices = new Set(desired.containers.map((d) => d.service));
  const leaving = observed.containers.filter((o) => !desiredServices.has(o.service));
  const balancerUp = upStep.get('balancer');

  // The balancer is reloaded when its config changed and it is not being (re)started with the new one,
  // and also when API nodes were recreated or restarted: NGINX resolves node names only at (re)load,
  // and a new container may have a new address.
  // Rolling: when the balancer stays up and API nodes are recreated (an image, env or replica list
  // change), they go one at a time so the others keep serving: a reload marks the node down (NGINX
  // lets its in-flight requests finish), it is recreated and must be healthy before the next one
  // starts. New nodes come first, since a drain reload names every desired node. The final
  // reload below puts every node back, each at its new address.
  const balancerObserved = byService.get('balancer');
  const recreatedApis = desired.containers.filter((d) => d.role === 'api' && upStep.get(d.service)?.startsWith('recreate:')).map((d) => d.service);
  const apiCount = desired.containers.filter((d) => d.role === 'api').length;
  if (!balancerUp && balancerObserved?.state === 'running' && recreatedApis.length > 0 && apiCount > 1) {
    const created = desired.containers.filter((d) => d.role === 'api' && upStep.get(d.service)?.startsWith('create:')).map((d) => waitStep.get(d.service)!);
    let prev: string[] = created;
    for (const service of recreatedApis) {
      const drainId = `drain:${service}`;
      // Listed just before the recreate it prepares, so the printed plan reads in order.
      const recreateAt = steps.findIndex((x) => x.id === upStep.get(service));
      steps.splice(recreateAt, 0, { id: drainId, kind: 'reload-balancer', drain: service, dependsOn: prev, ...at(balancerObserved.host) });
      steps[recreateAt + 1]!.dependsOn.push(drainId);
      prev = [waitStep.get(service)!];
    }
  }

  let reloadId: string | null = null;
  const nodesRestarted = apiChanged.some((s) => upStep.has(s));
  if (!balancerUp && byService.has('balancer') && (observed.balancerConfHash !== desired.nginxConfHash || nodesRestarted)) {
    reloadId = 'reload:balancer';
    const deps = apiChanged.map((s) => waitStep.get(s)!).filter(Boolean);
    steps.push({ id: reloadId, kind: 'reload-balancer', dependsOn: deps, ...at(byService.get('balancer')!.host) });
  }

  for (const o of leaving) {
    const deps: string[] = [];
    if (o.role === 'api') {
      if (reloadId) deps.push(reloadId);
      else if (balancerUp) deps.push(balancerUp);
    }
    steps.push({ id: `remove:${o.service}`, kind: 'remove', service: o.service, containerId: o.id, name: o.name, dependsOn: deps, ...at(o.host) });
    // A replica scaled away: its slot on the primary and its data go too.
    const n = replicaNumber(o.service);
    if (n !== null && o.service !== desired.primary) {
      const primaryUp = waitStep.get(desired.primary);
      steps.push({
        id: `drop-slot:${replicaSlot(n)}`,
        kind: 'drop-slot',
        slot: replicaSlot(n),
        primary: desired.primary,
        dependsOn: [`remove:${o.service}`, ...(primaryUp ? [primaryUp] : [])],
        ...at(byService.get(desired.primary)?.host),
      });
      const volume = names.volume(desired.cluster, replicaVolume(n));
      const haveVolumes = o.host ? (observed.remote?.[o.host]?.volumes ?? []) : observed.volumes;
      if (haveVolumes.includes(volume)) {
        steps.push({ id: onHost(`volume-rm:${volume}`, o.host), kind: 'remove-volume', name: volume, dependsOn: [`remove:${o.service}`], ...at(o.host) });
      }
    }
  }
  return { cluster: desired.cluster, steps };
}

/** Tear down everything labelled with the cluster: balancer first so no traffic reaches stopping nodes. */
export function planDown(observed: ObservedState, opts: { keepData: boolean }): Plan {
  const steps: Step[] = [];
  const balancers = observed.containers.filter((c) => c.role === 'balancer');
  // API nodes and workers stop before the data services they use.
  const apis = observed.containers.filter((c) => c.role === 'api' || c.role === 'worker');
  const rest = observed.containers.filter((c) => c.role !== 'balancer' && c.role !== 'api' && c.role !== 'worker');
  const balancerIds = balancers.map((c) => `remove:${c.service}`);
  for (const c of balancers) steps.push({ id: `remove:${c.service}`, kind: 'remove', service: c.service, containerId: c.id, name: c.name, dependsOn: [], ...at(c.host) });
  for (const c of apis) steps.push({ id: `remove:${c.service}`, kind: 'remove', service: c.service, containerId: c.id, name: c.name, dependsOn: balancerIds, ...at(c.host) });
  const apiIds = apis.map((c) => `remove:${c.service}`);
  for (const c of rest) steps.push({ id: `remove:${c.service}`, kind: 'remove', service: c.service, containerId: c.id, name: c.name, dependsOn: [...balancerIds, ...apiIds], ...at(c.host) });
  const all = observed.containers.map((c) => `remove:${c.service}`);
  const places: [string | undefined, { network: { name: string } | null; volumes: string[] }][] = [
    [undefined, { network: observed.network, volumes: observed.volumes }],
    ...Object.entries(observed.remote ?? {}),
  ];
  for (const [host, found] of places) {
    const onThis = observed.containers.filter((c) => c.host === host).map((c) => `remove:${c.service}`);
    const deps = host === undefined && !observed.remote ? all : onThis;
    if (found.network) steps.push({ id: onHost(`network-rm:${found.network.name}`, host), kind: 'remove-network', name: found.network.name, dependsOn: deps, ...at(host) });
    if (!opts.keepData) {
      for (const v of found.volumes) steps.push({ id: onHost(`volume-rm:${v}`, host), kind: 'remove-volume', name: v, dependsOn: deps, ...at(host) });
    }
  }
  return { cluster: observed.cluster, steps };
}

export function stepLabel(s: Step): string {
  return s.host ? `${baseLabel(s)} on ${s.host}` : baseLabel(s);
}

function baseLabel(s: Step): string {
  switch (s.kind) {
    case 'create-network':
      return `create network ${s.name}`;
    case 'create-volume':
      return `create volume ${s.name}`;
    case 'create':
      return `create ${s.service} (${s.image})`;
    case 'recreate':
      return `recreate ${s.service} (${s.image}): config changed`;
    case 'start':
      return `start ${s.service}`;
    case 'wait-healthy':
      return `wait for ${s.service} to be healthy`;
    case 'reload-balancer':
      return s.drain ? `reload balancer with ${s.drain} marked down (drain before its recreate)` : 'reload balancer with the new upstream list (nginx -t first)';
    case 'remove':
      return `remove ${s.service} (${s.name})`;
    case 'remove-network':
      return `remove network ${s.name}`;
    case 'remove-volume':
      return `remove volume ${s.name}`;
    case 'drop-slot':
      return `drop replication slot ${s.slot} on ${s.primary}`;
  }
}

const SYMBOL: Record<Step['kind'], string> = {
  'create-network': '+',
  'create-volume': '+',
  create: '+',
  recreate: '~',
  start: '>',
  'wait-healthy': '.',
  'reload-balancer': '~',
  remove: '-',
  'remove-network': '-',
  'remove-volume': '-',
  'drop-slot': '-',
};

export function summarize(plan: Plan): PlanView['summary'] {
  const count = (...kinds: Step['kind'][]) => plan.steps.filter((s) => kinds.includes(s.kind)).length;
  return {
    create: count('create'),
    recreate: count('recreate'),
    start: count('start'),
    remove: count('remove'),
    reload: count('reload-balancer'),
  };
}

/** The plan as printed by `scaledeck up --dry-run` (asserted in golden tests). */
export function formatPlan(plan: Plan): string {
  if (plan.steps.length === 0) return `Cluster "${plan.cluster}" is up to date: nothing to do.`;
  const s = summarize(plan);
  const head =
    `Plan for cluster "${plan.cluster}": ${s.create} to create, ${s.recreate} to recreate, ${s.start} to start, ` +
    `${s.remove} to remove${s.reload ? ', balancer reload' : ''}`;
  const lines = plan.steps.map((step) => {
    const after = step.dependsOn.length ? `   [after ${step.dependsOn.join(', ')}]` : '';
    return `  ${SYMBOL[step.kind]} ${stepLabel(step)}${after}`;
  });
  return [head, ...lines].join('\n');
}

export function toPlanView(plan: Plan): PlanView {
  return {
    cluster: plan.cluster,
    empty: plan.steps.length === 0,
    summary: summarize(plan),
    steps: plan.steps.map((s) => ({ id: s.id, action: s.kind, target: 'service' in s ? s.service : 'name' in s ? s.name : 'slot' in s ? s.slot : 'balancer', detail: stepLabel(s), dependsOn: s.dependsOn })),
    text: formatPlan(plan),
  };
}
