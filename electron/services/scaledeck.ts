import { randomUUID } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { ArgsOf, MethodName, ResultOf } from '../../shared/api/contract.ts';
import { ScaleDeckError, toErrorBody } from '../../shared/api/errors.ts';
import type {
  ClusterDetail,
  ClusterState,
  ClusterSummary,
  ContainerView,
  EngineInfo,
  OperationKind,
  OperationView,
  PlanView,
  PresetInfo,
  StepProgress,
  SecretStorageInfo,
} from '../../shared/api/types.ts';
import { defaultUpstream, generateExport } from '../../shared/generate/index.ts';
import { LABEL } from '../../shared/labels.ts';
import {
  PRESETS,
  findPreset,
  parseSpecYaml,
  specToYaml,
  validateSpec,
  SpecValidationError,
  type ClusterSpec,
  type ImageSet,
} from '../../shared/spec/index.ts';
import { describeEngineHost, EngineClient } from '../docker/client.ts';
import { buildDesired, type DesiredState } from '../engine/desired.ts';
import { executePlan } from '../engine/execute.ts';
import { healthFromStatus, observe, observeAll, serviceOrder, type ObservedState } from '../engine/observe.ts';
import { hostOf, hostsOf, LOCAL, usesHosts, type HostAddresses } from '../../shared/generate/placement.ts';
import { transferImage } from '../ssh/transfer.ts';
import { formatPlan, planDown, planUp, stepLabel, toPlanView, type Plan } from '../engine/plan.ts';
import { secretStorage, useSealer, type Sealer } from '../workspace/secret-store.ts';
import { Workspace } from '../workspace/workspace.ts';
import { EventBus } from './events.ts';
import { Upgrades } from '../upgrades/service.ts';
import { LogFollowers } from './logs.ts';
import { MetricsService } from './metrics.ts';
import { LoadTestManager } from '../loadtest/manager.ts';
import { join, resolve as resolvePath } from 'node:path';
import { readFileSync } from 'node:fs';
import { checkImages, checkPort } from './preflight.ts';
import { HostsService } from '../ssh/service.ts';
import { DbService } from './db.ts';

export interface StartedOperation {
  operationId: string;
  /** Resolves when the operation ends; rejects with its error. */
  done: Promise<OperationView>;
}

type Handlers = { [M in MethodName]: (args: ArgsOf<M>) => Promise<ResultOf<M>> };

/**
 * The services behind the API contract. Every transport (IPC, HTTP, CLI) calls these same
 * methods. Long operations return an id at once and report progress through the event bus.
 */
export class ScaleDeck {
  readonly engine: EngineClient;
  readonly workspace: Workspace;
  readonly imageSet: ImageSet;
  readonly events = new EventBus();
  private readonly operations = new Map<string, OperationView>();
  private readonly busy = new Map<string, string>();
  /** Cancel functions of running operations, by id. */
  private readonly cancels = new Map<string, () => void>();
  private logFollowers: LogFollowers | null = null;
  readonly upgrades: Upgrades = new Upgrades(this);
  readonly metrics: MetricsService = new MetricsService(this);
  readonly db: DbService = new DbService(this);
  private loadTestManager: LoadTestManager | null = null;
  private hostsService: HostsService | null = null;

  /** Remote hosts over SSH (hosts.json in the workspace). */
  hosts(): HostsService {
    this.hostsService ??= new HostsService(this.workspace.root);
    return this.hostsService;
  }

  /** Load tests, reports in the workspace (loadtests/). */
  loadtests(): LoadTestManager {
    this.loadTestManager ??= new LoadTestManager({ reportsDir: join(this.workspace.root, 'loadtests'), emit: (e) => this.events.emit(e) });
    return this.loadTestManager;
  }

  /** The desktop keyring (Electron's safeStorage on a real backend); null in the CLI and web mode. */
  private readonly keyring: Sealer | null;

  constructor(deps: { engine?: EngineClient; workspace?: Workspace; imageSet?: ImageSet; keyring?: Sealer | null } = {}) {
    this.engine = deps.engine ?? new EngineClient();
    this.workspace = deps.workspace ?? new Workspace();
    this.imageSet = deps.imageSet ?? 'official';
    this.keyring = deps.keyring ?? null;
    // Sealed by default when a real keyring is there, unless the user chose files (to share with the CLI).
    if (this.keyring) {
      const chosen = this.workspace.readSettings().secretStorage;
      this.applySecretStorage(chosen === 'file' ? 'file' : 'keyring');
    }
  }

  private applySecretStorage(mode: 'keyring' | 'file'): void {
    if (mode === 'keyring') useSealer(this.keyring);
    else useSealer(null, `You chose 0600 files (shared with the CLI) although the keyring (${this.keyring?.backend ?? 'none'}) is available.`);
  }

  secretStorage(): SecretStorageInfo {
    return { ...secretStorage(), keyringAvailable: !!this.keyring };
  }

