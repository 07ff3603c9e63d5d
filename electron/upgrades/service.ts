import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { StepProgress, UpgradeRecord, UpgradeRequest } from '../../shared/api/types.ts';
import { usesHosts, type Color } from '../../shared/generate/index.ts';
import { parseSpecYaml, type ClusterSpec } from '../../shared/spec/index.ts';
import { executePlan } from '../engine/execute.ts';
import { observe } from '../engine/observe.ts';
import { planUp } from '../engine/plan.ts';
import { ensureImages } from '../services/preflight.ts';
import type { ScaleDeck, StartedOperation } from '../services/scaledeck.ts';
import { startProbe, type Probe } from './probe.ts';
import { planSteps, switchBack, Upgrade, UpgradeControl, type UpgradeContext, type UpgradeOptions } from './upgrade.ts';

/**
 * Upgrades as operations: each runs under the cluster's lock with live steps, a traffic probe
 * through the balancer from start to end, and a JSON record in the workspace
 * (clusters/<name>/upgrades/<id>.json). A blue-green upgrade that has switched leaves
 * clusters/<name>/upgrade-active.json until it is finalized or rolled back; `up` and `scale`
 * refuse to run meanwhile.
 */
interface ActiveBlueGreen {
  upgradeId: string;
  fromYaml: string;
  toYaml: string;
  fromColor: Color;
  toColor: Color;
}

const PROBE_SETTLE_MS = 2000;

