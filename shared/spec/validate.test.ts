import { describe, expect, it } from 'vitest';
import {
  IMAGE_SETS,
  PRESETS,
  SpecValidationError,
  crossChecks,
  findPreset,
  formatSpecErrors,
  parseImageSet,
  parseSpecOrThrow,
  parseSpecYaml,
  specToYaml,
  validateSpec,
  type SpecError,
  type SpecResult,
} from './index.ts';

function errorsOf(r: SpecResult): SpecError[] {
  if (r.ok) throw new Error(`expected the spec to be rejected, got ${JSON.stringify(r.spec)}`);
  return r.errors;
}

function specOf(r: SpecResult) {
  if (!r.ok) throw new Error(`expected a valid spec, got ${formatSpecErrors(r.errors)}`);
  return r.spec;
}

describe('validateSpec: defaults', () => {
  it('fills every default from just a name', () => {
    const spec = specOf(validateSpec({ name: 'shop' }));
    expect(spec).toEqual({
      name: 'shop',
      api: { replicas: 3, port: 3000, env: {}, health_path: '/health', image: IMAGE_SETS.official.api },
      balancer: {
        algorithm: 'round_robin',
        port: 8080,
        bind: '127.0.0.1',
        max_fails: 3,
        fail_timeout: '10s',
        keepalive: 32,
        backup_nodes: 0,
        image: IMAGE_SETS.official.balancer,
      },
      worker: { replicas: 1, command: ['node', 'dist/worker.js'] },
      redis: { eviction: 'noeviction', persistence: 'none', password: true, image: IMAGE_SETS.official.redis },
      postgres: {
        database: 'app',
        user: 'app',
        max_connections: 100,
        replicas: 0,
        pool: 10,
        max_slot_wal_keep_size: '1GB',
        image: IMAGE_SETS.official.postgres,
      },
    });
  });

  it('fills defaults inside a partially given section and keeps given values', () => {
    const spec = specOf(validateSpec({ name: 'shop', api: { replicas: 5 }, balancer: { algorithm: 'least_conn' } }));
    expect(spec.api.replicas).toBe(5);
    expect(spec.api.port).toBe(3000);
    expect(spec.balancer.algorithm).toBe('least_conn');
    expect(spec.balancer.port).toBe(8080);
  });

  it('turns env numbers and booleans into strings', () => {
    const spec = specOf(validateSpec({ name: 'shop', api: { env: { A: 1, B: true, C: 'x' } } }));
    expect(spec.api.env).toEqual({ A: '1', B: 'true', C: 'x' });
  });

  it('accepts the smallest and largest replica counts', () => {
    expect(specOf(validateSpec({ name: 'a', api: { replicas: 1 } })).api.replicas).toBe(1);
    // 64 nodes need room in Postgres for their pools: (64 + 1) × 10 = 650 connections.
    expect(specOf(validateSpec({ name: 'a', api: { replicas: 64 }, postgres: { max_connections: 1000 } })).api.replicas).toBe(64);
  });
});

