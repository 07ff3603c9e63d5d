import type { ParsedSpec, SpecError } from '../spec/index.ts';
import type { ExportBundle } from '../generate/index.ts';

export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerView {
  id: string;
  name: string;
  /** Service key inside the cluster: api-1, balancer, redis, postgres. */
  service: string;
  role: string;
  slot?: number;
  image: string;
  /** Docker state: created, running, exited, restarting, paused, dead. */
  state: string;
  health: Health;
  /** Docker's status text, e.g. "Up 2 minutes (healthy)". */
  status: string;
  /** False when the container's config hash differs from what the spec asks for. */
  upToDate: boolean | null;
  /** The remote host it runs on (absent: the local engine). */
  host?: string;
}

export type ClusterState = 'running' | 'degraded' | 'starting' | 'stopped' | 'partial' | 'empty';

export interface ClusterSummary {
  name: string;
  /** True when a spec for this cluster is stored in the workspace. */
  managed: boolean;
  state: ClusterState;
  counts: { total: number; running: number; healthy: number };
  apiReplicas: number | null;
  /** http://127.0.0.1:8080/ when the balancer publishes a port. */
  url: string | null;
  /** An operation on this cluster that is still running. */
  activeOperation: string | null;
}

export interface ClusterDetail extends ClusterSummary {
  spec: ParsedSpec | null;
  specYaml: string | null;
  containers: ContainerView[];
  network: string | null;
  volumes: string[];
  /** Which Postgres service is the primary, and old primaries fenced by a failover. */
  db?: { primary: string; fenced: string[] };
}

export interface PlanStepView {
  id: string;
  action: string;
  target: string;
  detail: string;
  dependsOn: string[];
}

