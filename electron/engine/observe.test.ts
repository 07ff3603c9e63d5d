import { describe, expect, it } from 'vitest';
import { NGINX_CONF_PATH } from '../../shared/generate/model.ts';
import { LABEL } from '../../shared/labels.ts';
import type { ContainerSummary, EngineClient } from '../docker/client.ts';
import { sha256 } from './desired.ts';
import { healthFromStatus, observe, serviceOrder } from './observe.ts';

describe('healthFromStatus', () => {
  it.each([
    ['Up 2 minutes (healthy)', 'healthy'],
    ['Up 3 seconds (unhealthy)', 'unhealthy'],
    ['Up 1 second (health: starting)', 'starting'],
    ['Up 2 minutes', 'none'],
    ['Exited (0) 5 minutes ago', 'none'],
    ['Created', 'none'],
    ['', 'none'],
  ] as const)('%j → %s', (status, health) => {
    expect(healthFromStatus(status)).toBe(health);
  });

  it('does not mistake "unhealthy" for "healthy"', () => {
    expect(healthFromStatus('Up 10 minutes (unhealthy)')).not.toBe('healthy');
  });
});

describe('serviceOrder', () => {
  it('orders balancer, API nodes by number, redis, postgres, then anything else', () => {
    const services = ['postgres', 'zzz', 'api-10', 'redis', 'api-2', 'balancer', 'api-1'];
    expect(services.sort((a, b) => serviceOrder(a) - serviceOrder(b))).toEqual([
      'balancer',
      'api-1',
      'api-2',
      'api-10',
      'redis',
      'postgres',
      'zzz',
    ]);
  });
});

function container(service: string, role: string, extra: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    id: `id-${service}`,
    name: `sd-shop-${service}`,
    image: 'img',
    state: 'running',
    status: 'Up 1 minute (healthy)',
    labels: { [LABEL.cluster]: 'shop', [LABEL.role]: role, [LABEL.service]: service, [LABEL.configHash]: `h-${service}` },
    ports: [],
    ...extra,
  };
}

function fakeEngine(containers: ContainerSummary[], conf: string | null = 'conf') {
  const reads: [string, string][] = [];
  const engine = {
    listContainers: async (cluster?: string) => (cluster === 'shop' ? containers : []),
    listNetworks: async () => [{ id: 'n1', name: 'sd-shop' }],
    listVolumes: async () => [
      { name: 'sd-shop-zeta', labels: {} },
      { name: 'sd-shop-pgdata', labels: {} },
    ],
    readFile: async (id: string, path: string) => {
      reads.push([id, path]);
      return conf;
    },
  } as unknown as EngineClient;
  return { engine, reads };
}

describe('observe', () => {
  const list = [
    container('postgres', 'postgres'),
    container('api-2', 'api', { labels: { ...container('api-2', 'api').labels, [LABEL.slot]: '2' } }),
    container('balancer', 'balancer', { ports: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 }, { containerPort: 8081 }] }),
    container('redis', 'redis', { state: 'exited', status: 'Exited (1) 2 seconds ago (healthy)' }),
    container('api-1', 'api', { status: 'Up 2 seconds (health: starting)' }),
  ];

  it('recovers the cluster from labels, sorted, with health and the balancer conf hash', async () => {
    const { engine, reads } = fakeEngine(list, 'upstream');
    const o = await observe(engine, 'shop');
    expect(o.containers.map((c) => c.service)).toEqual(['balancer', 'api-1', 'api-2', 'redis', 'postgres']);
    expect(o.network).toEqual({ id: 'n1', name: 'sd-shop' });
    expect(o.volumes).toEqual(['sd-shop-pgdata', 'sd-shop-zeta']);
    expect(o.balancerConfHash).toBe(sha256('upstream'));
    expect(reads).toEqual([['id-balancer', NGINX_CONF_PATH]]);
    const by = Object.fromEntries(o.containers.map((c) => [c.service, c]));
    expect(by['api-1']!.health).toBe('starting');
    expect(by['api-2']!.slot).toBe(2);
    expect(by['api-1']!.slot).toBeUndefined();
    expect(by.redis!.health).toBe('none'); // not running: no health, whatever the status says
    expect(by.balancer!.hostPorts).toEqual([8080]);
    expect(by.postgres!.configHash).toBe('h-postgres');
  });

  it('does not read the balancer conf when told not to', async () => {
    const { engine, reads } = fakeEngine(list);
    const o = await observe(engine, 'shop', { readBalancerConf: false });
    expect(reads).toEqual([]);
    expect(o.balancerConfHash).toBeNull();
  });

  it('gives a null conf hash when the file is missing', async () => {
    const { engine } = fakeEngine(list, null);
    expect((await observe(engine, 'shop')).balancerConfHash).toBeNull();
  });

  it('falls back to the name and an unknown role for unlabelled containers', async () => {
    const bare: ContainerSummary = { id: 'x', name: 'sd-shop-odd', image: 'i', state: 'running', status: 'Up', labels: {}, ports: [] };
    const { engine } = fakeEngine([bare]);
    const o = await observe(engine, 'shop');
    expect(o.containers[0]).toMatchObject({ service: 'sd-shop-odd', role: 'unknown', configHash: null, health: 'none' });
    expect(o.balancerConfHash).toBeNull();
  });
});
