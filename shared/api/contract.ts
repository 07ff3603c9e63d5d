import type {
  ClusterDetail,
  ClusterSummary,
  EngineInfo,
  ExportBundle,
  OperationView,
  PlanView,
  PresetInfo,
  ValidateResult,
  ApiErrorBody,
  LogLine,
  UpgradeRecord,
  UpgradeRequest,
  HostAddInput,
  HostCheck,
  HostView,
  SecretStorageInfo,
  DbStatus,
} from './types.ts';
import type { AlertRule, MetricsBatch, MetricsSnapshot } from '../metrics/types.ts';
import type { LiveRun, LiveStatus, LoadTestInput, LoadTestReport, ReportComparison, ReportSummary, RunState, SecondSnapshot } from '../loadtest/types.ts';

/**
 * The one API contract. Electron IPC, web mode (HTTP + SSE) and the renderer client are all
 * derived from METHODS and ApiMethods; no channel or route name is written anywhere else.
 */
export interface ApiMethods {
  'engine.info': { args: void; result: EngineInfo };
  'presets.list': { args: void; result: PresetInfo[] };
  'clusters.list': { args: void; result: ClusterSummary[] };
  'clusters.get': { args: { name: string }; result: ClusterDetail };
  'clusters.validate': { args: { yaml: string }; result: ValidateResult };
  /** The plan `apply` would run: from YAML (a new or changed spec) or for a stored cluster. */
  'clusters.plan': { args: { yaml: string } | { name: string }; result: PlanView };
  'clusters.createFromPreset': { args: { preset: string; name: string; port?: number }; result: { operationId: string } };
  'clusters.apply': { args: { yaml: string }; result: { operationId: string } };
  'clusters.scale': { args: { name: string; replicas: number }; result: { operationId: string } };
  /** `force`: skip hosts that cannot be reached (their containers stay there) and forget the cluster. */
  'clusters.down': { args: { name: string; keepData?: boolean; force?: boolean }; result: { operationId: string } };
  'clusters.export': { args: { name: string } | { yaml: string }; result: ExportBundle };
  'operations.list': { args: void; result: OperationView[] };
  'operations.get': { args: { id: string }; result: OperationView };
  /** Stop a running operation: steps not started are skipped, running ones finish; `up` continues later. */
  'operations.cancel': { args: { id: string }; result: OperationView };
  /** How secrets are kept in this process (sealed with the keyring, or 0600 files). */
  'settings.secretStorage': { args: void; result: SecretStorageInfo };
  /** Desktop app only: seal secrets with the keyring, or keep 0600 files the CLI can read. Converts existing files. */
  'settings.setSecretStorage': { args: { mode: 'keyring' | 'file' }; result: SecretStorageInfo & { converted: number } };
  /**
   * Follow a container's logs; lines arrive as `logs` events. Call again with the streamId to
   * renew the lease (streams not renewed for 30 s are closed).
   */
  'logs.follow': { args: { cluster: string; service: string; tail?: number; streamId?: string }; result: { streamId: string } };
  'logs.stop': { args: { streamId: string }; result: null };
  'upgrades.start': { args: UpgradeRequest; result: { operationId: string; upgradeId: string } };
  /** Blue-green awaiting finalize: switch back. Otherwise: roll back the last upgrade (rolling). */
  'upgrades.rollback': { args: { cluster: string }; result: { operationId: string } };
  'upgrades.finalize': { args: { cluster: string }; result: { operationId: string } };
  'upgrades.list': { args: { cluster: string }; result: UpgradeRecord[] };
  /** Pause, resume or abort a running rolling upgrade (between batches; abort rolls back). */
  'upgrades.control': { args: { cluster: string; action: 'pause' | 'resume' | 'abort' }; result: { state: string } };
  /** Live metrics: a snapshot of the last window; new points then arrive as `metrics` events. */
  'metrics.snapshot': { args: { cluster: string; windowMs?: number }; result: MetricsSnapshot };
  'metrics.rules': { args: { cluster: string }; result: AlertRule[] };
  'metrics.setRules': { args: { cluster: string; rules: AlertRule[] }; result: AlertRule[] };
  /** A Prometheus scrape config for the cluster's API nodes (for the export page). */
  'metrics.scrapeConfig': { args: { cluster: string }; result: string };
  /** Start a load test through the cluster's balancer; progress arrives as loadtest-* events. */
  'loadtests.start': { args: { cluster: string; definition: LoadTestInput }; result: { runId: string; model: 'open' | 'closed' } };
  'loadtests.stop': { args: { runId: string }; result: null };
  'loadtests.get': { args: { runId: string }; result: { live: LiveRun | null; report: LoadTestReport | null } };
  'loadtests.list': { args: void; result: { running: LiveStatus[]; reports: ReportSummary[] } };
  'loadtests.compare': { args: { a: string; b: string }; result: ReportComparison };
  /** The self-contained HTML report of a finished run. */
  'loadtests.html': { args: { runId: string }; result: string };
  /** Remote hosts (SSH). Passwords are stored 0600 and never returned. */
  'hosts.list': { args: void; result: HostView[] };
  /**
   * Add or replace a host after connecting to it once. Without `trust` an unknown key fails with
   * code HOST_KEY_UNTRUSTED and details.fingerprint: show it, and call again with `trust` set.
   */
  'hosts.add': { args: HostAddInput; result: HostView };
  'hosts.test': { args: { name: string; ports?: number[] }; result: HostCheck };
  'hosts.remove': { args: { name: string }; result: null };
  /** Install Docker on a host; runs only with confirm: true (else lists the commands). */
  'hosts.bootstrap': { args: { name: string; confirm?: boolean }; result: { name: string; alreadyInstalled: boolean; commands: string[]; ran: boolean; output?: string } };
  /** Copy a local image to a host over SSH (no registry); skipped when it already has that id. */
  'hosts.pushImage': { args: { name: string; image: string }; result: { image: string; id: string; skipped: boolean; bytes: number; ms: number } };
  /** Postgres replication: the primary, each replica's state and lag, the slots. */
  'db.status': { args: { cluster: string }; result: DbStatus };
  /** Failover: fence the primary, promote a replica, repoint the rest; write downtime in the result. */
  'db.promote': { args: { cluster: string; replica: string }; result: { operationId: string } };
}

