import type { ClusterSpec } from '../spec/schema.ts';
import { generateCompose, generateEnvExample } from './compose.ts';
import { buildServiceModel } from './model.ts';
import { defaultUpstream, generateNginxConf } from './nginx.ts';
import { hostsOf, LOCAL, usesHosts, type HostAddresses } from './placement.ts';

export * from './model.ts';
export * from './nginx.ts';
export * from './compose.ts';
export * from './create-options.ts';

export * from './placement.ts';

/** Multi-host clusters add one `docker-compose.<host>.yml` per host. */
export type ExportBundle = {
  'docker-compose.yml': string;
  'nginx.conf': string;
  '.env.example': string;
} & { [file: `docker-compose.${string}.yml`]: string };

/** Everything `scaledeck export` writes, from the same generators the engine uses. */
export function generateExport(spec: ClusterSpec, addrs?: HostAddresses): ExportBundle {
  if (usesHosts(spec)) return generateHostsExport(spec, addrs);
  const nginx = generateNginxConf(spec);
  const model = buildServiceModel(spec, nginx);
  return {
    'docker-compose.yml': generateCompose(spec, model),
    'nginx.conf': nginx,
    '.env.example': generateEnvExample(spec),
  };
}

/**
 * A cluster spread over hosts: one compose file per host, holding that host's services (each
 * host is its own compose project; cross-host links go through the published ports, so
 * depends_on keeps only services on the same host). docker-compose.yml says how to use them.
 */
function generateHostsExport(spec: ClusterSpec, addrs?: HostAddresses): ExportBundle {
  const nginx = generateNginxConf(spec, defaultUpstream(spec, 'blue', addrs));
  const model = buildServiceModel(spec, nginx, 'blue', { addrs });
  const hosts = hostsOf(spec);
  const files: Record<string, string> = {};
  for (const host of hosts) {
    const mine = model
      .filter((m) => (m.host ?? LOCAL) === host)
      .map((m) => ({ ...m, dependsOn: m.dependsOn.filter((d) => model.find((x) => x.key === d.key && (x.host ?? LOCAL) === host)) }));
    files[`docker-compose.${host}.yml`] = generateCompose(spec, mine);
  }
  const index = [
    `# Cluster "${spec.name}" runs on ${hosts.length} hosts: one compose file per host.`,
    ...hosts.map((h) => `#   ${h}: docker-compose -f docker-compose.${h}.yml up -d`),
    '# Start the hosts of Postgres and Redis first, then the API nodes, then the balancer.',
    '# Each needs .env beside it (cp .env.example .env); the balancer host also nginx.conf.',
    'services: {}',
    '',
  ].join('\n');
  return { 'docker-compose.yml': index, 'nginx.conf': nginx, '.env.example': generateEnvExample(spec), ...files } as ExportBundle;
}
