import { ScaleDeckError } from '../../shared/api/errors.ts';
import { apiKeys, generateNginxConf, otherColor, type Color, type Secrets, type UpstreamServer } from '../../shared/generate/index.ts';
import { names } from '../../shared/labels.ts';
import type { ClusterSpec } from '../../shared/spec/index.ts';
import type { EngineClient } from '../docker/client.ts';
import { buildDesired, type DesiredContainer } from '../engine/desired.ts';
import { reloadBalancer, waitHealthy } from '../engine/execute.ts';
import type { ObservedState } from '../engine/observe.ts';

/**
 * Zero-downtime upgrades of the API nodes, as plans over the same engine primitives as `up`
 * (create from the service model, a checked NGINX reload) plus a health gate and a drain.
 *
 * Rolling (start-first): for each batch of slots, new-colour nodes are created and must pass the
 * gate (/ready answering, N times in a row) before NGINX is reloaded with them in and the old
 * ones marked `down`; then the old nodes drain (NGINX's old workers finish their in-flight
 * requests) and get SIGTERM. Old nodes are only stopped, not removed, until the whole upgrade has
 * succeeded, so a failed gate rolls back by starting them again.
 *
 * Blue-green: the whole green set is started beside blue, gated, smoke-tested, and NGINX switches
 * in one reload; blue keeps running (marked down) until finalize or rollback.
 */
export type Strategy = 'rolling' | 'blue-green';

export interface UpgradeOptions {
  strategy: Strategy;
  /** Nodes per batch (rolling): a count, or a share such as "50%". */
  batch: number | string;
  gateTimeoutMs: number;
  gateSuccesses: number;
  drainTimeoutMs: number;
  /** Blue-green: share of traffic (1-99) sent to green for canaryMs before the full switch. */
  canaryPercent?: number;
  canaryMs?: number;
}

/** Pause, resume and abort a rolling upgrade; checked between batches. */
export class UpgradeControl {
  paused = false;
  aborted: string | null = null;
  private wake: (() => void) | null = null;
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.wake?.();
  }
  abort(reason = 'aborted by the user'): void {
    this.aborted = reason;
    this.wake?.();
  }
  /** Between batches: wait while paused; throw when aborted. */
  async checkpoint(onPause: () => void): Promise<void> {
    if (this.paused && !this.aborted) {
      onPause();
      while (this.paused && !this.aborted) await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
    if (this.aborted) throw new ScaleDeckError('STEP_FAILED', `Upgrade ${this.aborted}.`);
  }
}

export interface UpgradeContext {
  engine: EngineClient;
  cluster: string;
  from: ClusterSpec;
  to: ClusterSpec;
  secrets: Secrets;
  observed: ObservedState;
  step: (id: string, state: 'running' | 'done' | 'failed' | 'skipped', message?: string) => void;
  /** Called when traffic moves, for the probe's phase bookkeeping. */
  onSwitch?: (at: number) => void;
  control?: UpgradeControl;
}

export interface PlannedStep {
  id: string;
  label: string;
}

export function batchSize(batch: number | string, nodes: number): number {
  if (typeof batch === 'number') return Math.max(1, Math.min(nodes, Math.floor(batch)));
  const m = /^(\d+)%$/.exec(batch.trim());
  if (m) return Math.max(1, Math.min(nodes, Math.round((Number(m[1]) / 100) * nodes)));
  const n = Number(batch);
  if (Number.isInteger(n) && n > 0) return Math.min(nodes, n);
  throw new ScaleDeckError('BAD_REQUEST', `batch: must be a count or a percentage such as 50% (got "${batch}")`);
}

