import { describe, expect, it } from 'vitest';
import { generateExport } from '../../shared/generate/index.ts';
import { validateSpec, type ClusterSpec, type ClusterSpecInput } from '../../shared/spec/index.ts';
import { buildDesired } from './desired.ts';
import type { ObservedState } from './observe.ts';
import { formatPlan, planDown, planUp } from './plan.ts';

/** Placement over hosts: model wiring, nginx upstreams, plans per host, per-host export. */

function spec(input: Partial<ClusterSpecInput>): ClusterSpec {
  const r = validateSpec({ name: 'shop', worker: { replicas: 0 }, ...input });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}
const secrets = { POSTGRES_PASSWORD: 'pw', JWT_SECRET: 'jwt', REPLICATION_PASSWORD: 'rpw', REDIS_PASSWORD: 'rdpw' };
const addrs = { web1: '10.0.0.1', web2: '10.0.0.2', lb: '10.0.0.3' };
const spread = () =>
  spec({ api: { replicas: 3, hosts: ['web1', 'web2'] }, balancer: { host: 'lb', bind: '0.0.0.0' }, redis: { host: 'lb' }, postgres: { host: 'lb' } });

const empty = (cluster: string): ObservedState => ({ cluster, network: null, volumes: [], containers: [], apiColor: 'blue', balancerConfHash: null, remote: {} });

describe('placement', () => {
  it('leaves a spec without hosts exactly as before (no host on any container)', () => {
    const d = buildDesired(spec({}), secrets);
    expect(d.hosts).toBeUndefined();
    expect(d.containers.every((c) => c.host === undefined)).toBe(true);
    expect(d.nginxConf).toContain('server api-1:3000');
  });

  it('spreads nodes round-robin and wires cross-host consumers to published ports', () => {
    const d = buildDesired(spread(), secrets, 'blue', { addrs });
    const host = Object.fromEntries(d.containers.map((c) => [c.service, c.host]));
    expect(host).toEqual({ postgres: 'lb', redis: 'lb', 'api-1': 'web1', 'api-2': 'web2', 'api-3': 'web1', balancer: 'lb' });
    expect(d.hosts).toEqual(['lb', 'web1', 'web2']);
    expect(d.hostVolumes).toEqual({ lb: ['sd-shop-pgdata'] });
    const api1 = d.containers.find((c) => c.service === 'api-1')!;
    expect(api1.options.Env).toContain('DATABASE_URL=postgres://app:pw@10.0.0.3:15432/app');
    expect(api1.options.Env).toContain('REDIS_URL=redis://:rdpw@10.0.0.3:16379');
    expect(api1.options.HostConfig.PortBindings).toEqual({ '3000/tcp': [{ HostIp: '10.0.0.1', HostPort: '13001' }] });
    const pg = d.containers.find((c) => c.service === 'postgres')!;
    expect(pg.options.HostConfig.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '10.0.0.3', HostPort: '15432' }] });
    expect(d.nginxConf).toContain('server 10.0.0.1:13001 ');
    expect(d.nginxConf).toContain('server 10.0.0.2:13002 ');
    expect(d.nginxConf).toContain('server 10.0.0.1:13003 ');
  });

  it('keeps same-host traffic on the cluster network (no published port, service names)', () => {
    const d = buildDesired(spec({ api: { replicas: 2, hosts: ['lb'] }, balancer: { host: 'lb' }, redis: { host: 'lb' }, postgres: { host: 'lb' } }), secrets, 'blue', { addrs });
    const api1 = d.containers.find((c) => c.service === 'api-1')!;
    expect(api1.options.Env).toContain('REDIS_URL=redis://:rdpw@redis:6379');
    expect(api1.options.HostConfig.PortBindings).toBeUndefined();
    expect(d.nginxConf).toContain('server api-1:3000');
  });

  it('gives nodes on other hosts the read replicas through ports published beside the primary', () => {
    const d = buildDesired(
      spec({ api: { replicas: 1, hosts: ['web1'] }, balancer: { host: 'lb', bind: '0.0.0.0' }, redis: { host: 'lb' }, postgres: { host: 'lb', replicas: 2 } }),
      secrets,
      'blue',
      { addrs },
    );
    const host = Object.fromEntries(d.containers.map((c) => [c.service, c.host]));
    expect(host['postgres-replica-1']).toBe('lb');
    expect(host['postgres-replica-2']).toBe('lb');
    const api1 = d.containers.find((c) => c.service === 'api-1')!;
    expect(api1.options.Env).toContain('DATABASE_REPLICA_URLS=postgres://app:pw@10.0.0.3:15433/app,postgres://app:pw@10.0.0.3:15434/app');
    const r2 = d.containers.find((c) => c.service === 'postgres-replica-2')!;
    expect(r2.options.HostConfig.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '10.0.0.3', HostPort: '15434' }] });
    // The primary's own binding is its own (replicas copy its settings, not its ports array).
    expect(d.containers.find((c) => c.service === 'postgres')!.options.HostConfig.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '10.0.0.3', HostPort: '15432' }] });
  });

  it('says what is missing when a host has no address', () => {
    expect(() => buildDesired(spread(), secrets, 'blue', { addrs: { web1: '10.0.0.1', web2: '10.0.0.2' } })).toThrow(/no address known for host "lb"/);
    expect(() => buildDesired(spec({ api: { replicas: 1, hosts: ['web1'] } }), secrets, 'blue', { addrs })).toThrow(/SCALEDECK_LOCAL_ADVERTISE/);
  });

  it('plans networks, volumes and services on each host', () => {
    const plan = planUp(buildDesired(spread(), secrets, 'blue', { addrs }), empty('shop'));
    const text = formatPlan(plan);
    expect(text).toContain('+ create network sd-shop on lb');
    expect(text).toContain('+ create network sd-shop on web1');
    expect(text).toContain('+ create volume sd-shop-pgdata on lb');
    expect(text).toMatch(/\+ create api-2 \(.*\) on web2\s+\[after network:sd-shop@web2, wait:postgres, wait:redis\]/);
    expect(plan.steps.find((s) => s.id === 'create:balancer')!.host).toBe('lb');
  });

  it('tears down every host, networks after the containers on the same host', () => {
    const observed: ObservedState = {
      ...empty('shop'),
      containers: [
        { id: 'b', name: 'sd-shop-balancer', service: 'balancer', role: 'balancer', image: 'nginx', state: 'running', health: 'healthy', status: '', configHash: null, hostPorts: [], host: 'lb' },
        { id: 'a', name: 'sd-shop-api-1', service: 'api-1', role: 'api', image: 'api', state: 'running', health: 'healthy', status: '', configHash: null, hostPorts: [], host: 'web1' },
      ],
      remote: { lb: { network: { id: 'n1', name: 'sd-shop' }, volumes: ['sd-shop-pgdata'] }, web1: { network: { id: 'n2', name: 'sd-shop' }, volumes: [] } },
    };
    const plan = planDown(observed, { keepData: false });
    expect(plan.steps.map((s) => `${s.id} ${s.host ?? 'local'} [${s.dependsOn.join(',')}]`)).toEqual([
      'remove:balancer lb []',
      'remove:api-1 web1 [remove:balancer]',
      'network-rm:sd-shop@lb lb [remove:balancer]',
      'volume-rm:sd-shop-pgdata@lb lb [remove:balancer]',
      'network-rm:sd-shop@web1 web1 [remove:api-1]',
    ]);
  });

  it('exports one compose file per host, depends_on only within a host', () => {
    const bundle = generateExport(spread(), addrs) as Record<string, string>;
    expect(Object.keys(bundle).sort()).toEqual(['.env.example', 'docker-compose.lb.yml', 'docker-compose.web1.yml', 'docker-compose.web2.yml', 'docker-compose.yml', 'nginx.conf']);
    expect(bundle['docker-compose.yml']).toContain('docker-compose -f docker-compose.web1.yml up -d');
    expect(bundle['docker-compose.web1.yml']).toContain('api-1:');
    expect(bundle['docker-compose.web1.yml']).not.toMatch(/^ {2}postgres:/m);
    expect(bundle['docker-compose.lb.yml']).toMatch(/^ {2}postgres:/m);
    expect(bundle['docker-compose.web1.yml']).not.toContain('depends_on');
    expect(bundle['docker-compose.lb.yml']).toContain('10.0.0.3:15432:5432');
    expect(bundle['nginx.conf']).toContain('server 10.0.0.2:13002 ');
  });
});