  /** Switch between sealed secrets and 0600 files, converting every cluster's file. */
  setSecretStorage(mode: unknown): SecretStorageInfo & { converted: number } {
    if (mode !== 'keyring' && mode !== 'file') throw new ScaleDeckError('BAD_REQUEST', `mode: must be keyring or file (got ${JSON.stringify(mode)})`);
    if (mode === 'keyring' && !this.keyring) {
      throw new ScaleDeckError('CONFLICT', 'No keyring here: secrets can only be sealed by the desktop app on a system keyring.', secretStorage().note);
    }
    this.applySecretStorage(mode);
    const converted = this.workspace.convertSecrets(this.keyring);
    this.workspace.writeSettings({ secretStorage: mode });
    return { ...this.secretStorage(), converted };
  }

  /** The contract's methods, keyed by name, for transports to dispatch to. */
  handlers(): Handlers {
    return {
      'engine.info': () => this.engineInfo(),
      'presets.list': async () => this.presets(),
      'clusters.list': () => this.listClusters(),
      'clusters.get': (a) => this.getCluster(requireName(a?.name)),
      'clusters.validate': async (a) => {
        const r = parseSpecYaml(requireString(a?.yaml, 'yaml'), this.imageSet);
        return r.ok ? { ok: true, spec: r.spec } : r;
      },
      'clusters.plan': (a) => ('yaml' in (a ?? {}) ? this.planFromYaml((a as { yaml: string }).yaml) : this.planFor(requireName((a as { name: string })?.name))),
      'clusters.createFromPreset': async (a) => ({ operationId: (await this.createFromPreset(a)).operationId }),
      'clusters.apply': async (a) => ({ operationId: (await this.apply(requireString(a?.yaml, 'yaml'))).operationId }),
      'clusters.scale': async (a) => ({ operationId: (await this.scale(requireName(a?.name), a?.replicas)).operationId }),
      'clusters.down': async (a) => ({ operationId: (await this.down(requireName(a?.name), { keepData: !!a?.keepData, force: !!a?.force })).operationId }),
      'clusters.export': async (a) => this.exportFiles(a),
      'operations.list': async () => [...this.operations.values()].sort((x, y) => y.startedAt - x.startedAt),
      'operations.get': async (a) => {
        const op = this.operations.get(requireString(a?.id, 'id'));
        if (!op) throw new ScaleDeckError('NOT_FOUND', `No operation ${a?.id}.`);
        return op;
      },
      'operations.cancel': async (a) => this.cancelOperation(requireString(a?.id, 'id')),
      'settings.secretStorage': async () => this.secretStorage(),
      'settings.setSecretStorage': async (a) => this.setSecretStorage(a?.mode),
      'logs.follow': (a) =>
        this.logs().follow({ cluster: requireName(a?.cluster), service: requireString(a?.service, 'service'), tail: a?.tail, streamId: a?.streamId }),
      'logs.stop': async (a) => {
        this.logs().stop(requireString(a?.streamId, 'streamId'));
        return null;
      },
      'upgrades.start': async (a) => {
        const s = await this.upgrades.start({ ...a, cluster: requireName(a?.cluster) });
        return { operationId: s.operationId, upgradeId: s.upgradeId };
      },
      'upgrades.rollback': async (a) => ({ operationId: (await this.upgrades.rollback(requireName(a?.cluster))).operationId }),
      'upgrades.finalize': async (a) => ({ operationId: (await this.upgrades.finalize(requireName(a?.cluster))).operationId }),
      'upgrades.list': async (a) => this.upgrades.list(requireName(a?.cluster)),
      'upgrades.control': async (a) => {
        if (!['pause', 'resume', 'abort'].includes(a?.action)) throw new ScaleDeckError('BAD_REQUEST', `action: must be pause, resume or abort (got ${JSON.stringify(a?.action)})`);
        return this.upgrades.control(requireName(a?.cluster), a.action);
      },
      'metrics.snapshot': (a) => this.metrics.snapshot(requireName(a?.cluster), a?.windowMs),
      'metrics.rules': (a) => this.metrics.rules(requireName(a?.cluster)),
      'metrics.setRules': (a) => this.metrics.setRules(requireName(a?.cluster), a?.rules),
      'metrics.scrapeConfig': (a) => this.metrics.scrapeConfig(requireName(a?.cluster)),
      'loadtests.start': async (a) => {
        // By default only the cluster's own balancer (or 127.0.0.1) is a target.
        const cluster = requireName(a?.cluster);
        const url = (await this.getCluster(cluster)).url;
        if (!url) throw new ScaleDeckError('CONFLICT', `Cluster "${cluster}" has no running balancer to load test.`, 'start it with up first');
        const r = this.loadtests().start({ name: cluster, ...(a.definition ?? {}), target: url } as never, { allowHosts: [url], cluster });
        return { runId: r.runId, model: r.model };
      },
      'loadtests.stop': async (a) => {
        this.loadtests().stop(requireString(a?.runId, 'runId'));
        return null;
      },
      'loadtests.get': async (a) => this.loadtests().get(requireString(a?.runId, 'runId')),
      'loadtests.list': async () => this.loadtests().list(),
      'loadtests.compare': async (a) => this.loadtests().compare(requireString(a?.a, 'a'), requireString(a?.b, 'b')),
      'loadtests.html': async (a) => this.loadtests().html(requireString(a?.runId, 'runId')),
      'hosts.list': async () => this.hosts().list(),
      'hosts.add': (a) => this.hosts().add(a),
      'hosts.test': (a) => this.hosts().test(requireString(a?.name, 'name'), Array.isArray(a?.ports) ? a.ports.map(Number) : []),
      'hosts.remove': async (a) => {
        this.removeHost(requireString(a?.name, 'name'));
        return null;
      },
      'hosts.bootstrap': (a) => this.hosts().bootstrap(requireString(a?.name, 'name'), a?.confirm === true),
      'hosts.pushImage': (a) => this.hosts().pushImage(this.engine, requireString(a?.name, 'name'), requireString(a?.image, 'image')),
      'db.status': (a) => this.db.status(requireName(a?.cluster)),
      'db.promote': async (a) => ({ operationId: (await this.db.promote(requireName(a?.cluster), requireString(a?.replica, 'replica'))).operationId }),
    };
  }