export function planSteps(opts: UpgradeOptions, nodes: number, from: Color = 'blue', to: Color = otherColor(from)): PlannedStep[] {
  if (opts.strategy === 'blue-green') {
    const steps = [
      { id: 'start-green', label: `start ${nodes} ${to} node${nodes === 1 ? '' : 's'} beside ${from}` },
      { id: 'gate-green', label: `health gate: /ready ${opts.gateSuccesses}× in a row on every ${to} node` },
      { id: 'smoke', label: `smoke requests to every ${to} node` },
    ];
    if (opts.canaryPercent) steps.push({ id: 'canary', label: `canary: ${opts.canaryPercent}% of traffic to ${to} for ${Math.round((opts.canaryMs ?? 10_000) / 1000)} s` });
    steps.push({ id: 'switch', label: `switch NGINX to ${to} in one reload (${from} kept for rollback)` });
    return steps;
  }
  const size = batchSize(opts.batch, nodes);
  const steps: PlannedStep[] = [];
  for (let first = 1, b = 1; first <= nodes; first += size, b++) {
    const slots = range(first, Math.min(nodes, first + size - 1));
    const which = slots.length === 1 ? `node ${slots[0]}` : `nodes ${slots[0]}-${slots.at(-1)}`;
    steps.push({ id: `batch-${b}:start`, label: `batch ${b}: start new ${which}` });
    steps.push({ id: `batch-${b}:gate`, label: `batch ${b}: health gate on new ${which}` });
    steps.push({ id: `batch-${b}:switch`, label: `batch ${b}: reload NGINX, new ${which} in, old out` });
    steps.push({ id: `batch-${b}:drain`, label: `batch ${b}: drain and stop old ${which}` });
  }
  steps.push({ id: 'finish', label: 'remove the old nodes and settle NGINX' });
  return steps;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The IP of a container on the cluster network (the host reaches bridge networks directly). */
async function addressOf(engine: EngineClient, cluster: string, container: string): Promise<string> {
  const info = await engine.inspect(container);
  const ip = info?.NetworkSettings?.Networks?.[names.network(cluster)]?.IPAddress;
  if (!ip) throw new Error(`${container} has no address on ${names.network(cluster)}`);
  return ip;
}

async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** The gate: Docker health first, then /ready answering 200 `successes` times in a row. */
export async function gate(ctx: UpgradeContext, containers: string[], opts: UpgradeOptions): Promise<void> {
  const deadline = Date.now() + opts.gateTimeoutMs;
  await Promise.all(
    containers.map(async (name) => {
      await waitHealthy(ctx.engine, name, opts.gateTimeoutMs, () => {});
      const ip = await addressOf(ctx.engine, ctx.cluster, name);
      let streak = 0;
      let last = 0;
      while (streak < opts.gateSuccesses) {
        if (Date.now() > deadline) {
          throw new ScaleDeckError('STEP_FAILED', `${name} did not pass the health gate: /ready answered ${last || 'nothing'} (needed ${opts.gateSuccesses} × 200 within ${Math.round(opts.gateTimeoutMs / 1000)} s).`);
        }
        last = await httpStatus(`http://${ip}:${ctx.to.api.port}/ready`);
        streak = last === 200 ? streak + 1 : 0;
        if (streak < opts.gateSuccesses) await sleep(200);
      }
    }),
  );
}

/**
 * After a reload, NGINX's old workers finish their in-flight requests and exit; until they have,
 * a node marked down may still be answering. Wait for them, bounded.
 */
export async function waitOldWorkers(engine: EngineClient, balancer: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await engine.exec(balancer, ['sh', '-c', "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'shutting[ ]down' || true"]);
    const n = Number(r.stdout.trim() || '0');
    if (n === 0 || Date.now() - started > timeoutMs) return Date.now() - started;
    await sleep(100);
  }
}

export class Upgrade {
  readonly oldColor: Color;
  readonly newColor: Color;
  private readonly newNodes: Map<number, DesiredContainer>;
  private readonly oldNames: Map<number, string>;
  /** The old nodes' service keys (their names in the upstream), as observed. */
  private readonly oldKeys: Map<number, string>;
  private readonly balancer: string;
  /** Slots whose new node is serving (and whose old node is stopped). */
  private readonly switched = new Set<number>();