describe('validateSpec: phase one (schema)', () => {
  it.each([0, 10000, 65, -1])('rejects api/replicas %s with the path, the range and the given value', (n) => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicas: n } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('api/replicas');
    expect(errors[0]!.message).toContain('must be between 1 and 64');
    expect(errors[0]!.message).toContain(`(got ${n})`);
    expect(formatSpecErrors(errors)).toContain(`api/replicas: must be between 1 and 64 (got ${n})`);
  });

  it('rejects a fractional replica count as not a whole number', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicas: 1.5 } }));
    expect(errors[0]).toEqual({ path: 'api/replicas', message: 'must be a whole number between 1 and 64 (got 1.5)' });
  });

  it('rejects a string where a number belongs, quoting the string', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicas: 'three' } }));
    expect(errors[0]!.path).toBe('api/replicas');
    expect(errors[0]!.message).toContain('(got "three")');
  });

  it('rejects an unknown top-level key, naming it and listing the allowed keys', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', replicas: 3 }));
    expect(errors).toEqual([
      { path: 'replicas', message: 'unknown key (expected one of: name, api, balancer, worker, redis, postgres)' },
    ]);
  });

  it('rejects an unknown nested key, naming it and listing the keys of its section', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicaz: 3 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('api/replicaz');
    expect(errors[0]!.message).toBe('unknown key (expected one of: image, replicas, port, env, health_path, cpus, memory, hosts)');
  });

  it('lists the balancer keys for a typo in balancer', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', balancer: { algoritm: 'ip_hash' } }));
    expect(errors[0]!.path).toBe('balancer/algoritm');
    expect(errors[0]!.message).toContain('algorithm');
    expect(errors[0]!.message).toContain('backup_nodes');
  });

  it.each(['my shop', 'Shop', '1shop', 'shop-', '', 'a'.repeat(33)])('rejects the name %j with a message naming `name`', (name) => {
    const errors = errorsOf(validateSpec({ name }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('name');
    expect(errors[0]!.message).toContain('lowercase letters');
    expect(errors[0]!.message).toContain(`(got ${JSON.stringify(name)})`);
    expect(formatSpecErrors(errors)).toContain('  name: ');
  });

  it.each(['a', 'shop', 'shop-2', 'a'.repeat(32)])('accepts the name %j', (name) => {
    expect(specOf(validateSpec({ name })).name).toBe(name);
  });

  it('rejects a missing name', () => {
    const errors = errorsOf(validateSpec({}));
    expect(errors).toEqual([{ path: 'name', message: 'must be a cluster name (got nothing)' }]);
  });

  it('rejects a document that is not a mapping', () => {
    expect(errorsOf(validateSpec(null))[0]).toEqual({ path: '', message: 'must be a mapping with at least a name (got null)' });
    expect(errorsOf(validateSpec(['a']))[0]!.message).toContain('(got a list)');
    expect(errorsOf(validateSpec('shop'))[0]!.message).toContain('(got "shop")');
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(validateSpec({ name: 'Bad Name', api: { replicas: 0 }, balancer: { port: 70000, algorithm: 'random' } }));
    expect(errors.map((e) => e.path).sort()).toEqual(['api/replicas', 'balancer/algorithm', 'balancer/port', 'name']);
    const algo = errors.find((e) => e.path === 'balancer/algorithm')!;
    expect(algo.message).toContain('round_robin, least_conn, ip_hash');
    expect(algo.message).toContain('(got "random")');
  });

  it.each([
    ['api/port', { api: { port: 0 } }],
    ['api/env/bad-key', { api: { env: { 'bad-key': 'x' } } }],
    ['api/health_path', { api: { health_path: 'health' } }],
    ['api/cpus', { api: { cpus: 0 } }],
    ['api/memory', { api: { memory: '1tb' } }],
    ['api/image', { api: { image: 'Nginx Latest' } }],
    ['balancer/bind', { balancer: { bind: 'localhost' } }],
    ['balancer/fail_timeout', { balancer: { fail_timeout: '10' } }],
    ['balancer/keepalive', { balancer: { keepalive: 2000 } }],
    ['postgres/database', { postgres: { database: 'My-DB' } }],
    ['postgres/max_connections', { postgres: { max_connections: 5 } }],
  ])('rejects a bad %s', (path, extra) => {
    const errors = errorsOf(validateSpec({ name: 'shop', ...extra }));
    expect(errors.map((e) => e.path)).toContain(path);
  });
});