  private logs(): LogFollowers {
    this.logFollowers ??= new LogFollowers(this.engine, this.events, (cluster, service) => this.engineOfService(cluster, service));
    return this.logFollowers;
  }

  /** Close streams and timers (web mode shutdown, tests). */
  dispose(): void {
    this.logFollowers?.stopAll();
    void this.loadTestManager?.stopAll();
    void this.metrics.stopAll();
  }

  async engineInfo(): Promise<EngineInfo> {
    try {
      const v = await this.engine.version();
      return { reachable: true, version: v.version, apiVersion: v.apiVersion, host: describeEngineHost(), imageSet: this.imageSet };
    } catch (err) {
      return { reachable: false, host: describeEngineHost(), imageSet: this.imageSet, error: toErrorBody(err) };
    }
  }

  presets(): PresetInfo[] {
    return PRESETS.map((p) => ({ id: p.id, title: p.title, description: p.description, yaml: presetYaml(p.spec(p.id)) }));
  }

  /** The stored spec of a cluster, validated. */
  storedSpec(name: string): ClusterSpec {
    const yaml = this.workspace.readSpec(name);
    if (yaml === null) {
      throw new ScaleDeckError('NOT_FOUND', `No cluster named "${name}" in the workspace (${this.workspace.root}).`, 'List clusters with `scaledeck status`, or create one with `scaledeck up <spec.yaml>`.');
    }
    const r = parseSpecYaml(yaml, this.imageSet);
    if (!r.ok) throw new SpecValidationError(r.errors, `The stored spec of "${name}"`);
    return r.spec;
  }

  /**
   * The desired state of a cluster: its secrets (given: a preview that must not generate them),
   * after a failover its primary, its hosts' addresses and its TLS material.
   */
  desiredFor(spec: ClusterSpec, observed: ObservedState, secrets?: ReturnType<Workspace['secrets']>): DesiredState {
    const peek = secrets !== undefined;
    secrets ??= this.workspace.secrets(spec.name);
    const tls = this.tlsMaterial(spec, peek);
    const db = this.workspace.dbTopology(spec.name);
    if (!usesHosts(spec)) return buildDesired(spec, secrets, observed.apiColor, { db, tls });
    try {
      return buildDesired(spec, secrets, observed.apiColor, { db, addrs: this.hostAddresses(), tls });
    } catch (err) {
      if (err instanceof ScaleDeckError) throw err;
      throw new ScaleDeckError('BAD_REQUEST', `Placement of "${spec.name}": ${(err as Error).message}.`);
    }
  }

