import { LABEL, names } from '../labels.ts';
import { renderTemplate, type Secrets, type ServiceModel } from './model.ts';

/**
 * Docker Engine API create options for one service of the model (the body of POST /containers/create,
 * the shape dockerode takes). Pure: the config-hash label is added by the engine, which hashes this.
 */
export interface CreateOptions {
  name: string;
  Image: string;
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  Healthcheck: { Test: string[]; Interval: number; Timeout: number; Retries: number; StartPeriod: number };
  StopSignal: string;
  StopTimeout: number;
  HostConfig: {
    NetworkMode: string;
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
    Mounts?: { Type: 'volume'; Source: string; Target: string }[];
    RestartPolicy: { Name: string };
    NanoCpus?: number;
    Memory?: number;
    LogConfig: { Type: string; Config: Record<string, string> };
  };
  NetworkingConfig: { EndpointsConfig: Record<string, { Aliases: string[] }> };
}

const NS = 1_000_000_000;

export function toCreateOptions(cluster: string, m: ServiceModel, secrets: Secrets): CreateOptions {
  const network = names.network(cluster);
  const labels: Record<string, string> = {
    [LABEL.cluster]: cluster,
    [LABEL.role]: m.role,
    [LABEL.service]: m.key,
    [LABEL.image]: m.image,
  };
  if (m.slot !== undefined) labels[LABEL.slot] = String(m.slot);
  if (m.color !== undefined) labels[LABEL.color] = m.color;
  const opts: CreateOptions = {
    name: names.container(cluster, m.key),
    Image: m.image,
    Env: Object.entries(m.env).map(([k, v]) => `${k}=${renderTemplate(v, secrets)}`),
    Labels: labels,
    Healthcheck: {
      Test: m.healthcheck.test,
      Interval: m.healthcheck.intervalS * NS,
      Timeout: m.healthcheck.timeoutS * NS,
      Retries: m.healthcheck.retries,
      StartPeriod: m.healthcheck.startPeriodS * NS,
    },
    StopSignal: m.stopSignal,
    StopTimeout: m.stopGraceS,
    HostConfig: {
      NetworkMode: network,
      RestartPolicy: { Name: 'unless-stopped' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [m.key, ...(m.aliases ?? [])] } } },
  };
  if (m.command.length) {
    opts.Entrypoint = [m.command[0]!];
    opts.Cmd = m.command.slice(1);
  }
  if (m.user) opts.User = m.user;
  if (m.ports.length) {
    opts.ExposedPorts = Object.fromEntries(m.ports.map((p) => [`${p.container}/tcp`, {}]));
    opts.HostConfig.PortBindings = Object.fromEntries(
      m.ports.map((p) => [`${p.container}/tcp`, [{ HostIp: p.hostIp, HostPort: String(p.host) }]]),
    );
  }
  if (m.volumes.length) {
    opts.HostConfig.Mounts = m.volumes.map((v) => ({ Type: 'volume', Source: names.volume(cluster, v.name), Target: v.target }));
  }
  if (m.cpus !== undefined) opts.HostConfig.NanoCpus = Math.round(m.cpus * NS);
  if (m.memoryBytes !== undefined) opts.HostConfig.Memory = m.memoryBytes;
  return opts;
}