export interface PlanView {
  cluster: string;
  empty: boolean;
  summary: { create: number; recreate: number; start: number; remove: number; reload: number };
  steps: PlanStepView[];
  /** The plan as `scaledeck up --dry-run` prints it. */
  text: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepProgress {
  id: string;
  label: string;
  state: StepState;
  message?: string;
  ms?: number;
}

export type OperationKind = 'up' | 'scale' | 'down' | 'upgrade' | 'rollback' | 'finalize' | 'promote';

export interface OperationView {
  id: string;
  kind: OperationKind;
  cluster: string;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** Whether operations.cancel can stop it (plans, and rolling upgrades between batches). */
  cancellable?: boolean;
  /** Set when a cancel was asked for: running steps finish, the rest are skipped. */
  cancelRequested?: boolean;
  startedAt: number;
  finishedAt?: number;
  planText: string;
  steps: StepProgress[];
  error?: ApiErrorBody;
  /** Figures an operation reports when it ends (a promotion's write downtime). */
  result?: Record<string, string | number | boolean | null>;
}

/** One Postgres replica, as the primary sees it (pg_stat_replication) and as it sees itself. */
export interface DbReplicaStatus {
  service: string;
  slot: string;
  /** Docker state of its container, null when there is none. */
  containerState: string | null;
  health: Health;
  /** pg_stat_replication.state on the primary (streaming, catchup…); null when not connected. */
  state: string | null;
  clientAddr: string | null;
  /** WAL the primary has written that the replica has not replayed (never negative). */
  lagBytes: number | null;
  /** pg_stat_replication.replay_lag in seconds (never negative). */
  replayLagS: number | null;
  /** The replica's own view: pg_is_in_recovery(). */
  inRecovery: boolean | null;
  /** pg_last_xact_replay_timestamp() as ISO text. */
  lastReplayAt: string | null;
  /** now() − last replay time, 0 when nothing is waiting to be replayed (never negative). */
  replayDelayS: number | null;
  error?: string;
}

export interface DbSlotStatus {
  name: string;
  active: boolean;
  /** WAL the slot holds back on the primary. */
  retainedBytes: number | null;
  walStatus: string | null;
}

export interface DbStatus {
  cluster: string;
  primary: { service: string; containerState: string | null; health: Health; inRecovery: boolean | null; error?: string };
  replicas: DbReplicaStatus[];
  slots: DbSlotStatus[];
  /** Old primaries fenced by a promotion: stopped, kept for inspection. */
  fenced: string[];
  checkedAt: number;
}

export interface EngineInfo {
  reachable: boolean;
  version?: string;
  apiVersion?: string;
  host: string;
  imageSet: 'official' | 'test';
  error?: ApiErrorBody;
}

/** How this process keeps secret files (see electron/workspace/secret-store.ts). */
export interface SecretStorageInfo {
  /** keyring: sealed with Electron's safeStorage on a real keyring; file: 0600 JSON files. */
  mode: 'keyring' | 'file';
  backend: string | null;
  /** A sentence for the user: where secrets are and what that means. */
  note: string;
  /** Whether this process could seal (the desktop app on a real keyring). */
  keyringAvailable?: boolean;
}

export interface PresetInfo {
  id: string;
  title: string;
  description: string;
  yaml: string;
}

export type { SpecError };

export type ValidateResult = { ok: true; spec: ParsedSpec } | { ok: false; errors: SpecError[] };

export interface UpgradeProbeFigures {
  rate: number;
  phases: Record<'before' | 'during' | 'after', { sent: number; ok: number; failed: number; p99_ms: number | null; errors: string[] }>;
}

export interface UpgradeRecord {
  id: string;
  cluster: string;
  strategy: 'rolling' | 'blue-green';
  state: 'running' | 'succeeded' | 'rolled-back' | 'failed' | 'awaiting-finalize' | 'finalized';
  from: { image: string; env: Record<string, string> };
  to: { image: string; env: Record<string, string> };
  fromColor: 'blue' | 'green';
  toColor: 'blue' | 'green';
  startedAt: number;
  finishedAt?: number;
  /** Why it was rolled back or failed. */
  reason?: string;
  steps: StepProgress[];
  probe?: UpgradeProbeFigures;
  /** Blue-green: from the switch command to the last answer from an old node, ms. */
  switchMs?: number;
  planText: string;
}

export interface UpgradeRequest {
  cluster: string;
  image?: string;
  env?: Record<string, string>;
  strategy: 'rolling' | 'blue-green';
  batch?: number | string;
  /** Requests/s of the traffic probe through the balancer during the upgrade (0: none). */
  probeRate?: number;
  canaryPercent?: number;
  gateTimeoutMs?: number;
  /** Blue-green: finalize by itself after this long (in the app or web mode process). */
  finalizeAfterMs?: number;
}

export interface LogLine {
  /** RFC 3339 timestamp from the engine ('' when unknown). */
  ts: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export type ErrorCode =
  | 'SPEC_INVALID'
  | 'ENGINE_UNREACHABLE'
  | 'IMAGE_MISSING'
  | 'PORT_IN_USE'
  | 'NOT_FOUND'
  | 'BUSY'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'BAD_REQUEST'
  | 'STEP_FAILED'
  | 'HOST_KEY_UNTRUSTED'
  | 'HOST_KEY_CHANGED'
  | 'HOST_AUTH_FAILED'
  | 'HOST_UNREACHABLE'
  | 'SECRETS_SEALED'
  | 'CANCELLED'
  | 'INTERNAL';

export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  /** What the user can do about it. */
  hint?: string;
  details?: unknown;
}

export type { ExportBundle };

/** A remote host kept in the workspace (hosts.json). Passwords are never part of it. */
export interface HostView {
  name: string;
  address: string;
  port: number;
  user: string;
  auth: 'key' | 'agent' | 'password';
  /** Private key file, for auth "key". */
  keyPath?: string;
  /** Trusted host key, "SHA256:<base64>" like OpenSSH; absent until trusted. */
  fingerprint?: string;
  /** Address other hosts and the balancer use to reach ports published on this host. */
  advertise: string;
}

export interface HostAddInput {
  name: string;
  /** user@address[:port] */
  target: string;
  keyPath?: string;
  agent?: boolean;
  password?: string;
  advertise?: string;
  /** The fingerprint the user checked and trusts (from a first attempt's error, or ssh-keyscan). */
  trust?: string;
}

export interface HostCheck {
  name: string;
  fingerprint: string;
  engineVersion: string;
  apiVersion: string;
  os: string;
  cpus: number;
  memoryBytes: number;
  /** Free bytes on the engine's data root; null when it could not be read. */
  diskFreeBytes: number | null;
  /** Ports asked about that something already listens on. */
  portsInUse: number[];
  /** How the engine is reached: the forwarded socket or `docker system dial-stdio`. */
  transport: 'forward' | 'dial-stdio';
}