  /** The balancer's certificate and key: the user's files, or the cluster's self-signed pair. */
  tlsMaterial(spec: ClusterSpec, peek = false): { cert: string; key: string } | undefined {
    const tls = spec.balancer.tls;
    if (!tls) return undefined;
    if (tls.self_signed) return this.workspace.selfSignedTls(spec.name, peek);
    const read = (what: 'cert' | 'key', path: string) => {
      try {
        return readFileSync(resolvePath(path), 'utf8');
      } catch (err) {
        throw new ScaleDeckError('BAD_REQUEST', `balancer/tls/${what}: cannot read ${resolvePath(path)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'Give the path of a PEM file (absolute, or relative to where you run scaledeck).');
      }
    };
    const material = { cert: read('cert', tls.cert!), key: read('key', tls.key!) };
    if (!/-----BEGIN CERTIFICATE-----/.test(material.cert)) throw new ScaleDeckError('BAD_REQUEST', `balancer/tls/cert: ${tls.cert} is not a PEM certificate.`);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(material.key)) throw new ScaleDeckError('BAD_REQUEST', `balancer/tls/key: ${tls.key} is not a PEM private key.`);
    return material;
  }

  /**
   * How the balancer reaches each API node of a spread cluster (both colours): host:port for a
   * node on another host; absent for one on the balancer's own host (its service name).
   */
  upstreamAddresses(spec: ClusterSpec): Map<string, string> {
    const addrs = this.hostAddresses();
    const out = new Map<string, string>();
    for (const color of ['blue', 'green'] as const) for (const u of defaultUpstream(spec, color, addrs)) if (u.address) out.set(u.key, u.address);
    return out;
  }

  /** Advertise address of every known host (local: SCALEDECK_LOCAL_ADVERTISE, when set). */
  private hostAddresses(): HostAddresses {
    const addrs: HostAddresses = Object.fromEntries(this.hosts().list().map((h) => [h.name, h.advertise]));
    if (process.env.SCALEDECK_LOCAL_ADVERTISE) addrs[LOCAL] = process.env.SCALEDECK_LOCAL_ADVERTISE;
    return addrs;
  }

  /** Hosts a cluster has things on: those of the spec, and of the stored spec (things may remain there). */
  private clusterHosts(name: string, spec: ClusterSpec | null): string[] {
    const hs = new Set<string>([LOCAL]);
    if (spec && usesHosts(spec)) hostsOf(spec).forEach((h) => hs.add(h));
    const yaml = this.workspace.readSpec(name);
    if (yaml) {
      const r = parseSpecYaml(yaml, this.imageSet);
      if (r.ok && usesHosts(r.spec)) hostsOf(r.spec).forEach((h) => hs.add(h));
    }
    return [...hs];
  }

  /** The engine of each host (local and remote, connected); a host that cannot be reached throws, naming it. */
  async enginesFor(hosts: string[]): Promise<Map<string, EngineClient>> {
    for (const h of hosts) if (h !== LOCAL) this.hosts().store.get(h); // NOT_FOUND with the hint
    const pairs = await Promise.all(hosts.map(async (h) => [h, h === LOCAL ? this.engine : await this.hosts().engine(h)] as const));
    return new Map(pairs);
  }

  /** Forget a host, unless a cluster still places something on it. */
  removeHost(name: string): void {
    const users = this.workspace.listClusters().filter((c) => {
      const yaml = this.workspace.readSpec(c);
      const r = yaml ? parseSpecYaml(yaml, this.imageSet) : null;
      return !!r?.ok && usesHosts(r.spec) && hostsOf(r.spec).includes(name);
    });
    if (users.length) {
      throw new ScaleDeckError('CONFLICT', `Host ${name} is used by ${users.length === 1 ? 'cluster' : 'clusters'} ${users.join(', ')}.`, `Move those services to other hosts (\`scaledeck up\`) or remove the clusters (\`scaledeck down <name>\`) first.`);
    }
    this.hosts().remove(name);
  }

  /** The engine a service of a stored cluster runs on (the local one unless the spec places it). */
  async engineOfService(cluster: string, service: string): Promise<EngineClient> {
    const yaml = this.workspace.readSpec(cluster);
    const r = yaml ? parseSpecYaml(yaml, this.imageSet) : null;
    if (!r?.ok || !usesHosts(r.spec)) return this.engine;
    const m = /^(api|worker)-(\d+)/.exec(service);
    const role = (m ? m[1] : service.startsWith('postgres') ? 'postgres' : service) as 'api' | 'worker' | 'balancer' | 'redis' | 'postgres';
    if (!['api', 'worker', 'balancer', 'redis', 'postgres'].includes(role)) return this.engine;
    const host = hostOf(r.spec, role, m ? Number(m[2]) : undefined);
    return host === LOCAL ? this.engine : this.hosts().engine(host);
  }

  /** Observe a cluster on every engine it uses (only the local one when it uses no hosts). */
  async observeCluster(name: string, spec: ClusterSpec | null, opts: { readBalancerConf?: boolean } = {}): Promise<{ observed: ObservedState; engines: Map<string, EngineClient> }> {
    const hosts = this.clusterHosts(name, spec);
    const engines = hosts.length === 1 ? new Map([[LOCAL, this.engine]]) : await this.enginesFor(hosts);
    return { observed: await observeOn(engines, name, opts), engines };
  }

  /**
   * Images for steps on remote hosts: present there, else copied from the local engine over SSH
   * (no registry needed), else pulled by the host. One error lists every image that is missing.
   */
  private async ensureRemoteImages(plan: Plan, engines: Map<string, EngineClient>): Promise<void> {
    const cluster = plan.cluster;
    const wanted = new Map<string, Set<string>>();
    for (const s of plan.steps) {
      if ((s.kind === 'create' || s.kind === 'recreate') && s.host) {
        if (!wanted.has(s.host)) wanted.set(s.host, new Set());
        wanted.get(s.host)!.add(s.image);
      }
    }
    const missing: string[] = [];
    for (const [host, images] of wanted) {
      const remote = engines.get(host)!;
      for (const image of images) {
        if (await remote.imageExists(image)) continue;
        if (await this.engine.imageExists(image).catch(() => false)) {
          const emit = (bytes: number, totalBytes: number, done: boolean, skipped?: boolean) =>
            this.events.emit({ type: 'image-transfer', cluster, host, image, bytes, totalBytes, done, ...(skipped ? { skipped } : {}) });
          emit(0, 0, false);
          const r = await transferImage(this.engine, remote, image, (p) => emit(p.bytes, p.totalBytes, false));
          emit(r.bytes, r.bytes, true, r.skipped);
          continue;
        }
        try {
          await remote.pull(image);
        } catch (err) {
          missing.push(`  ${image} on ${host}: not there, not on this machine to copy, and pulling failed (${((err as Error).message ?? '').split('\n')[0]})`);
        }
      }
    }
    if (missing.length) {
      throw new ScaleDeckError('IMAGE_MISSING', `Images the cluster needs are missing. Nothing was created.\n${missing.join('\n')}`, 'Build the image on this machine (it is then copied over SSH), or push it to a registry the hosts can pull from.');
    }
  }

  async planFromYaml(yaml: string): Promise<PlanView> {
    const spec = parseOrThrow(yaml, this.imageSet);
    const { observed } = await this.observeCluster(spec.name, spec);
    return toPlanView(planUp(this.desiredFor(spec, observed, this.workspace.peekSecrets(spec.name)), observed));
  }

  async planFor(name: string): Promise<PlanView> {
    const spec = this.storedSpec(name);
    const { observed } = await this.observeCluster(name, spec);
    return toPlanView(planUp(this.desiredFor(spec, observed), observed));
  }

  /** Compute the plan for a spec without changing anything (`up --dry-run`). */
  async dryRun(yaml: string): Promise<{ plan: Plan; text: string }> {
    const spec = parseOrThrow(yaml, this.imageSet);
    await this.engine.version();
    const { observed } = await this.observeCluster(spec.name, spec);
    // A dry run writes nothing: it reads existing secrets, or uses placeholders for a new cluster.
    const plan = planUp(this.desiredFor(spec, observed, this.workspace.peekSecrets(spec.name)), observed);
    return { plan, text: formatPlan(plan) };
  }

  async createFromPreset(args: { preset: string; name: string; port?: number }): Promise<StartedOperation> {
    const preset = (() => {
      try {
        return findPreset(requireString(args?.preset, 'preset'));
      } catch (err) {
        throw new ScaleDeckError('BAD_REQUEST', (err as Error).message);
      }
    })();
    const input = preset.spec(requireString(args?.name, 'name'));
    if (args.port !== undefined) input.balancer = { ...input.balancer, port: args.port };
    const yaml = `# Created from the "${preset.id}" preset.\n${specToYaml(validateOrThrow(input))}`;
    return this.apply(yaml);
  }

  /** `up`: validate, check everything that can be checked, store the spec, then converge. */
  async apply(yaml: string, kind: OperationKind = 'up'): Promise<StartedOperation> {
    const spec = parseOrThrow(yaml, this.imageSet);
    if (this.upgrades.active(spec.name)) {
      throw new ScaleDeckError('CONFLICT', `Cluster "${spec.name}" has a blue-green upgrade waiting to be finalized.`, `Run \`scaledeck finalize ${spec.name}\` or \`scaledeck rollback ${spec.name}\` first.`);
    }
    return this.withCluster(spec.name, kind, async () => {
      await this.engine.version();
      const { observed, engines } = await this.observeCluster(spec.name, spec);
      const desired = this.desiredFor(spec, observed);
      const plan = planUp(desired, observed);
      await checkImages(this.engine, { ...plan, steps: plan.steps.filter((s) => !s.host) });
      await this.ensureRemoteImages(plan, engines);
      if (plan.steps.some((s) => (s.kind === 'create' || s.kind === 'recreate') && s.service === 'balancer')) {
        const lbHost = hostOf(spec, 'balancer');
        if (lbHost === LOCAL) await checkPort(this.engine, spec, observed);
        else await checkRemotePort(engines.get(lbHost)!, lbHost, spec, observed);
      }
      this.workspace.writeSpec(spec.name, yaml.endsWith('\n') ? yaml : `${yaml}\n`);
      return { plan, desired, engines };
    });
  }

  async scale(name: string, replicas: unknown): Promise<StartedOperation> {
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > 64) {
      throw new ScaleDeckError('BAD_REQUEST', `api/replicas: must be between 1 and 64 (got ${JSON.stringify(replicas)})`);
    }
    const yaml = this.workspace.readSpec(name);
    if (yaml === null) this.storedSpec(name); // throws NOT_FOUND with the hint
    const doc = parseDocument(yaml!);
    doc.setIn(['api', 'replicas'], replicas);
    return this.apply(doc.toString(), 'scale');
  }

  /**
   * Remove a cluster from every host it uses. A host that cannot be reached stops it, naming the
   * host; with `force`, such hosts are skipped (their containers stay there, listed in the
   * operation's result) and the cluster is removed from the others and forgotten.
   */
  async down(name: string, opts: { keepData: boolean; force?: boolean }): Promise<StartedOperation> {
    return this.withCluster(name, 'down', async () => {
      await this.engine.version();
      let found: Awaited<ReturnType<ScaleDeck['observeCluster']>>;
      const skipped: string[] = [];
      if (opts.force) {
        const engines = new Map<string, EngineClient>();
        for (const h of this.clusterHosts(name, null)) {
          try {
            engines.set(h, h === LOCAL ? this.engine : await this.hosts().engine(h));
          } catch (err) {
            skipped.push(`${h}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        found = { observed: await observeOn(engines, name, { readBalancerConf: false }), engines };
      } else {
        try {
          found = await this.observeCluster(name, null, { readBalancerConf: false });
        } catch (err) {
          if (err instanceof ScaleDeckError && err.code === 'HOST_UNREACHABLE') {
            throw new ScaleDeckError(err.code, err.message, `Bring the host back and run down again, or \`scaledeck down ${name} --force\` to remove it from the hosts that answer and forget it (what runs on the lost host stays there).`);
          }
          throw err;
        }
      }
      const { observed, engines } = found;
      const known = this.workspace.readSpec(name) !== null;
      if (!known && observed.containers.length === 0 && !observed.network && observed.volumes.length === 0 && skipped.length === 0) {
        throw new ScaleDeckError('NOT_FOUND', `No cluster named "${name}": nothing in the workspace and nothing on the engine carries its label.`, 'List clusters with `scaledeck status`.');
      }
      return {
        plan: planDown(observed, opts),
        desired: null,
        engines,
        result: skipped.length ? { skippedHosts: skipped.join('; '), note: 'containers on the skipped hosts were left there' } : undefined,
        after: () => {
          void this.metrics.stop(name);
          if (!opts.keepData) this.workspace.remove(name);
          else this.upgrades.clearActive(name);
        },
      };
    });
  }

  exportFiles(args: { name: string } | { yaml: string }) {
    const spec = args && 'yaml' in args ? parseOrThrow(args.yaml, this.imageSet) : this.storedSpec(requireName((args as { name: string })?.name));
    if (!usesHosts(spec)) return generateExport(spec);
    try {
      return generateExport(spec, this.hostAddresses());
    } catch (err) {
      throw new ScaleDeckError('BAD_REQUEST', `Export of "${spec.name}": ${(err as Error).message}.`);
    }
  }

  /**
   * Run an operation on one cluster: prepare (validation, preflight; errors are thrown to the caller
   * before anything changes), then execute the plan in the background with progress events.
   */
  private async withCluster(
    cluster: string,
    kind: OperationKind,
    prepare: () => Promise<{ plan: Plan; desired: DesiredState | null; after?: () => void; engines?: Map<string, EngineClient>; result?: OperationView['result'] }>,
  ): Promise<StartedOperation> {
    return this.runOperation(cluster, kind, async () => {
      const prepared = await prepare();
      return {
        planText: formatPlan(prepared.plan),
        steps: prepared.plan.steps.map((s) => ({ id: s.id, label: stepLabel(s) })),
        cancellable: true,
        run: async (update, signal) => {
          const engines = prepared.engines;
          await executePlan(this.engine, prepared.plan, prepared.desired, {
            onStep: update,
            signal,
            engineFor: engines ? (h) => engines.get(h) ?? this.engine : undefined,
          });
          prepared.after?.();
          return prepared.result;
        },
      };
    });
  }

  /**
   * Run an operation on one cluster: prepare (validation, preflight; errors are thrown to the
   * caller before anything changes), then run its steps in the background, publishing progress.
   * Plans (`up`, `scale`, `down`) and upgrades both go through here.
   */
  async runOperation(
    cluster: string,
    kind: OperationKind,
    prepare: () => Promise<{
      planText: string;
      steps: { id: string; label: string }[];
      /** Whether `run` honours its signal (plans do); operations.cancel refuses the others. */
      cancellable?: boolean;
      /** `signal` is aborted by operations.cancel. */
      run: (update: (p: StepProgress) => void, signal: AbortSignal) => Promise<void | OperationView['result']>;
    }>,
  ): Promise<StartedOperation> {
    const inProcess = this.busy.get(cluster);
    if (inProcess) {
      throw new ScaleDeckError('BUSY', `Cluster "${cluster}" is busy with operation ${inProcess}.`, 'Wait for it to finish; its progress is on the cluster page.');
    }
    const release = this.workspace.lock(cluster, kind);
    const id = randomUUID().slice(0, 8);
    this.busy.set(cluster, id);
    let prepared: Awaited<ReturnType<typeof prepare>>;
    try {
      prepared = await prepare();
    } catch (err) {
      this.busy.delete(cluster);
      release();
      // Preflight failed before anything was created: leave no trace of a cluster that never existed.
      if (!this.workspace.hasSpec(cluster)) this.workspace.remove(cluster);
      throw err;
    }
    const op: OperationView = {
      id,
      kind,
      cluster,
      state: 'running',
      startedAt: Date.now(),
      planText: prepared.planText,
      steps: prepared.steps.map((s): StepProgress => ({ id: s.id, label: s.label, state: 'pending' })),
    };
    this.operations.set(id, op);
    this.trimOperations();
    const publish = () => this.events.emit({ type: 'operation', operation: structuredClone(op) });
    const abort = new AbortController();
    if (prepared.cancellable || kind === 'upgrade') op.cancellable = true;
    if (prepared.cancellable) {
      this.cancels.set(id, () => {
        op.cancelRequested = true;
        abort.abort();
        publish();
      });
    }
    publish();
    const done = (async () => {
      try {
        const result = await prepared.run((p) => {
          const i = op.steps.findIndex((s) => s.id === p.id);
          if (i >= 0) op.steps[i] = { ...op.steps[i]!, ...p };
          publish();
        }, abort.signal);
        if (result) op.result = result;
        op.state = 'succeeded';
      } catch (err) {
        op.error = toErrorBody(err);
        op.state = op.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
      } finally {
        op.finishedAt = Date.now();
        this.cancels.delete(id);
        this.busy.delete(cluster);
        release();
        publish();
        this.events.emit({ type: 'cluster-changed', cluster });
      }
      if (op.state !== 'succeeded') throw ScaleDeckError.fromBody(op.error!);
      return structuredClone(op);
    })();
    done.catch(() => {}); // callers that only want the id must not see an unhandled rejection
    return { operationId: id, done };
  }

  /**
   * Cancel a running operation. Plans stop starting new steps and let running ones finish, so
   * nothing is left half-made and a later `up` continues. A rolling upgrade is aborted between
   * batches, which rolls it back (upgrades.control).
   */
  async cancelOperation(id: string): Promise<OperationView> {
    const op = this.operations.get(id);
    if (!op) throw new ScaleDeckError('NOT_FOUND', `No operation ${id}.`);
    if (op.state !== 'running') throw new ScaleDeckError('CONFLICT', `Operation ${id} has already ${op.state}.`);
    if (op.kind === 'upgrade') {
      await this.upgrades.control(op.cluster, 'abort');
      op.cancelRequested = true;
    } else {
      const cancel = this.cancels.get(id);
      if (!cancel) throw new ScaleDeckError('CONFLICT', `A ${op.kind} cannot be cancelled once started.`, 'Wait for it to finish; its record shows what it did.');
      cancel();
    }
    return structuredClone(op);
  }

  private trimOperations(): void {
    const max = 50;
    if (this.operations.size <= max) return;
    const oldest = [...this.operations.values()].filter((o) => o.state !== 'running').sort((a, b) => a.startedAt - b.startedAt);
    for (const o of oldest.slice(0, this.operations.size - max)) this.operations.delete(o.id);
  }

  async listClusters(): Promise<ClusterSummary[]> {
    const containers = await this.engine.listContainers();
    const names = new Set<string>(this.workspace.listClusters());
    for (const c of containers) {
      const n = c.labels[LABEL.cluster];
      if (n) names.add(n);
    }
    // Multi-host clusters: their containers on every host (a host that cannot be reached counts none).
    const remoteViews = new Map<string, Parameters<ScaleDeck['summarize']>[1]>();
    for (const name of names) {
      if (this.clusterHosts(name, null).length === 1) continue;
      const { observed } = await this.observeCluster(name, null, { readBalancerConf: false }).catch(() => ({ observed: null }));
      const fenced = this.workspace.dbTopology(name).fenced;
      remoteViews.set(name, (observed?.containers ?? []).filter((c) => !fenced.includes(c.service)).map((c) => ({ role: c.role, state: c.state, health: c.health, hostPorts: c.hostPorts, host: c.host })));
    }
    return [...names].sort().map((name) => {
      // A fenced old primary (stopped after a failover, kept for inspection) is not part of the cluster's health.
      const fenced = this.workspace.dbTopology(name).fenced;
      const rv = remoteViews.get(name);
      if (rv) return this.summarize(name, rv);
      const mine = containers.filter((c) => c.labels[LABEL.cluster] === name && !fenced.includes(c.labels[LABEL.service] ?? ''));
      const views = mine.map((c) => ({
        role: c.labels[LABEL.role] ?? 'unknown',
        state: c.state,
        health: c.state === 'running' ? healthFromStatus(c.status) : ('none' as const),
        hostPorts: c.ports.map((p) => p.hostPort).filter((p): p is number => !!p),
        hostIps: c.ports.map((p) => p.hostIp),
      }));
      return this.summarize(name, views);
    });
  }

  private summarize(
    name: string,
    views: { role: string; state: string; health: string; hostPorts: number[]; hostIps?: (string | undefined)[]; host?: string }[],
  ): ClusterSummary {
    let expected: number | null = null;
    let apiReplicas: number | null = null;
    let bind = '127.0.0.1';
    const yaml = this.workspace.readSpec(name);
    if (yaml) {
      const r = parseSpecYaml(yaml, this.imageSet);
      if (r.ok) {
        apiReplicas = r.spec.api.replicas;
        // A fenced old primary is still there (stopped) and counts against nothing.
        expected = r.spec.api.replicas + r.spec.worker.replicas + 3 + r.spec.postgres.replicas - this.workspace.dbTopology(name).fenced.length;
        bind = r.spec.balancer.bind === '0.0.0.0' ? '127.0.0.1' : r.spec.balancer.bind;
      }
    }
    const running = views.filter((v) => v.state === 'running').length;
    const healthy = views.filter((v) => v.state === 'running' && (v.health === 'healthy' || v.health === 'none')).length;
    const starting = views.some((v) => v.health === 'starting');
    let state: ClusterState;
    if (views.length === 0) state = 'empty';
    else if (running === 0) state = 'stopped';
    else if (expected !== null && views.length < expected) state = 'partial';
    else if (healthy === views.length) state = 'running';
    else state = starting ? 'starting' : 'degraded';
    const lb = views.find((v) => v.role === 'balancer');
    let lbPort = lb?.hostPorts[0];
    let scheme = 'http';
    if (yaml && lb) {
      const r = parseSpecYaml(yaml, this.imageSet);
      if (r.ok && r.spec.balancer.tls && lb.hostPorts.includes(r.spec.balancer.tls.port)) {
        scheme = 'https';
        lbPort = r.spec.balancer.tls.port;
      } else if (r.ok && lb.hostPorts.includes(r.spec.balancer.port)) lbPort = r.spec.balancer.port;
    }
    // A balancer on a remote host is reached at that host's advertise address.
    if (lb?.host) bind = this.hosts().list().find((h) => h.name === lb.host)?.advertise ?? lb.host;
    return {
      name,
      managed: yaml !== null,
      state,
      counts: { total: views.length, running, healthy },
      apiReplicas,
      url: lbPort ? `${scheme}://${bind}:${lbPort}/` : null,
      activeOperation: this.busy.get(name) ?? null,
    };
  }

  async getCluster(name: string): Promise<ClusterDetail> {
    const { observed } = await this.observeCluster(name, null, { readBalancerConf: false });
    const yaml = this.workspace.readSpec(name);
    let desired: DesiredState | null = null;
    let spec: ClusterSpec | null = null;
    if (yaml) {
      const r = parseSpecYaml(yaml, this.imageSet);
      if (r.ok) {
        spec = r.spec;
        desired = this.desiredFor(r.spec, observed);
      }
    }
    if (!yaml && observed.containers.length === 0 && !observed.network) {
      throw new ScaleDeckError('NOT_FOUND', `No cluster named "${name}".`, 'List clusters with `scaledeck status`.');
    }
    const containers: ContainerView[] = observed.containers.map((c) => {
      const d = desired?.containers.find((x) => x.service === c.service);
      return {
        id: c.id.slice(0, 12),
        name: c.name,
        service: c.service,
        role: c.role,
        slot: c.slot,
        image: c.image,
        state: c.state,
        health: c.health,
        status: c.status,
        // A fenced old primary is outside the desired state on purpose: neither up to date nor outdated.
        upToDate: desired && !desired.fenced.includes(c.service) ? (d ? d.configHash === c.configHash : false) : null,
        ...(c.host ? { host: c.host } : {}),
      };
    });
    containers.sort((a, b) => serviceOrder(a.service) - serviceOrder(b.service));
    const fenced = this.workspace.dbTopology(name).fenced;
    const summary = this.summarize(
      name,
      observed.containers.filter((c) => !fenced.includes(c.service)).map((c) => ({ role: c.role, state: c.state, health: c.health, hostPorts: c.hostPorts, host: c.host })),
    );
    return { ...summary, spec, specYaml: yaml, containers, network: observed.network?.name ?? null, volumes: observed.volumes, db: this.workspace.dbTopology(name) };
  }
}

async function checkRemotePort(engine: EngineClient, host: string, spec: ClusterSpec, observed: ObservedState): Promise<void> {
  const { port } = spec.balancer;
  const own = observed.containers.find((c) => c.role === 'balancer');
  if (own?.host === host && own.hostPorts.includes(port)) return;
  const published = (await engine.publishedPorts()).find((p) => p.hostPort === port);
  if (published) {
    throw new ScaleDeckError('PORT_IN_USE', `balancer/port: ${port} on host ${host} is already published by container ${published.container}. Nothing was created.`, `Choose another port, or stop ${published.container} on ${host}.`);
  }
}

function parseOrThrow(yaml: string, imageSet: ImageSet): ClusterSpec {
  const r = parseSpecYaml(yaml, imageSet);
  if (!r.ok) throw new SpecValidationError(r.errors);
  return r.spec;
}

function validateOrThrow(input: unknown) {
  const r = validateSpec(input);
  if (!r.ok) throw new SpecValidationError(r.errors);
  const { api, balancer, worker, redis, postgres, name } = r.spec;
  // Leave images unset so the stored spec follows the image set in use.
  return { name, api: { ...api, image: undefined }, balancer: { ...balancer, image: undefined }, worker, redis: { ...redis, image: undefined }, postgres: { ...postgres, image: undefined } };
}

/** A preset as the spec editor starts from: only what differs from the defaults, plus the name. */
function presetYaml(input: ReturnType<(typeof PRESETS)[number]['spec']>): string {
  validateOrThrow(input);
  return specToYaml(input as never);
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new ScaleDeckError('BAD_REQUEST', `${what}: required (a non-empty string)`);
  return v;
}

function requireName(v: unknown): string {
  const name = requireString(v, 'name');
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
    throw new ScaleDeckError('BAD_REQUEST', `name: "${name}" is not a cluster name (lowercase letters, digits and dashes, starting with a letter).`);
  }
  return name;
}

/** Observe a cluster on the given engines: the local one alone as always, several merged per host. */
function observeOn(engines: Map<string, EngineClient>, name: string, opts: { readBalancerConf?: boolean }): Promise<ObservedState> {
  const only = engines.size === 1 ? engines.get(LOCAL) : undefined;
  return only ? observe(only, name, opts) : observeAll(engines, name, opts);
}
