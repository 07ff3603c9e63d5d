import { createHash } from 'node:crypto';
import { LABEL, names } from '../../shared/labels.ts';
import {
  buildServiceModel,
  defaultUpstream,
  generateNginxConf,
  type Color,
  DEFAULT_TOPOLOGY,
  toCreateOptions,
  type CreateOptions,
  type Secrets,
  type ServiceModel,
  type ModelOptions,
  NGINX_CONF_PATH,
} from '../../shared/generate/index.ts';
import type { ClusterSpec } from '../../shared/spec/index.ts';
import { hostsOf, usesHosts } from '../../shared/generate/placement.ts';

export interface DesiredContainer {
  /** The host whose engine runs it; undefined = the local engine. */
  host?: string;
  service: string;
  role: ServiceModel['role'];
  slot?: number;
  model: ServiceModel;
  options: CreateOptions;
  configHash: string;
}

export interface DesiredState {
  cluster: string;
  color: Color;
  network: string;
  volumes: string[];
  containers: DesiredContainer[];
  nginxConf: string;
  /** nginx.conf with one API node marked down: a rolling recreate drains with it (made on demand). */
  nginxDrainConf: (service: string) => string;
  nginxConfHash: string;
  /** Multi-host only: every host used (local included when used) and the volumes on each. */
  hosts?: string[];
  hostVolumes?: Record<string, string[]>;
  /** Fenced old Postgres primaries: left alone by `up` (stopped, kept for inspection). */
  fenced: string[];
  /** Service key of the Postgres primary. */
  primary: string;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Stable JSON: keys sorted, so the hash does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What the spec asks for, with a config hash per container. The balancer's hash leaves out its
 * nginx.conf: a changed upstream list is applied by a checked reload, not by recreating NGINX.
 */
/** What else shapes the desired state: a failover's topology, multi-host addresses, the balancer's TLS material. */
export type DesiredOptions = ModelOptions;

export function buildDesired(spec: ClusterSpec, secrets: Secrets, color: Color = 'blue', opts: DesiredOptions = {}): DesiredState {
  const db = opts.db ?? DEFAULT_TOPOLOGY;
  const upstream = defaultUpstream(spec, color, opts.addrs);
  const nginxConf = generateNginxConf(spec, upstream);
  const nginxDrainConf = (service: string) => generateNginxConf(spec, upstream.map((x) => (x.key === service ? { ...x, down: true } : x)));
  const model = buildServiceModel(spec, nginxConf, color, opts);
  const containers = model.map((m): DesiredContainer => {
    const options = toCreateOptions(spec.name, m, secrets);
    // Env order carries no meaning: sorted, so reordering api/env does not recreate every node.
    // Extra aliases are left out: a promoted replica gets `postgres` live, without a recreate.
    // The balancer's TLS files count (a new certificate recreates it); its nginx.conf does not.
    const network = names.network(spec.name);
    const NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [m.key] } } };
    const hashed = {
      options: { ...options, NetworkingConfig, Env: [...options.Env].sort() },
      files: m.files.filter((f) => m.role !== 'balancer' || f.path !== NGINX_CONF_PATH).map((f) => [f.path, f.content]),
    };
    const configHash = sha256(canonicalJson(hashed));
    options.Labels[LABEL.configHash] = configHash;
    return { ...(m.host ? { host: m.host } : {}), service: m.key, role: m.role, slot: m.slot, model: m, options, configHash };
  });
  const volumes = [...new Set(model.filter((m) => !m.host).flatMap((m) => m.volumes.map((v) => names.volume(spec.name, v.name))))];
  const placed: Partial<DesiredState> = {};
  if (usesHosts(spec)) {
    placed.hosts = hostsOf(spec);
    placed.hostVolumes = {};
    for (const m of model) {
      if (m.host && m.volumes.length) (placed.hostVolumes[m.host] ??= []).push(...m.volumes.map((v) => names.volume(spec.name, v.name)));
    }
  }
  return {
    ...placed,
    cluster: spec.name,
    color,
    network: names.network(spec.name),
    volumes,
    containers,
    nginxConf,
    nginxConfHash: sha256(nginxConf),
    nginxDrainConf,
    fenced: db.fenced,
    primary: db.primary,
  };
}
