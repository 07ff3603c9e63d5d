import { createHash } from 'node:crypto';
import { LABEL, names } from '../../shared/labels.ts';
import {
  buildServiceModel,
  defaultUpstream,
  generateNginxConf,
  type Color,
  DEFAULT_TOPOLOGY,
  type DbTopology,
  toCreateOptions,
  type CreateOptions,
  type Secrets,
  type ServiceModel,
} from '../../shared/generate/index.ts';
import type { ClusterSpec } from '../../shared/spec/index.ts';

export interface DesiredContainer {
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
  nginxConfHash: string;
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
export function buildDesired(spec: ClusterSpec, secrets: Secrets, color: Color = 'blue', db: DbTopology = DEFAULT_TOPOLOGY): DesiredState {
  const nginxConf = generateNginxConf(spec, defaultUpstream(spec, color));
  const model = buildServiceModel(spec, nginxConf, color, db);
  const containers = model.map((m): DesiredContainer => {
    const options = toCreateOptions(spec.name, m, secrets);
    // Env order carries no meaning: sorted, so reordering api/env does not recreate every node.
    // Extra aliases are left out: a promoted replica gets `postgres` live, without a recreate.
    const network = names.network(spec.name);
    const NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [m.key] } } };
    const hashed = { options: { ...options, NetworkingConfig, Env: [...options.Env].sort() }, files: m.files.filter(() => m.role !== 'balancer').map((f) => [f.path, f.content]) };
    const configHash = sha256(canonicalJson(hashed));
    options.Labels[LABEL.configHash] = configHash;
    return { service: m.key, role: m.role, slot: m.slot, model: m, options, configHash };
  });
  const volumes = [...new Set(model.flatMap((m) => m.volumes.map((v) => names.volume(spec.name, v.name))))];
  return {
    cluster: spec.name,
    color,
    network: names.network(spec.name),
    volumes,
    containers,
    nginxConf,
    nginxConfHash: sha256(nginxConf),
    fenced: db.fenced,
    primary: db.primary,
  };
}