describe('validateSpec: phase two (cross checks)', () => {
  it('rejects backup_nodes equal to replicas', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicas: 2 }, balancer: { backup_nodes: 2 } }));
    expect(errors).toEqual([
      {
        path: 'balancer/backup_nodes',
        message: 'must be less than api/replicas (2) so that at least one node takes traffic (got 2)',
      },
    ]);
  });

  it('rejects backup_nodes above replicas and accepts replicas - 1', () => {
    expect(errorsOf(validateSpec({ name: 'shop', api: { replicas: 2 }, balancer: { backup_nodes: 5 } }))[0]!.path).toBe(
      'balancer/backup_nodes',
    );
    expect(specOf(validateSpec({ name: 'shop', api: { replicas: 2 }, balancer: { backup_nodes: 1 } })).balancer.backup_nodes).toBe(1);
  });

  it('rejects backup nodes with ip_hash, and accepts them with least_conn', () => {
    const errors = errorsOf(
      validateSpec({ name: 'shop', api: { replicas: 4 }, balancer: { algorithm: 'ip_hash', backup_nodes: 1 } }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('balancer/backup_nodes');
    expect(errors[0]!.message).toContain('ip_hash');
    expect(specOf(validateSpec({ name: 'shop', api: { replicas: 4 }, balancer: { algorithm: 'least_conn', backup_nodes: 1 } })).balancer.algorithm).toBe('least_conn');
    expect(specOf(validateSpec({ name: 'shop', balancer: { algorithm: 'ip_hash' } })).balancer.algorithm).toBe('ip_hash');
  });

  it('runs only after the schema passes (no cross-check noise on a broken spec)', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicas: 0 }, balancer: { backup_nodes: 1 } }));
    expect(errors.map((e) => e.path)).toEqual(['api/replicas']);
  });

  it('crossChecks reports both rules together', () => {
    const parsed = specOf(validateSpec({ name: 'shop', api: { replicas: 2 } }));
    const errors = crossChecks({ ...parsed, balancer: { ...parsed.balancer, algorithm: 'ip_hash', backup_nodes: 2 } });
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e.path === 'balancer/backup_nodes')).toBe(true);
  });
});