describe('balancer TLS', () => {
  it('needs cert + key or self_signed, on a port apart from the HTTP one', () => {
    const bad = (tls: unknown) => {
      const r = validateSpec({ name: 'shop', balancer: { port: 8080, tls } });
      return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    };
    expect(bad({ cert: '/c.pem' })[0]).toMatch(/balancer\/tls: needs both cert and key/);
    expect(bad({ self_signed: true, cert: '/c.pem', key: '/k.pem' })[0]).toMatch(/either cert \+ key, or self_signed/);
    expect(bad({ self_signed: true, port: 8080 })[0]).toMatch(/balancer\/tls\/port: must differ/);
    expect(bad({ self_signed: true })).toEqual([]);
  });

  it('serves HTTPS on 443 with the certificate files and redirects HTTP to the HTTPS host port', () => {
    const d = buildDesired(spec({ balancer: { port: 8080, tls: { self_signed: true, port: 8443 } } }), secrets, 'blue', { tls: { cert: 'CERT', key: 'KEY' } });
    const lb = d.containers.find((c) => c.service === 'balancer')!;
    expect(lb.options.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '8443' }] });
    expect(lb.model.files.map((f) => [f.path, f.content])).toContainEqual(['/etc/scaledeck/tls/key.pem', 'KEY']);
    expect(d.nginxConf).toContain('return 301 https://$host:8443$request_uri;');
    expect(d.nginxConf).toContain('listen 443 ssl;');
    expect(d.nginxConf).toContain('ssl_certificate /etc/scaledeck/tls/cert.pem;');
    // A new certificate recreates the balancer (its hash counts the TLS files).
    const d2 = buildDesired(spec({ balancer: { port: 8080, tls: { self_signed: true, port: 8443 } } }), secrets, 'blue', { tls: { cert: 'CERT2', key: 'KEY' } });
    expect(d2.containers.find((c) => c.service === 'balancer')!.configHash).not.toBe(lb.configHash);
  });
});