  constructor(private readonly ctx: UpgradeContext, private readonly opts: UpgradeOptions) {
    this.oldColor = ctx.observed.apiColor;
    this.newColor = otherColor(this.oldColor);
    const desired = buildDesired(ctx.to, ctx.secrets, this.newColor);
    this.newNodes = new Map(desired.containers.filter((c) => c.role === 'api').map((c) => [c.slot!, c]));
    const old = ctx.observed.containers.filter((c) => c.role === 'api' && (c.color ?? 'blue') === this.oldColor);
    this.oldNames = new Map(old.map((c) => [c.slot!, c.name]));
    this.oldKeys = new Map(old.map((c) => [c.slot!, c.service]));
    this.balancer = names.container(ctx.cluster, 'balancer');
    if (ctx.from.api.replicas !== ctx.to.api.replicas) {
      throw new ScaleDeckError('BAD_REQUEST', 'An upgrade keeps the number of API nodes; scale before or after it.');
    }
    if (ctx.from.api.port !== ctx.to.api.port) {
      throw new ScaleDeckError('BAD_REQUEST', 'An upgrade cannot change api/port: NGINX would point old and new nodes at different ports.');
    }
    if (this.oldNames.size !== ctx.to.api.replicas || ![...this.oldNames.values()].length) {
      throw new ScaleDeckError('CONFLICT', `Cluster "${ctx.cluster}" does not run ${ctx.to.api.replicas} ${this.oldColor} API nodes (found ${this.oldNames.size}).`, 'Run `scaledeck up` on the cluster first so it matches its spec.');
    }
  }

  private slots(): number[] {
    return [...this.newNodes.keys()].sort((a, b) => a - b);
  }

  /** The upstream while upgrading: switched slots serve new nodes; the rest old ones. */
  private upstream(draining: number[] = [], extra: UpstreamServer[] = []): UpstreamServer[] {
    const list: UpstreamServer[] = [];
    for (const slot of this.slots()) {
      if (this.switched.has(slot)) list.push({ key: this.newNodes.get(slot)!.service });
      else list.push({ key: this.oldKeys.get(slot)! });
      if (draining.includes(slot)) list.push({ key: this.oldKeys.get(slot)!, down: true });
    }
    return [...list, ...extra];
  }

  private async reload(upstream: UpstreamServer[]): Promise<void> {
    await reloadBalancer(this.ctx.engine, this.balancer, generateNginxConf(this.ctx.to, upstream));
  }

  private async createNew(slots: number[]): Promise<string[]> {
    return Promise.all(
      slots.map(async (slot) => {
        const d = this.newNodes.get(slot)!;
        const stale = await this.ctx.engine.inspect(d.options.name);
        if (stale) await this.ctx.engine.stopAndRemove(stale.Id); // left by an interrupted attempt
        const id = await this.ctx.engine.createContainer(d.options);
        await this.ctx.engine.start(id);
        return d.options.name;
      }),
    );
  }

  async rolling(): Promise<void> {
    const size = batchSize(this.opts.batch, this.slots().length);
    const all = this.slots();
    let b = 0;
    for (let i = 0; i < all.length; i += size) {
      b++;
      const slots = all.slice(i, i + size);
      const id = (s: string) => `batch-${b}:${s}`;
      try {
        // Pause and abort take effect between batches: never with a batch half switched.
        await this.ctx.control?.checkpoint(() => this.ctx.step(id('start'), 'running', 'paused: resume or abort'));
        this.ctx.step(id('start'), 'running');
        const created = await this.createNew(slots);
        this.ctx.step(id('start'), 'done', created.join(', '));
        this.ctx.step(id('gate'), 'running');
        await gate(this.ctx, created, this.opts);
        this.ctx.step(id('gate'), 'done', `/ready ${this.opts.gateSuccesses}× OK`);
      } catch (err) {
        await this.rollbackRolling(slots);
        throw err;
      }
      // Start-first: the new nodes join and the old ones stop taking new requests in one reload.
      this.ctx.step(id('switch'), 'running');
      for (const s of slots) this.switched.add(s);
      await this.reload(this.upstream(slots));
      this.ctx.onSwitch?.(Date.now());
      this.ctx.step(id('switch'), 'done');
      this.ctx.step(id('drain'), 'running');
      const waited = await waitOldWorkers(this.ctx.engine, this.balancer, this.opts.drainTimeoutMs);
      await Promise.all(slots.map((s) => this.stopOnly(this.oldNames.get(s)!)));
      await this.reload(this.upstream());
      this.ctx.step(id('drain'), 'done', `drained in ${waited} ms, SIGTERM sent`);
    }
    this.ctx.step('finish', 'running');
    await Promise.all([...this.oldNames.values()].map((n) => this.ctx.engine.stopAndRemove(n)));
    this.ctx.step('finish', 'done');
  }

  private async stopOnly(name: string): Promise<void> {
    try {
      await this.ctx.engine.docker.getContainer(name).stop();
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw err;
    }
  }