describe('data tier options', () => {
  it('accepts replicas, pool and Redis options', () => {
    const spec = specOf(
      validateSpec({
        name: 'shop',
        postgres: { replicas: 2, pool: 20, max_slot_wal_keep_size: '512MB' },
        redis: { maxmemory: '256m', eviction: 'allkeys-lru', persistence: 'aof', password: false },
      }),
    );
    expect(spec.postgres).toMatchObject({ replicas: 2, pool: 20, max_slot_wal_keep_size: '512MB' });
    expect(spec.redis).toMatchObject({ maxmemory: '256m', eviction: 'allkeys-lru', persistence: 'aof', password: false });
  });

  it.each([
    ['postgres/replicas', { postgres: { replicas: 9 } }, 'between 0 and 8'],
    ['postgres/pool', { postgres: { pool: 0 } }, 'between 1 and 1000'],
    ['postgres/max_slot_wal_keep_size', { postgres: { max_slot_wal_keep_size: '1g' } }, '512MB or 1GB'],
    ['redis/eviction', { redis: { eviction: 'lru' } }, 'allkeys-lru'],
    ['redis/persistence', { redis: { persistence: 'rdb' } }, 'none or aof'],
    ['redis/maxmemory', { redis: { maxmemory: 'lots' } }, '256m'],
  ])('rejects a bad %s', (path, section, fragment) => {
    const errors = errorsOf(validateSpec({ name: 'shop', ...section }));
    expect(errors.map((e) => e.path)).toEqual([path]);
    expect(errors[0]!.message).toContain(fragment);
  });

  it('rejects node pools that exceed max_connections, with the numbers', () => {
    const errors = errorsOf(validateSpec({ name: 'shop', api: { replicas: 5 }, postgres: { pool: 30, max_connections: 100 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('postgres/pool');
    expect(errors[0]!.message).toBe(
      '(api/replicas 5 + worker/replicas 1) × postgres/pool 30 = 180 connections, over postgres/max_connections 100 minus 5 reserved (95): ' +
        'lower postgres/pool or api/replicas, or raise postgres/max_connections',
    );
  });

  it('accepts pools that fit exactly', () => {
    // (3 + 1) × 20 = 80 ≤ 85 = 90 − 5
    expect(validateSpec({ name: 'shop', postgres: { pool: 20, max_connections: 90 } }).ok).toBe(true);
    expect(validateSpec({ name: 'shop', worker: { replicas: 0 }, api: { replicas: 1 }, postgres: { pool: 95, max_connections: 100 } }).ok).toBe(true);
    expect(validateSpec({ name: 'shop', worker: { replicas: 0 }, api: { replicas: 1 }, postgres: { pool: 96, max_connections: 100 } }).ok).toBe(false);
  });

  it('gives the line of the pool in YAML', () => {
    const r = parseSpecYaml('name: shop\napi:\n  replicas: 5\npostgres:\n  max_connections: 100\n  pool: 30\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.line).toBe(6);
  });
});

describe('image sets', () => {
  it('uses the official images by default', () => {
    const spec = specOf(validateSpec({ name: 'shop' }));
    expect([spec.api.image, spec.balancer.image, spec.redis.image, spec.postgres.image]).toEqual([
      'scaledeck/api-template:0.1.0',
      'nginx:1.27',
      'redis:7.4',
      'postgres:16',
    ]);
  });

  it('fills only unset images from the test set', () => {
    const spec = specOf(validateSpec({ name: 'shop', api: { image: 'mine/api:2' }, redis: { image: 'valkey/valkey:8' } }, 'test'));
    expect(spec.api.image).toBe('mine/api:2');
    expect(spec.redis.image).toBe('valkey/valkey:8');
    expect(spec.balancer.image).toBe(IMAGE_SETS.test.balancer);
    expect(spec.postgres.image).toBe(IMAGE_SETS.test.postgres);
  });

  it('applies through parseSpecYaml too', () => {
    const spec = specOf(parseSpecYaml('name: shop\n', 'test'));
    expect(spec.api.image).toBe('scaledeck-test/api:1');
  });

  it('parseImageSet accepts official, test and empty, and rejects anything else', () => {
    expect(parseImageSet(undefined)).toBe('official');
    expect(parseImageSet('')).toBe('official');
    expect(parseImageSet('official')).toBe('official');
    expect(parseImageSet('test')).toBe('test');
    expect(() => parseImageSet('TEST')).toThrow(/SCALEDECK_IMAGES.*"TEST"/);
  });
});

describe('parseSpecYaml', () => {
  it('parses a valid document', () => {
    const spec = specOf(parseSpecYaml('name: shop\napi:\n  replicas: 4\n  env:\n    LOG: debug\n'));
    expect(spec.api.replicas).toBe(4);
    expect(spec.api.env).toEqual({ LOG: 'debug' });
  });

  it('attaches the line of the offending value to a path error', () => {
    const errors = errorsOf(parseSpecYaml('name: shop\napi:\n  port: 3000\n  replicas: 0\n'));
    expect(errors).toEqual([{ path: 'api/replicas', message: 'must be between 1 and 64 (got 0)', line: 4 }]);
    expect(formatSpecErrors(errors, 'shop.yaml')).toBe(
      'shop.yaml is not valid (1 problem):\n  api/replicas: must be between 1 and 64 (got 0) (line 4)',
    );
  });

  it('attaches lines to unknown keys at both levels', () => {
    const errors = errorsOf(parseSpecYaml('name: shop\napi:\n  replicaz: 3\nfoo: 1\n'));
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['api/replicaz', 3],
      ['foo', 4],
    ]);
  });

  it('attaches the line to cross-check errors', () => {
    const errors = errorsOf(parseSpecYaml('name: shop\napi:\n  replicas: 2\nbalancer:\n  backup_nodes: 2\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('balancer/backup_nodes');
    expect(errors[0]!.line).toBe(5);
  });

  it('leaves the line out when the path is not in the document (missing name)', () => {
    const errors = errorsOf(parseSpecYaml('api:\n  replicas: 2\n'));
    expect(errors).toEqual([{ path: 'name', message: 'must be a cluster name (got nothing)' }]);
  });

  it('rejects invalid YAML with an "invalid YAML" message and no path', () => {
    const errors = errorsOf(parseSpecYaml('name: shop\napi:\n  replicas: [1\n'));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.path).toBe('');
    expect(errors[0]!.message).toMatch(/^invalid YAML: /);
    expect(errors[0]!.message).not.toContain('\n');
  });

  it('rejects duplicate keys', () => {
    const errors = errorsOf(parseSpecYaml('name: shop\nname: other\n'));
    expect(errors[0]!.message).toMatch(/invalid YAML: .*unique/i);
  });

  it('gives YAML syntax errors a line number, without repeating it in the message', () => {
    const errors = errorsOf(parseSpecYaml('name: shop\napi:\n  replicas: [1\n'));
    expect(errors[0]!.line).toBeGreaterThanOrEqual(3);
    const dup = errorsOf(parseSpecYaml('name: shop\nname: other\n'));
    expect(dup[0]!.line).toBe(2);
    expect(dup[0]!.message).not.toMatch(/at line \d+/);
    expect(formatSpecErrors(dup)).toMatch(/\(line 2\)$/);
  });

  it('rejects an empty document', () => {
    expect(errorsOf(parseSpecYaml(''))[0]!.message).toContain('must be a mapping');
  });

  it('parseSpecOrThrow throws a SpecValidationError carrying the errors and the source', () => {
    let caught: unknown;
    try {
      parseSpecOrThrow('name: shop\napi:\n  replicas: 0\n', 'official', 'spec.yaml');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    const e = caught as SpecValidationError;
    expect(e.errors).toHaveLength(1);
    expect(e.message).toBe('spec.yaml is not valid (1 problem):\n  api/replicas: must be between 1 and 64 (got 0) (line 3)');
    expect(parseSpecOrThrow('name: shop\n').name).toBe('shop');
  });

  it('formatSpecErrors pluralizes and labels whole-document errors', () => {
    const text = formatSpecErrors([
      { path: '', message: 'a' },
      { path: 'x', message: 'b', line: 2 },
    ]);
    expect(text).toBe('The cluster spec is not valid (2 problems):\n  (spec): a\n  x: b (line 2)');
  });
});

describe('specToYaml', () => {
  it('round-trips a spec through YAML', () => {
    const spec = specOf(validateSpec({ name: 'shop', api: { replicas: 5, env: { A: 'b' } }, balancer: { algorithm: 'least_conn' } }));
    const again = specOf(parseSpecYaml(specToYaml(spec)));
    expect(again).toEqual(spec);
  });
});

describe('presets', () => {
  it.each(PRESETS.map((p) => p.id))('preset %s validates', (id) => {
    expect(specOf(validateSpec(findPreset(id).spec('demo'))).name).toBe('demo');
  });

  it('has unique ids and the documented shapes', () => {
    expect(new Set(PRESETS.map((p) => p.id)).size).toBe(PRESETS.length);
    const starter = specOf(validateSpec(findPreset('starter').spec('s')));
    expect([starter.api.replicas, starter.balancer.algorithm, starter.balancer.port]).toEqual([3, 'round_robin', 8080]);
    const busy = specOf(validateSpec(findPreset('busy').spec('s')));
    expect([busy.api.replicas, busy.balancer.algorithm, busy.balancer.backup_nodes]).toEqual([6, 'least_conn', 1]);
    expect(specOf(validateSpec(findPreset('tiny').spec('s'))).api.replicas).toBe(2);
  });

  it('findPreset names the known presets for an unknown id', () => {
    expect(() => findPreset('huge')).toThrow('Unknown preset "huge". Presets: starter, tiny, busy');
  });
});
