import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LABEL } from '../labels.ts';
import { findPreset, validateSpec, type ClusterSpec, type ClusterSpecInput } from '../spec/index.ts';
import {
  BALANCER_STATUS_PORT,
  NGINX_CONF_PATH,
  SECRET_NAMES,
  buildServiceModel,
  generateCompose,
  generateEnvExample,
  generateExport,
  generateNginxConf,
  parseMemory,
  renderTemplate,
  toCreateOptions,
  type ServiceModel,
} from './index.ts';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '__golden__');

/** Compare with a golden file; UPDATE_GOLDEN=1 rewrites it from the current output. */
function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function spec(input: ClusterSpecInput): ClusterSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}

const SECRET = 'S3cretPassw0rdXYZ';
const starter = () => spec(findPreset('starter').spec('shop'));
const busy = () => spec(findPreset('busy').spec('busy'));

function model(s: ClusterSpec): ServiceModel[] {
  return buildServiceModel(s, generateNginxConf(s));
}

/** The lines of the upstream block, trimmed. */
function upstreamLines(conf: string): string[] {
  const m = /upstream api \{\n([\s\S]*?)\n\s*\}/.exec(conf);
  if (!m) throw new Error('no upstream block');
  return m[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('golden export of the starter preset', () => {
  const bundle = generateExport(starter());

  it('nginx.conf', () => expectGolden('starter.nginx.conf', bundle['nginx.conf']));
  it('docker-compose.yml', () => expectGolden('starter.docker-compose.yml', bundle['docker-compose.yml']));
  it('.env.example', () => expectGolden('starter.env.example', bundle['.env.example']));
  it('busy preset nginx.conf (least_conn, one backup)', () => expectGolden('busy.nginx.conf', generateNginxConf(busy())));
});

describe('nginx.conf', () => {
  it('lists one server per replica with max_fails and fail_timeout, plus keepalive', () => {
    expect(upstreamLines(generateNginxConf(starter()))).toEqual([
      '# round robin (the default)',
      'server api-1:3000 max_fails=3 fail_timeout=10s;',
      'server api-2:3000 max_fails=3 fail_timeout=10s;',
      'server api-3:3000 max_fails=3 fail_timeout=10s;',
      'keepalive 32;',
      'keepalive_timeout 60s;',
    ]);
  });

  it('uses least_conn when chosen and marks the last N nodes as backup', () => {
    const conf = generateNginxConf(spec({ name: 'x', api: { replicas: 4, port: 4000 }, balancer: { algorithm: 'least_conn', backup_nodes: 2 } }));
    expect(upstreamLines(conf).slice(0, 5)).toEqual([
      'least_conn;',
      'server api-1:4000 max_fails=3 fail_timeout=10s;',
      'server api-2:4000 max_fails=3 fail_timeout=10s;',
      'server api-3:4000 max_fails=3 fail_timeout=10s backup;',
      'server api-4:4000 max_fails=3 fail_timeout=10s backup;',
    ]);
  });

  it('uses ip_hash when chosen and has no backup servers by default', () => {
    const conf = generateNginxConf(spec({ name: 'x', balancer: { algorithm: 'ip_hash' } }));
    expect(upstreamLines(conf)[0]).toBe('ip_hash;');
    expect(conf).not.toContain('backup;');
    expect(conf).not.toContain('least_conn');
  });

  it('passes max_fails and fail_timeout through', () => {
    const conf = generateNginxConf(spec({ name: 'x', api: { replicas: 1 }, balancer: { max_fails: 0, fail_timeout: '500ms' } }));
    expect(conf).toContain('server api-1:3000 max_fails=0 fail_timeout=500ms;');
  });

  it('leaves keepalive out when it is 0', () => {
    const conf = generateNginxConf(spec({ name: 'x', balancer: { keepalive: 0 } }));
    expect(conf).not.toMatch(/^\s*keepalive /m);
    expect(conf).not.toContain('keepalive_timeout');
    expect(generateNginxConf(spec({ name: 'x', balancer: { keepalive: 7 } }))).toContain('        keepalive 7;');
  });

  it('proxies with HTTP/1.1 and an empty Connection header, and forwards the client address', () => {
    const conf = generateNginxConf(starter());
    for (const line of [
      'proxy_pass http://api;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_set_header Host $host;',
      'proxy_set_header X-Real-IP $remote_addr;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      'proxy_next_upstream error timeout http_502 http_503 http_504;',
      'listen 80;',
    ]) {
      expect(conf.split('\n').map((l) => l.trim())).toContain(line);
    }
  });

  it(`serves stub_status on ${BALANCER_STATUS_PORT} only, with private allows and deny all`, () => {
    const conf = generateNginxConf(starter());
    const status = /server \{\n\s*listen 8081;\n\s*location = \/nginx_status \{([\s\S]*?)\}/.exec(conf);
    expect(status).not.toBeNull();
    const body = status![1]!;
    expect(body).toContain('stub_status;');
    expect(body).toContain('allow 127.0.0.1;');
    expect(body.trim().split('\n').at(-1)!.trim()).toBe('deny all;');
    // stub_status appears exactly once (not on the public server).
    expect(conf.match(/stub_status/g)).toHaveLength(1);
  });

  it('has balanced braces', () => {
    const conf = generateNginxConf(busy());
    expect(conf.split('{').length).toBe(conf.split('}').length);
  });
});

describe('docker-compose.yml', () => {
  const s = starter();
  const text = generateCompose(s, model(s));
  const doc = parse(text) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };

  it('has postgres, redis, api-1..3 and the balancer, in that order', () => {
    expect(Object.keys(doc.services)).toEqual(['postgres', 'redis', 'api-1', 'api-2', 'api-3', 'worker-1', 'balancer']);
    expect(doc.volumes).toEqual({ pgdata: {} });
  });

  it('makes API nodes wait for healthy Postgres and Redis, and the balancer for healthy API nodes', () => {
    for (const key of ['api-1', 'api-2', 'api-3']) {
      expect(doc.services[key]!.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(doc.services.balancer!.depends_on).toEqual({
      'api-1': { condition: 'service_healthy' },
      'api-2': { condition: 'service_healthy' },
      'api-3': { condition: 'service_healthy' },
    });
    expect(doc.services.postgres!.depends_on).toBeUndefined();
  });

  it('publishes only the balancer, on 127.0.0.1:8080:80, and mounts nginx.conf read-only', () => {
    expect(doc.services.balancer!.ports).toEqual(['127.0.0.1:8080:80']);
    expect(doc.services.balancer!.volumes).toEqual([`./nginx.conf:${NGINX_CONF_PATH}:ro`]);
    expect(doc.services.balancer!.entrypoint).toEqual(['nginx']);
    expect(doc.services.balancer!.command).toEqual(['-c', NGINX_CONF_PATH, '-g', 'daemon off;']);
    for (const key of ['postgres', 'redis', 'api-1']) expect(doc.services[key]!.ports).toBeUndefined();
  });

  it('publishes on the configured bind address and port', () => {
    const other = spec({ name: 'x', balancer: { bind: '0.0.0.0', port: 9000 } });
    const d = parse(generateCompose(other, model(other))) as typeof doc;
    expect(d.services.balancer!.ports).toEqual(['0.0.0.0:9000:80']);
  });

  it('escapes $ as $$ in commands but keeps ${POSTGRES_PASSWORD} references in env', () => {
    const pg = doc.services.postgres!;
    const script = (pg.command as string[])[1]!;
    expect(script).toContain('"$$POSTGRES_PASSWORD"');
    expect(script).not.toMatch(/[^$]\$POSTGRES_PASSWORD/);
    expect(pg.environment).toEqual({
      POSTGRES_PASSWORD: '${POSTGRES_PASSWORD}',
      REPLICATION_PASSWORD: '${REPLICATION_PASSWORD}',
      PGDATA: '/var/lib/postgresql/data/pgdata',
    });
    expect((doc.services['api-1']!.environment as Record<string, string>).DATABASE_URL).toBe(
      'postgres://app:${POSTGRES_PASSWORD}@postgres:5432/app',
    );
  });

  it('escapes $ in user env values and in templated values around the reference', () => {
    const m = model(spec({ name: 'x', api: { replicas: 1, env: { PRICE: '$5', HOME_REF: '${HOME}' } } }));
    m[2]!.env.MIXED = { template: 'a$b-${POSTGRES_PASSWORD}-$c' };
    const d = parse(generateCompose(spec({ name: 'x', api: { replicas: 1 } }), m)) as typeof doc;
    const env = d.services['api-1']!.environment as Record<string, string>;
    expect(env.PRICE).toBe('$$5');
    expect(env.HOME_REF).toBe('$${HOME}');
    expect(env.MIXED).toBe('a$$b-${POSTGRES_PASSWORD}-$$c');
  });

  it('never contains a real secret value', () => {
    const m = model(s);
    const opts = m.map((x) => toCreateOptions('shop', x, { POSTGRES_PASSWORD: SECRET, JWT_SECRET: 'JwtS3cretXYZ', REPLICATION_PASSWORD: 'R3plPwXYZ', REDIS_PASSWORD: 'R3disPwXYZ' }));
    expect(JSON.stringify(opts)).toContain(SECRET); // the engine gets it...
    expect(generateCompose(s, m)).not.toContain('JwtS3cretXYZ');
    expect(generateCompose(s, m)).not.toContain(SECRET); // ...the export does not
    expect(generateEnvExample(s)).not.toContain(SECRET);
  });

  it('has a health check, stop signal, restart policy and log limits on every service', () => {
    for (const [key, svc] of Object.entries(doc.services)) {
      expect(svc.restart, key).toBe('unless-stopped');
      expect(svc.healthcheck, key).toMatchObject({ interval: '1s', timeout: '5s' });
      expect(svc.logging, key).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
    }
    expect(doc.services.postgres!.stop_signal).toBe('SIGINT');
    expect(doc.services.balancer!.stop_signal).toBe('SIGQUIT');
  });

  it('keeps strings that look like other types as strings, quoted for YAML 1.1 readers too', () => {
    const withNo = spec({ name: 'x', api: { replicas: 1, env: { FLAG: 'no' } } });
    const noText = generateCompose(withNo, model(withNo));
    expect(noText).toContain('FLAG: "no"');
    expect(noText).not.toMatch(/^\s*FLAG: no$/m);
    const redis = doc.services.redis!;
    expect(redis.command).toEqual([
      '-c',
      `exec redis-server --protected-mode no --port 6379 --save '' --appendonly no --maxmemory-policy noeviction --requirepass "$$REDISCLI_AUTH"`,
    ]);
    expect((doc.services['api-1']!.environment as Record<string, unknown>).PORT).toBe('3000');
  });

  it('sets cpus and mem_limit only when the spec does', () => {
    expect(doc.services['api-1']!.cpus).toBeUndefined();
    expect(doc.services['api-1']!.mem_limit).toBeUndefined();
    const limited = spec({ name: 'x', api: { replicas: 1, cpus: 0.5, memory: '256m' } });
    const d = parse(generateCompose(limited, model(limited))) as typeof doc;
    expect(d.services['api-1']!.cpus).toBe(0.5);
    expect(d.services['api-1']!.mem_limit).toBe(256 * 1024 * 1024);
  });

  it('starts with a header naming the cluster', () => {
    expect(text.split('\n')[0]).toBe('# Generated by ScaleDeck from cluster "shop".');
  });
});

describe('.env.example', () => {
  it('lists every secret with a placeholder', () => {
    const lines = generateEnvExample(starter()).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(SECRET_NAMES.map((n) => `${n}=change-me`));
  });
});

describe('service model', () => {
  it('uses the api port and health path in the health check, and one slot per node', () => {
    const m = model(spec({ name: 'x', api: { replicas: 2, port: 4000, health_path: '/ready' } }));
    const apis = m.filter((x) => x.role === 'api');
    expect(apis.map((a) => [a.key, a.slot])).toEqual([
      ['api-1', 1],
      ['api-2', 2],
    ]);
    expect(apis[0]!.healthcheck.test.join(' ')).toContain("fetch('http://127.0.0.1:4000/ready')");
    expect(apis[1]!.env.NODE_NAME).toBe('api-2');
    expect(apis[0]!.env.PORT).toBe('4000');
  });

  it('lets the model values win over user env for the variables it sets', () => {
    const m = model(spec({ name: 'x', api: { replicas: 1, env: { NODE_NAME: 'mine', EXTRA: '1' } } }));
    expect(m[2]!.env.NODE_NAME).toBe('api-1');
    expect(m[2]!.env.EXTRA).toBe('1');
  });

  it('puts the exact nginx.conf into the balancer file', () => {
    const s = starter();
    const conf = generateNginxConf(s);
    const lb = buildServiceModel(s, conf).find((x) => x.role === 'balancer')!;
    expect(lb.files).toEqual([{ path: NGINX_CONF_PATH, exportName: 'nginx.conf', content: conf }]);
  });

  it('writes the postgres database, user and max_connections into its script', () => {
    const m = model(spec({ name: 'x', postgres: { database: 'shopdb', user: 'shopper', max_connections: 250 } }));
    const script = m[0]!.command[2]!;
    expect(script).toContain('CREATE ROLE shopper LOGIN');
    expect(script).toContain('CREATE DATABASE shopdb OWNER shopper');
    expect(script).toContain('-c max_connections=250');
    expect(m[0]!.healthcheck.test).toEqual(['CMD', 'pg_isready', '-h', '/tmp', '-U', 'postgres', '-d', 'shopdb']);
  });

  it('parseMemory understands k, m and g', () => {
    expect(parseMemory('512k')).toBe(512 * 1024);
    expect(parseMemory('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('256M')).toBe(256 * 1024 ** 2);
    expect(() => parseMemory('1t')).toThrow('bad memory size 1t');
  });

  it('renderTemplate fills secrets and refuses unknown names', () => {
    expect(renderTemplate('plain ${X}', { POSTGRES_PASSWORD: 'p', JWT_SECRET: 'j', REPLICATION_PASSWORD: 'r', REDIS_PASSWORD: 'd' })).toBe('plain ${X}');
    expect(renderTemplate({ template: 'u:${POSTGRES_PASSWORD}@h' }, { POSTGRES_PASSWORD: 'p', JWT_SECRET: 'j', REPLICATION_PASSWORD: 'r', REDIS_PASSWORD: 'd' })).toBe('u:p@h');
    expect(() => renderTemplate({ template: '${NOPE}' }, { POSTGRES_PASSWORD: 'p', JWT_SECRET: 'j', REPLICATION_PASSWORD: 'r', REDIS_PASSWORD: 'd' })).toThrow('secret NOPE is not set');
  });
});

describe('Docker create options', () => {
  const s = starter();
  const m = model(s);
  const opts = Object.fromEntries(m.map((x) => [x.key, toCreateOptions('shop', x, { POSTGRES_PASSWORD: SECRET, JWT_SECRET: 'JwtS3cretXYZ', REPLICATION_PASSWORD: 'R3plPwXYZ', REDIS_PASSWORD: 'R3disPwXYZ' })]));

  it('renders the secret into env', () => {
    expect(opts.postgres!.Env).toContain(`POSTGRES_PASSWORD=${SECRET}`);
    expect(opts['api-2']!.Env).toContain(`DATABASE_URL=postgres://app:${SECRET}@postgres:5432/app`);
    expect(opts['api-2']!.Env).toContain('NODE_NAME=api-2');
  });

  it('labels each container with cluster, role, service and slot', () => {
    expect(opts['api-3']!.Labels).toEqual({
      [LABEL.cluster]: 'shop',
      [LABEL.role]: 'api',
      [LABEL.service]: 'api-3',
      [LABEL.slot]: '3',
      [LABEL.color]: 'blue',
      [LABEL.image]: 'scaledeck/api-template:0.1.0',
    });
    expect(opts.balancer!.Labels).toEqual({ [LABEL.cluster]: 'shop', [LABEL.role]: 'balancer', [LABEL.service]: 'balancer', [LABEL.image]: 'nginx:1.27' });
  });

  it('names containers and joins them to the cluster network under their service name', () => {
    expect(opts['api-1']!.name).toBe('sd-shop-api-1');
    expect(opts['api-1']!.HostConfig.NetworkMode).toBe('sd-shop');
    expect(opts['api-1']!.NetworkingConfig).toEqual({ EndpointsConfig: { 'sd-shop': { Aliases: ['api-1'] } } });
  });

  it('publishes the balancer port on the bind address only', () => {
    expect(opts.balancer!.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(opts.balancer!.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    expect(opts['api-1']!.HostConfig.PortBindings).toBeUndefined();
  });

  it('mounts the prefixed pgdata volume', () => {
    expect(opts.postgres!.HostConfig.Mounts).toEqual([{ Type: 'volume', Source: 'sd-shop-pgdata', Target: '/var/lib/postgresql/data' }]);
  });

  it('splits the command into Entrypoint and Cmd, and leaves both unset for the API image', () => {
    expect(opts.balancer!.Entrypoint).toEqual(['nginx']);
    expect(opts.balancer!.Cmd).toEqual(['-c', NGINX_CONF_PATH, '-g', 'daemon off;']);
    expect(opts['api-1']!.Entrypoint).toBeUndefined();
    expect(opts['api-1']!.Cmd).toBeUndefined();
    // No compose escaping in what the engine runs.
    expect(opts.postgres!.Cmd![1]).toContain('"$POSTGRES_PASSWORD"');
    expect(opts.postgres!.Cmd![1]).not.toContain('$$');
  });

  it('converts health check seconds to nanoseconds and limits to engine units', () => {
    expect(opts.postgres!.Healthcheck).toEqual({
      Test: ['CMD', 'pg_isready', '-h', '/tmp', '-U', 'postgres', '-d', 'app'],
      Interval: 1e9,
      Timeout: 5e9,
      Retries: 5,
      StartPeriod: 60e9,
    });
    expect(opts.postgres!.StopSignal).toBe('SIGINT');
    expect(opts.postgres!.StopTimeout).toBe(30);
    const limited = spec({ name: 'x', api: { replicas: 1, cpus: 0.25, memory: '1g' } });
    const o = toCreateOptions('x', model(limited)[2]!, { POSTGRES_PASSWORD: 'p', JWT_SECRET: 'j', REPLICATION_PASSWORD: 'r', REDIS_PASSWORD: 'd' });
    expect(o.HostConfig.NanoCpus).toBe(250_000_000);
    expect(o.HostConfig.Memory).toBe(1024 ** 3);
    expect(opts['api-1']!.HostConfig.NanoCpus).toBeUndefined();
  });
});

describe('data tier in the model', () => {
  const two = spec({ name: 'shop', postgres: { replicas: 2, pool: 20, max_slot_wal_keep_size: '2GB' }, redis: { maxmemory: '256m', eviction: 'allkeys-lru', persistence: 'aof' } });
  const m = model(two);
  const byKey = Object.fromEntries(m.map((x) => [x.key, x]));

  it('sets up the primary for replication', () => {
    const script = byKey.postgres!.command[2]!;
    expect(script).toContain('-c wal_level=replica');
    expect(script).toContain('-c max_slot_wal_keep_size=2GB');
    expect(script).toContain('host replication replicator all scram-sha-256');
    expect(script).toContain('CREATE ROLE replicator REPLICATION LOGIN');
  });

  it('bootstraps each replica with pg_basebackup through its own slot and volume, after the primary is healthy', () => {
    const r2 = byKey['postgres-replica-2']!;
    expect(r2.role).toBe('postgres');
    expect(r2.slot).toBe(2);
    expect(r2.command[2]).toContain('pg_basebackup -h postgres -U replicator -D "/var/lib/postgresql/data/pgdata" -R -X stream -S replica_2 $CREATE');
    expect(r2.volumes).toEqual([{ name: 'pgdata-replica-2', target: '/var/lib/postgresql/data' }]);
    expect(r2.dependsOn).toEqual([{ key: 'postgres', condition: 'healthy' }]);
    expect(r2.healthcheck.test).toEqual(byKey.postgres!.healthcheck.test);
  });

  it('gives nodes the replica URLs, the pool size and a Redis URL with the password', () => {
    const env = byKey['api-1']!.env;
    expect(env.DATABASE_REPLICA_URLS).toEqual({
      template: 'postgres://app:${POSTGRES_PASSWORD}@postgres-replica-1:5432/app,postgres://app:${POSTGRES_PASSWORD}@postgres-replica-2:5432/app',
    });
    expect(env.DB_POOL_MAX).toBe('20');
    expect(env.REDIS_URL).toEqual({ template: 'redis://:${REDIS_PASSWORD}@redis:6379' });
  });

  it('runs Redis with the memory cap, eviction policy, AOF on a volume and the password from the environment', () => {
    const redis = byKey.redis!;
    expect(redis.command[2]).toBe(
      `exec redis-server --protected-mode no --port 6379 --save '' --appendonly yes --appendfsync everysec --dir /data --maxmemory 268435456 --maxmemory-policy allkeys-lru --requirepass "$REDISCLI_AUTH"`,
    );
    expect(redis.env).toEqual({ REDISCLI_AUTH: { template: '${REDIS_PASSWORD}' } });
    expect(redis.volumes).toEqual([{ name: 'redisdata', target: '/data' }]);
    const open = model(spec({ name: 'shop', redis: { password: false } }));
    expect(open.find((x) => x.key === 'redis')!.command[2]).not.toContain('requirepass');
    expect(open.find((x) => x.key === 'api-1')!.env.REDIS_URL).toBe('redis://redis:6379');
  });

  it('keeps every new secret out of the compose file', () => {
    const text = generateCompose(two, m);
    expect(text).toContain('REPLICATION_PASSWORD: ${REPLICATION_PASSWORD}');
    expect(text).toContain('postgres-replica-2:');
    const opts = m.map((x) => toCreateOptions('shop', x, { POSTGRES_PASSWORD: 'p1xx', JWT_SECRET: 'j', REPLICATION_PASSWORD: 'R3plS3cret', REDIS_PASSWORD: 'R3disS3cret' }));
    expect(JSON.stringify(opts)).toContain('R3disS3cret');
    expect(text).not.toContain('R3disS3cret');
    expect(text).not.toContain('R3plS3cret');
  });
});
