import type { ClusterSpecInput } from './schema.ts';

export interface Preset {
  id: string;
  title: string;
  description: string;
  spec: (name: string) => ClusterSpecInput;
}

export const PRESETS: Preset[] = [
  {
    id: 'starter',
    title: 'Starter',
    description: '3 API nodes behind NGINX (round robin), Redis, a Postgres primary.',
    spec: (name) => ({ name, api: { replicas: 3 }, balancer: { algorithm: 'round_robin', port: 8080 } }),
  },
  {
    id: 'tiny',
    title: 'Tiny',
    description: '2 API nodes behind NGINX, Redis, Postgres: the least a balanced fleet needs.',
    spec: (name) => ({ name, api: { replicas: 2 }, balancer: { port: 8080 } }),
  },
  {
    id: 'busy',
    title: 'Busy',
    description: '6 API nodes with least_conn balancing and one backup node, for uneven request costs.',
    spec: (name) => ({
      name,
      api: { replicas: 6 },
      balancer: { algorithm: 'least_conn', port: 8080, backup_nodes: 1 },
    }),
  },
];

export function findPreset(id: string): Preset {
  const p = PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`Unknown preset "${id}". Presets: ${PRESETS.map((x) => x.id).join(', ')}`);
  return p;
}