export type MethodName = keyof ApiMethods;
export type ArgsOf<M extends MethodName> = ApiMethods[M]['args'];
export type ResultOf<M extends MethodName> = ApiMethods[M]['result'];

/** Runtime list of methods; `satisfies` makes the compiler check it matches ApiMethods exactly. */
export const METHODS = [
  'engine.info',
  'presets.list',
  'clusters.list',
  'clusters.get',
  'clusters.validate',
  'clusters.plan',
  'clusters.createFromPreset',
  'clusters.apply',
  'clusters.scale',
  'clusters.down',
  'clusters.export',
  'operations.list',
  'operations.get',
  'operations.cancel',
  'settings.secretStorage',
  'settings.setSecretStorage',
  'logs.follow',
  'logs.stop',
  'upgrades.start',
  'upgrades.rollback',
  'upgrades.finalize',
  'upgrades.list',
  'upgrades.control',
  'metrics.snapshot',
  'metrics.rules',
  'metrics.setRules',
  'metrics.scrapeConfig',
  'loadtests.start',
  'loadtests.stop',
  'loadtests.get',
  'loadtests.list',
  'loadtests.compare',
  'loadtests.html',
  'hosts.list',
  'hosts.add',
  'hosts.test',
  'hosts.remove',
  'hosts.bootstrap',
  'hosts.pushImage',
  'db.status',
  'db.promote',
] as const satisfies readonly MethodName[];

type Missing = Exclude<MethodName, (typeof METHODS)[number]>;
// Compile-time check: fails if a method is in ApiMethods but not in METHODS.
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

export function isMethod(name: unknown): name is MethodName {
  return typeof name === 'string' && (METHODS as readonly string[]).includes(name);
}

/** Events pushed from the Node side to every client. */
export type ApiEvent =
  | { type: 'operation'; operation: OperationView }
  | { type: 'cluster-changed'; cluster: string }
  | { type: 'logs'; streamId: string; lines: LogLine[]; ended: boolean }
  | { type: 'metrics'; batch: MetricsBatch }
  | { type: 'loadtest-progress'; runId: string; snapshot: SecondSnapshot }
  | { type: 'loadtest-state'; runId: string; state: RunState }
  | { type: 'loadtest-done'; runId: string; summary: ReportSummary | null; error: string | null }
  /** `up` copying an image a host lacks from this machine over SSH (before its steps start). */
  | { type: 'image-transfer'; cluster: string; host: string; image: string; bytes: number; totalBytes: number; done: boolean; skipped?: boolean };

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ApiErrorBody };

/** Transport names, derived from the contract. */
export const IPC = {
  channel: (m: MethodName) => `scaledeck:${m}`,
  events: 'scaledeck:event',
} as const;

export const HTTP = {
  route: (m: MethodName) => `/api/${m}`,
  events: '/api/events',
  tokenHeader: 'authorization',
} as const;

/** What a transport must provide; the typed client is built on it. */
export interface Transport {
  invoke(method: MethodName, args: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

export type ApiClient = {
  [M in MethodName]: ArgsOf<M> extends void ? () => Promise<ResultOf<M>> : (args: ArgsOf<M>) => Promise<ResultOf<M>>;
} & { subscribe(listener: (event: ApiEvent) => void): () => void };