  /**
   * A failed gate in batch k: its new nodes never took traffic and are removed; batches already
   * switched are reverted by starting their old nodes again, gating them, and switching back.
   */
  private async rollbackRolling(failedSlots: number[]): Promise<void> {
    await Promise.all(failedSlots.map((s) => this.ctx.engine.stopAndRemove(this.newNodes.get(s)!.options.name)));
    const revert = [...this.switched];
    if (revert.length) {
      const oldNames = revert.map((s) => this.oldNames.get(s)!);
      for (const n of oldNames) await this.ctx.engine.start(n);
      await gate(this.ctx, oldNames, { ...this.opts, gateTimeoutMs: Math.max(this.opts.gateTimeoutMs, 60_000) });
      const newKeys = revert.map((s) => this.newNodes.get(s)!.service);
      for (const s of revert) this.switched.delete(s);
      await this.reload(this.upstream([], newKeys.map((key) => ({ key, down: true }))));
      await waitOldWorkers(this.ctx.engine, this.balancer, this.opts.drainTimeoutMs);
      await Promise.all(revert.map((s) => this.ctx.engine.stopAndRemove(this.newNodes.get(s)!.options.name)));
    }
    await this.reload(this.upstream());
  }

  /** Blue-green up to the switch; blue stays running, marked down, for an instant rollback. */
  async blueGreen(): Promise<{ switchedAt: number }> {
    const slots = this.slots();
    const oldKeys = slots.map((s) => this.oldKeys.get(s)!);
    const newKeys = slots.map((s) => this.newNodes.get(s)!.service);
    let created: string[] = [];
    try {
      this.ctx.step('start-green', 'running');
      created = await this.createNew(slots);
      this.ctx.step('start-green', 'done', created.join(', '));
      this.ctx.step('gate-green', 'running');
      await gate(this.ctx, created, this.opts);
      this.ctx.step('gate-green', 'done');
      this.ctx.step('smoke', 'running');
      for (const name of created) {
        const ip = await addressOf(this.ctx.engine, this.ctx.cluster, name);
        for (const path of ['/', this.ctx.to.api.health_path]) {
          const status = await httpStatus(`http://${ip}:${this.ctx.to.api.port}${path}`);
          if (status !== 200) throw new ScaleDeckError('STEP_FAILED', `smoke request GET ${path} to ${name} answered ${status || 'nothing'}`);
        }
      }
      this.ctx.step('smoke', 'done', `${created.length * 2} requests OK`);
      if (this.opts.canaryPercent) {
        this.ctx.step('canary', 'running');
        const p = Math.min(99, Math.max(1, Math.round(this.opts.canaryPercent)));
        await this.reload([...oldKeys.map((key) => ({ key, weight: 100 - p })), ...newKeys.map((key) => ({ key, weight: p }))]);
        await sleep(this.opts.canaryMs ?? 10_000);
        this.ctx.step('canary', 'done');
      }
    } catch (err) {
      await this.reload(oldKeys.map((key) => ({ key })));
      await Promise.all(created.map((n) => this.ctx.engine.stopAndRemove(n)));
      throw err;
    }
    this.ctx.step('switch', 'running');
    const switchedAt = Date.now();
    await this.reload([...newKeys.map((key) => ({ key })), ...oldKeys.map((key) => ({ key, down: true }))]);
    this.ctx.onSwitch?.(switchedAt);
    this.ctx.step('switch', 'done', 'all new requests go to green; blue is kept running for rollback');
    return { switchedAt };
  }
}

/** Blue-green rollback: switch back to the old colour in one reload, then remove the new nodes. */
export async function switchBack(engine: EngineClient, cluster: string, spec: ClusterSpec, keepColor: Color, removeColor: Color, drainTimeoutMs: number): Promise<void> {
  const keep = apiKeys(spec, keepColor).map((key) => ({ key }));
  const balancer = names.container(cluster, 'balancer');
  await reloadBalancer(engine, balancer, generateNginxConf(spec, keep));
  await waitOldWorkers(engine, balancer, drainTimeoutMs);
  const containers = await engine.listContainers(cluster);
  await Promise.all(
    containers
      .filter((c) => c.labels['io.scaledeck.role'] === 'api' && (c.labels['io.scaledeck.color'] ?? 'blue') === removeColor)
      .map((c) => engine.stopAndRemove(c.id)),
  );
}
