import type { StepProgress } from '../../shared/api/types.ts';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import { NGINX_CONF_PATH } from '../../shared/generate/model.ts';
import { LABEL, names } from '../../shared/labels.ts';
import type { EngineClient } from '../docker/client.ts';
import type { DesiredContainer, DesiredState } from './desired.ts';
import { stepLabel, type Plan, type Step } from './plan.ts';

export interface ExecuteOptions {
  onStep?: (progress: StepProgress) => void;
  /** How long a container may take to become healthy (its start period counts inside this). */
  healthTimeoutMs?: number;
  /** Multi-host: the engine of a step's host (undefined = the local engine passed in). */
  engineFor?: (host: string) => EngineClient;
  /**
   * Cancels the run: steps not started yet are skipped, steps in progress finish (a container is
   * never left half-created), then the run ends with a CANCELLED error.
   */
  signal?: AbortSignal;
}

class Skipped extends Error {}
class NotStarted extends Error {}

/**
 * Run a plan: every step starts as soon as the steps it depends on are done, so independent
 * work (Postgres and Redis, the API nodes) runs in parallel. A failed step skips what depends on
 * it; independent steps still finish, so a re-run has less to do. Re-running `up` after any
 * failure or interruption converges, because the plan is recomputed from what is observed.
 */