export class Upgrades {
  private readonly controls = new Map<string, UpgradeControl>();
  private readonly finalizeTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly app: ScaleDeck) {}

  /** Pause, resume or abort the rolling upgrade running on a cluster (in this process). */
  control(cluster: string, action: 'pause' | 'resume' | 'abort'): { state: string } {
    const c = this.controls.get(cluster);
    if (!c) throw new ScaleDeckError('NOT_FOUND', `No rolling upgrade is running on "${cluster}" in this ScaleDeck process.`, 'Pause, resume and abort work from the app or web mode that started the upgrade, or press Ctrl-C in the CLI (re-running continues safely).');
    if (action === 'pause') c.pause();
    else if (action === 'resume') c.resume();
    else c.abort();
    return { state: c.aborted ? 'aborting' : c.paused ? 'paused' : 'running' };
  }

  private dir(cluster: string): string {
    const d = join(this.app.workspace.root, 'clusters', cluster, 'upgrades');
    mkdirSync(d, { recursive: true });
    return d;
  }

  private activePath(cluster: string): string {
    return join(this.app.workspace.root, 'clusters', cluster, 'upgrade-active.json');
  }

  active(cluster: string): ActiveBlueGreen | null {
    const p = this.activePath(cluster);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ActiveBlueGreen) : null;
  }

  /** The cluster is gone (down): a pending blue-green switch has nothing left to finalize. */
  clearActive(cluster: string): void {
    rmSync(this.activePath(cluster), { force: true });
  }

  private save(record: UpgradeRecord): void {
    writeFileSync(join(this.dir(record.cluster), `${record.id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }

  list(cluster: string): UpgradeRecord[] {
    if (!this.app.workspace.hasSpec(cluster)) {
      throw new ScaleDeckError('NOT_FOUND', `No cluster named "${cluster}" in the workspace.`, 'List clusters with `scaledeck status`.');
    }
    const d = this.dir(cluster);
    return readdirSync(d)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(d, f), 'utf8')) as UpgradeRecord)
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  /** The spec YAML with the API image and env changed, comments kept. */
  private changedYaml(yaml: string, req: UpgradeRequest): string {
    const doc = parseDocument(yaml);
    if (req.image) doc.setIn(['api', 'image'], req.image);
    for (const [k, v] of Object.entries(req.env ?? {})) doc.setIn(['api', 'env', k], v);
    return doc.toString();
  }

  private parse(yaml: string, what: string): ClusterSpec {
    const r = parseSpecYaml(yaml, this.app.imageSet);
    if (!r.ok) throw new ScaleDeckError('SPEC_INVALID', `${what}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    return r.spec;
  }

  private probeFor(spec: ClusterSpec, rate: number): Probe | null {
    if (!rate) return null;
    const host = spec.balancer.bind === '0.0.0.0' ? '127.0.0.1' : spec.balancer.bind;
    // A GET and POST mix: NGINX retries only idempotent requests on another node, so the POSTs
    // are what shows whether a drain really let in-flight work finish.
    return startProbe({
      url: `http://${host}:${spec.balancer.port}/`,
      rate: Math.min(rate, 2000),
      maxMs: 30 * 60_000,
      mix: [
        { method: 'GET', path: '/', weight: 4 },
        { method: 'POST', path: '/', body: '{"probe":true}', weight: 1 },
      ],
    });
  }

  async start(req: UpgradeRequest): Promise<StartedOperation & { upgradeId: string }> {
    const cluster = req.cluster;
    if (req.strategy !== 'rolling' && req.strategy !== 'blue-green') {
      throw new ScaleDeckError('BAD_REQUEST', `strategy: must be rolling or blue-green (got ${JSON.stringify(req.strategy)})`);
    }
    if (!req.image && !req.env) throw new ScaleDeckError('BAD_REQUEST', 'Nothing to upgrade: give a new image (--image) or environment (--env K=V).');
    if (this.active(cluster)) {
      throw new ScaleDeckError('CONFLICT', `Cluster "${cluster}" has a blue-green upgrade waiting to be finalized.`, `Run \`scaledeck finalize ${cluster}\` or \`scaledeck rollback ${cluster}\` first.`);
    }
    const fromYaml = this.app.workspace.readSpec(cluster);
    if (fromYaml === null) this.app.storedSpec(cluster); // throws NOT_FOUND with its hint
    const toYaml = this.changedYaml(fromYaml!, req);
    const from = this.parse(fromYaml!, 'the current spec');
    const to = this.parse(toYaml, 'the upgraded spec');
    if (usesHosts(from) || usesHosts(to)) {
      // Upgrades drive one engine; refuse rather than act on the wrong one.
      throw new ScaleDeckError(
        'BAD_REQUEST',
        `Cluster "${cluster}" is spread over hosts; zero-downtime upgrades of such clusters are not supported yet.`,
        'Change the image in the spec and run `scaledeck up` (nodes are recreated; the balancer is reloaded once they are healthy).',
      );
    }
    const upgradeId = randomUUID().slice(0, 8);
    const opts: UpgradeOptions = {
      strategy: req.strategy,
      batch: req.batch ?? 1,
      gateTimeoutMs: req.gateTimeoutMs ?? 60_000,
      gateSuccesses: 3,
      drainTimeoutMs: 15_000,
      canaryPercent: req.canaryPercent,
      canaryMs: 10_000,
    };
    let planned = planSteps(opts, to.api.replicas);
    let record: UpgradeRecord;
    const started = await this.app.runOperation(cluster, 'upgrade', async () => {
      await this.app.engine.version();
      const observed = await observe(this.app.engine, cluster, { readBalancerConf: false });
      await ensureImages(this.app.engine, [to.api.image]);
      const relay: { step: UpgradeContext['step'] } = { step: () => {} };
      const control = new UpgradeControl();
      this.controls.set(cluster, control);
      const upgrade = new Upgrade(
        { engine: this.app.engine, cluster, from, to, secrets: this.app.workspace.secrets(cluster), observed, step: (...a) => relay.step(...a), control },
        opts,
      );
      planned = planSteps(opts, to.api.replicas, upgrade.oldColor, upgrade.newColor);
      record = {
        id: upgradeId,
        cluster,
        strategy: req.strategy,
        state: 'running',
        from: { image: from.api.image, env: from.api.env },
        to: { image: to.api.image, env: to.api.env },
        fromColor: upgrade.oldColor,
        toColor: upgrade.newColor,
        startedAt: Date.now(),
        steps: planned.map((s) => ({ id: s.id, label: s.label, state: 'pending' })),
        planText: [`Upgrade ${cluster} (${req.strategy}): ${from.api.image} → ${to.api.image}`, ...planned.map((s) => `  ~ ${s.label}`)].join('\n'),
      };
      this.save(record);
      return {
        planText: record.planText,
        steps: planned,
        run: (update) => this.runUpgrade(record, upgrade, relay, opts, { fromYaml: fromYaml!, toYaml, from, to }, req.probeRate ?? 0, update, req.finalizeAfterMs),
      };
    });
    return { ...started, upgradeId };
  }

  private async runUpgrade(
    record: UpgradeRecord,
    upgrade: Upgrade,
    relay: { step: UpgradeContext['step'] },
    opts: UpgradeOptions,
    specs: { fromYaml: string; toYaml: string; from: ClusterSpec; to: ClusterSpec },
    probeRate: number,
    update: (p: StepProgress) => void,
    finalizeAfterMs?: number,
  ): Promise<void> {
    const t0 = new Map<string, number>();
    const step = (id: string, state: 'running' | 'done' | 'failed' | 'skipped', message?: string) => {
      if (state === 'running') t0.set(id, Date.now());
      const s = record.steps.find((x) => x.id === id);
      const p: StepProgress = { id, label: s?.label ?? id, state, message, ms: state === 'running' ? undefined : Date.now() - (t0.get(id) ?? Date.now()) };
      if (s) Object.assign(s, p);
      update(p);
    };
    relay.step = step;
    const probe = this.probeFor(specs.from, probeRate);
    let switchedAt: number | undefined;
    try {
      if (probe) await new Promise((r) => setTimeout(r, PROBE_SETTLE_MS));
      probe?.phase('during');
      if (opts.strategy === 'rolling') {
        await upgrade.rolling();
        this.app.workspace.writeSpec(record.cluster, specs.toYaml);
        await this.convergeWorkers(specs.to);
        record.state = 'succeeded';
      } else {
        ({ switchedAt } = await upgrade.blueGreen());
        // The new spec is what runs now; the old one is kept for an instant rollback.
        const active: ActiveBlueGreen = { upgradeId: record.id, fromYaml: specs.fromYaml, toYaml: specs.toYaml, fromColor: upgrade.oldColor, toColor: upgrade.newColor };
        writeFileSync(this.activePath(record.cluster), JSON.stringify(active, null, 2));
        this.app.workspace.writeSpec(record.cluster, specs.toYaml);
        await this.convergeWorkers(specs.to);
        record.state = 'awaiting-finalize';
        if (finalizeAfterMs) this.scheduleFinalize(record.cluster, finalizeAfterMs);
      }
    } catch (err) {
      record.state = 'rolled-back';
      record.reason = err instanceof Error ? err.message : String(err);
      for (const s of record.steps) if (s.state === 'pending') s.state = 'skipped';
      for (const s of record.steps) {
        if (s.state === 'running') {
          Object.assign(s, { state: 'failed', message: record.reason });
          update({ ...s });
        } else if (s.state === 'skipped') update({ ...s });
      }
      throw new ScaleDeckError('STEP_FAILED', `Upgrade rolled back: ${record.reason}`, 'The cluster runs the previous version; the upgrade record says why (`scaledeck upgrades <cluster>`).');
    } finally {
      this.controls.delete(record.cluster);
      if (probe) {
        probe.phase('after');
        await new Promise((r) => setTimeout(r, PROBE_SETTLE_MS));
        const result = await probe.stop();
        record.probe = { rate: result.rate, phases: result.phases };
        if (switchedAt) {
          const oldLast = Math.max(0, ...Object.entries(result.lastSeen).filter(([n]) => isColor(n, upgrade.oldColor)).map(([, t]) => t));
          record.switchMs = Math.max(0, oldLast - switchedAt);
        }
      }
      record.finishedAt = Date.now();
      this.save(record);
    }
  }

  /**
   * A blue-green upgrade can be finalized by a timer of the process that runs it (the app or web
   * mode); the CLI exits, so from a terminal run `scaledeck finalize` yourself.
   */
  private scheduleFinalize(cluster: string, ms: number): void {
    clearTimeout(this.finalizeTimers.get(cluster));
    const t = setTimeout(() => {
      this.finalizeTimers.delete(cluster);
      if (this.active(cluster)) void this.finalize(cluster).catch(() => undefined);
    }, ms);
    t.unref();
    this.finalizeTimers.set(cluster, t);
  }

  /** Blue-green: switch back to the old colour. After a finished upgrade: roll back to its old spec. */
  async rollback(cluster: string): Promise<StartedOperation> {
    clearTimeout(this.finalizeTimers.get(cluster));
    const active = this.active(cluster);
    if (!active) {
      const last = this.list(cluster).find((r) => r.state === 'succeeded' || r.state === 'finalized');
      if (!last) throw new ScaleDeckError('NOT_FOUND', `Cluster "${cluster}" has no upgrade to roll back.`);
      return this.start({ cluster, image: last.from.image, env: last.from.env, strategy: 'rolling', probeRate: 0 });
    }
    const from = this.parse(active.fromYaml, 'the previous spec');
    return this.app.runOperation(cluster, 'rollback', async () => ({
      planText: `Roll back ${cluster}: switch NGINX back to ${active.fromColor}, remove ${active.toColor} nodes`,
      steps: [{ id: 'switch-back', label: `switch NGINX back to the ${active.fromColor} nodes and remove the ${active.toColor} ones` }],
      run: async (update) => {
        const t = Date.now();
        const label = `switch NGINX back to the ${active.fromColor} nodes and remove the ${active.toColor} ones`;
        update({ id: 'switch-back', label, state: 'running' });
        await switchBack(this.app.engine, cluster, from, active.fromColor, active.toColor, 15_000);
        this.app.workspace.writeSpec(cluster, active.fromYaml);
        await this.convergeWorkers(from);
        rmSync(this.activePath(cluster), { force: true });
        this.mark(cluster, active.upgradeId, 'rolled-back', 'rolled back by the user');
        update({ id: 'switch-back', label, state: 'done', ms: Date.now() - t });
      },
    }));
  }

  /** Blue-green: drain and remove the old colour; the upgrade is done. */
  async finalize(cluster: string): Promise<StartedOperation> {
    const active = this.active(cluster);
    if (!active) throw new ScaleDeckError('NOT_FOUND', `Cluster "${cluster}" has no blue-green upgrade waiting to be finalized.`);
    const to = this.parse(active.toYaml, 'the upgraded spec');
    return this.app.runOperation(cluster, 'finalize', async () => ({
      planText: `Finalize ${cluster}: remove the ${active.fromColor} nodes`,
      steps: [{ id: 'remove-old', label: `drain and remove the ${active.fromColor} nodes` }],
      run: async (update) => {
        const t = Date.now();
        const label = `drain and remove the ${active.fromColor} nodes`;
        update({ id: 'remove-old', label, state: 'running' });
        await switchBack(this.app.engine, cluster, to, active.toColor, active.fromColor, 15_000);
        rmSync(this.activePath(cluster), { force: true });
        this.mark(cluster, active.upgradeId, 'finalized');
        update({ id: 'remove-old', label, state: 'done', ms: Date.now() - t });
      },
    }));
  }

  /**
   * Workers run the API image but take no HTTP traffic: once the API nodes are on the new version
   * they are simply recreated (queued jobs wait in Redis meanwhile).
   */
  private async convergeWorkers(spec: ClusterSpec): Promise<void> {
    const observed = await observe(this.app.engine, spec.name, { readBalancerConf: false });
    const desired = this.app.desiredFor(spec, observed);
    const plan = planUp(desired, observed);
    const steps = plan.steps
      .filter((s) => 'service' in s && s.service.startsWith('worker-'))
      .map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => d.includes('worker-')) }));
    if (steps.length) await executePlan(this.app.engine, { cluster: spec.name, steps }, desired);
  }

  private mark(cluster: string, id: string, state: UpgradeRecord['state'], reason?: string): void {
    const p = join(this.dir(cluster), `${id}.json`);
    if (!existsSync(p)) return;
    const r = JSON.parse(readFileSync(p, 'utf8')) as UpgradeRecord;
    r.state = state;
    if (reason) r.reason = reason;
    this.save(r);
  }
}

const isColor = (node: string, color: Color) => (color === 'green' ? node.endsWith('-green') : /^api-\d+$/.test(node));