export async function executePlan(engine: EngineClient, plan: Plan, desired: DesiredState | null, opts: ExecuteOptions = {}): Promise<void> {
  const onStep = opts.onStep ?? (() => {});
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const running = new Map<string, Promise<void>>();
  const failures: { step: Step; error: unknown }[] = [];
  const cancelled: Step[] = [];

  for (const s of plan.steps) onStep({ id: s.id, label: stepLabel(s), state: 'pending' });

  const run = (step: Step): Promise<void> => {
    const existing = running.get(step.id);
    if (existing) return existing;
    const p = (async () => {
      const deps = step.dependsOn.map((d) => byId.get(d)).filter((d): d is Step => !!d);
      const results = await Promise.allSettled(deps.map(run));
      if (results.some((r) => r.status === 'rejected')) {
        onStep({ id: step.id, label: stepLabel(step), state: 'skipped', message: 'skipped: a step it depends on failed' });
        throw new Skipped(step.id);
      }
      if (opts.signal?.aborted) {
        cancelled.push(step);
        onStep({ id: step.id, label: stepLabel(step), state: 'skipped', message: 'cancelled before it started' });
        throw new NotStarted(step.id);
      }
      const started = Date.now();
      onStep({ id: step.id, label: stepLabel(step), state: 'running' });
      try {
        const stepEngine = step.host && opts.engineFor ? opts.engineFor(step.host) : engine;
        const message = await runStep(stepEngine, step, desired, plan.cluster, opts, (msg) =>
          onStep({ id: step.id, label: stepLabel(step), state: 'running', message: msg }),
        );
        onStep({ id: step.id, label: stepLabel(step), state: 'done', ms: Date.now() - started, message: message ?? undefined });
      } catch (error) {
        failures.push({ step, error });
        const msg = error instanceof Error ? error.message : String(error);
        onStep({ id: step.id, label: stepLabel(step), state: 'failed', ms: Date.now() - started, message: msg });
        throw error;
      }
    })();
    running.set(step.id, p);
    return p;
  };

  await Promise.allSettled(plan.steps.map(run));
  if (cancelled.length && !failures.length) {
    const finished = plan.steps.length - cancelled.length;
    throw new ScaleDeckError(
      'CANCELLED',
      `Cancelled: ${finished} of ${plan.steps.length} steps had finished (or were in progress and were let finish); ${cancelled.length} did not start.`,
      'Nothing is half-made. Run the same command again to finish from here, or `scaledeck down <name>` to remove what was created.',
      { notStarted: cancelled.map((s) => s.id) },
    );
  }
  if (failures.length) {
    const first = failures[0]!;
    const base = first.error instanceof ScaleDeckError ? first.error : null;
    const lines = failures.map((f) => `${stepLabel(f.step)}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
    throw new ScaleDeckError(
      base?.code ?? 'STEP_FAILED',
      failures.length === 1 ? lines[0]! : `${failures.length} steps failed:\n  ${lines.join('\n  ')}`,
      base?.hint ?? 'Fix the cause and run the same command again: it continues from what is already in place. `scaledeck down <name>` removes everything instead.',
      { failedSteps: failures.map((f) => f.step.id) },
    );
  }
}

function desiredFor(desired: DesiredState | null, service: string): DesiredContainer {
  const d = desired?.containers.find((c) => c.service === service);
  if (!d) throw new Error(`internal: no desired container for ${service}`);
  return d;
}

async function createAndStart(engine: EngineClient, d: DesiredContainer): Promise<string> {
  const id = await engine.createContainer(d.options);
  for (const f of d.model.files) await engine.putFile(id, f.path, f.content);
  await engine.start(id);
  return id;
}

async function runStep(
  engine: EngineClient,
  step: Step,
  desired: DesiredState | null,
  cluster: string,
  opts: ExecuteOptions,
  report: (msg: string) => void,
): Promise<string | void> {
  const labels = { [LABEL.cluster]: cluster };
  switch (step.kind) {
    case 'create-network':
      return engine.createNetwork(step.name, labels);
    case 'create-volume':
      return engine.createVolume(step.name, labels);
    case 'create':
      await createAndStart(engine, desiredFor(desired, step.service));
      return;
    case 'recreate':
      await engine.stopAndRemove(step.containerId);
      await createAndStart(engine, desiredFor(desired, step.service));
      return;
    case 'start': {
      const d = desiredFor(desired, step.service);
      for (const f of d.model.files) await engine.putFile(step.containerId, f.path, f.content);
      await engine.start(step.containerId);
      return;
    }
    case 'wait-healthy':
      return waitHealthy(engine, names.container(cluster, step.service), opts.healthTimeoutMs ?? 120_000, report);
    case 'reload-balancer':
      if (!desired) throw new Error('internal: reload without a desired state');
      return reloadBalancer(engine, names.container(cluster, 'balancer'), step.drain ? desired.nginxDrainConf(step.drain) : desired.nginxConf);
    case 'remove':
      await engine.stopAndRemove(step.containerId);
      return;
    case 'remove-network':
      return engine.removeNetwork(step.name);
    case 'remove-volume':
      return engine.removeVolume(step.name);
    case 'drop-slot':
      return dropSlot(engine, names.container(cluster, step.primary), step.slot);
  }
}

/**
 * Drop a replication slot on the primary. The walsender of a just-removed replica can hold the
 * slot for a moment after the container is gone, so an active slot is retried for a while.
 */
export async function dropSlot(engine: EngineClient, primary: string, slot: string, timeoutMs = 30_000): Promise<string> {
  const sql = `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${slot}' AND NOT active`;
  const left = `SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${slot}'`;
  const started = Date.now();
  for (;;) {
    await psql(engine, primary, sql);
    if ((await psql(engine, primary, left)).trim() === '0') return `slot ${slot} dropped`;
    if (Date.now() - started > timeoutMs) throw new Error(`replication slot ${slot} on ${primary} is still in use after ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Run SQL with psql inside a Postgres container (local socket in /tmp, user postgres); stdout unaligned. */
export async function psql(engine: EngineClient, container: string, sql: string, timeoutMs = 15_000): Promise<string> {
  const r = await engine.exec(container, ['psql', '-h', '/tmp', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-XtAq', '-F', '\t', '-c', sql], timeoutMs);
  if (r.exitCode !== 0) throw new Error(`psql in ${container} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Poll the container until Docker reports it healthy; fail fast when it exits or restarts. */
export async function waitHealthy(engine: EngineClient, name: string, timeoutMs: number, report: (msg: string) => void): Promise<string> {
  const started = Date.now();
  let lastReport = 0;
  for (;;) {
    const info = await engine.inspect(name);
    if (!info) throw new Error(`${name} disappeared while starting`);
    const st = info.State;
    if (st.Status === 'exited' || st.Status === 'dead' || info.RestartCount > 0) {
      const logs = await engine.logsTail(name, 15);
      throw new ScaleDeckError(
        'STEP_FAILED',
        `${name} stopped while starting (exit code ${st.ExitCode}${info.RestartCount ? `, restarted ${info.RestartCount}×` : ''}).${logs ? `\nLast log lines:\n${indent(logs)}` : ''}`,
        `Look at \`docker logs ${name}\`; fix the image or spec, then run the command again.`,
      );
    }
    const health = st.Health?.Status;
    if (health === 'healthy' || (!st.Health && st.Status === 'running')) return `healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (health === 'unhealthy') {
      const last = st.Health?.Log?.at(-1)?.Output?.trim();
      throw new ScaleDeckError(
        'STEP_FAILED',
        `${name} is unhealthy${last ? `: ${last}` : ''}`,
        `Look at \`docker logs ${name}\`; the health check is ${JSON.stringify(info.Config.Healthcheck?.Test ?? [])}.`,
      );
    }
    if (Date.now() - started > timeoutMs) {
      throw new ScaleDeckError('STEP_FAILED', `${name} did not become healthy within ${Math.round(timeoutMs / 1000)} s (state ${st.Status}, health ${health ?? 'none'}).`);
    }
    if (Date.now() - lastReport > 2000) {
      report(`${st.Status}, health ${health ?? 'none'}…`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Apply a new nginx.conf without dropping requests: write it beside the live one, `nginx -t` it,
 * and only then move it into place and signal a reload (old workers finish their requests).
 */
export async function reloadBalancer(engine: EngineClient, name: string, conf: string): Promise<string> {
  const next = `${NGINX_CONF_PATH}.next`;
  await engine.putFile(name, next, conf);
  const test = await engine.exec(name, ['nginx', '-t', '-q', '-c', next]);
  if (test.exitCode !== 0) {
    throw new ScaleDeckError(
      'STEP_FAILED',
      `The new nginx.conf failed \`nginx -t\`; the balancer keeps its current config.\n${indent((test.stderr || test.stdout).trim())}`,
      'This is a bug in the generated config or a node name NGINX cannot resolve; run `scaledeck export` to inspect it.',
    );
  }
  const swap = await engine.exec(name, ['sh', '-c', `mv ${next} ${NGINX_CONF_PATH} && nginx -s reload -c ${NGINX_CONF_PATH}`]);
  if (swap.exitCode !== 0) throw new Error(`nginx reload failed: ${(swap.stderr || swap.stdout).trim()}`);
  // `nginx -s reload` only signals the master; give it a moment to start the new workers.
  await new Promise((r) => setTimeout(r, 300));
  return 'reloaded';
}

const indent = (s: string) => s.split('\n').map((l) => `    ${l}`).join('\n');
