import { describe, expect, it } from 'vitest';
import { LABEL } from '../../shared/labels.ts';
import { generateNginxConf } from '../../shared/generate/index.ts';
import { validateSpec, type ClusterSpec, type ClusterSpecInput } from '../../shared/spec/index.ts';
import { buildDesired, canonicalJson, sha256, type DesiredState } from './desired.ts';

function spec(input: ClusterSpecInput): ClusterSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}

const secrets = { POSTGRES_PASSWORD: 'pw-one', JWT_SECRET: 'jwt-one', REPLICATION_PASSWORD: 'rpw', REDIS_PASSWORD: 'rdpw' };
const hashOf = (d: DesiredState, service: string) => {
  const c = d.containers.find((x) => x.service === service);
  if (!c) throw new Error(`no ${service}`);
  return c.configHash;
};

describe('canonicalJson', () => {
  it('does not depend on property order, at any depth', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 'x' } };
    const b = { a: { x: 'x', y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"x","y":[1,{"p":2,"q":1}]},"b":1}');
  });

  it('keeps array order significant', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('drops undefined properties, like JSON.stringify', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('encodes scalars and null as JSON', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson({ 'k"ey': true })).toBe('{"k\\"ey":true}');
  });

  it('sha256 is hex sha-256', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('buildDesired', () => {
  const base = buildDesired(spec({ name: 'shop' }), secrets);

  it('describes network, volumes and every container with its config-hash label', () => {
    expect(base.cluster).toBe('shop');
    expect(base.network).toBe('sd-shop');
    expect(base.volumes).toEqual(['sd-shop-pgdata']);
    expect(base.containers.map((c) => c.service)).toEqual(['postgres', 'redis', 'api-1', 'api-2', 'api-3', 'worker-1', 'balancer']);
    for (const c of base.containers) {
      expect(c.configHash).toMatch(/^[0-9a-f]{64}$/);
      expect(c.options.Labels[LABEL.configHash]).toBe(c.configHash);
    }
    expect(base.nginxConf).toBe(generateNginxConf(spec({ name: 'shop' })));
    expect(base.nginxConfHash).toBe(sha256(base.nginxConf));
  });

  it('gives every container a different hash', () => {
    expect(new Set(base.containers.map((c) => c.configHash)).size).toBe(base.containers.length);
  });

  it('is deterministic', () => {
    const again = buildDesired(spec({ name: 'shop' }), secrets);
    expect(again.containers.map((c) => c.configHash)).toEqual(base.containers.map((c) => c.configHash));
  });

  // BUG (electron/engine/desired.ts / shared/generate/create-options.ts): Env is an array in the
  // order the user wrote the keys, and canonicalJson keeps array order, so reordering api/env in
  // the YAML recreates every API node. Remove `.fails` once the hashed Env is sorted.
  it('does not depend on the order in which env was written', () => {
    const a = buildDesired(spec({ name: 'shop', api: { env: { A: '1', B: '2' } } }), secrets);
    const b = buildDesired(spec({ name: 'shop', api: { env: { B: '2', A: '1' } } }), secrets);
    expect(hashOf(a, 'api-1')).toBe(hashOf(b, 'api-1'));
  });

  it('changes the API hash when the API image or env changes, and only the API hashes', () => {
    const img = buildDesired(spec({ name: 'shop', api: { image: 'mine/api:2' } }), secrets);
    const env = buildDesired(spec({ name: 'shop', api: { env: { FEATURE: 'on' } } }), secrets);
    for (const d of [img, env]) {
      for (const key of ['api-1', 'api-2', 'api-3']) expect(hashOf(d, key)).not.toBe(hashOf(base, key));
      for (const key of ['postgres', 'redis', 'balancer']) expect(hashOf(d, key)).toBe(hashOf(base, key));
    }
  });

  it('changes the Redis hash when its image changes', () => {
    const d = buildDesired(spec({ name: 'shop', redis: { image: 'valkey/valkey:8' } }), secrets);
    expect(hashOf(d, 'redis')).not.toBe(hashOf(base, 'redis'));
    expect(hashOf(d, 'postgres')).toBe(hashOf(base, 'postgres'));
  });

  it('changes the Postgres hash when max_connections changes (it is in the command)', () => {
    const d = buildDesired(spec({ name: 'shop', postgres: { max_connections: 200 } }), secrets);
    expect(hashOf(d, 'postgres')).not.toBe(hashOf(base, 'postgres'));
  });

  it('changes Postgres and API hashes when the secret changes', () => {
    const d = buildDesired(spec({ name: 'shop' }), { POSTGRES_PASSWORD: 'pw-two', JWT_SECRET: 'jwt-one', REPLICATION_PASSWORD: 'rpw', REDIS_PASSWORD: 'rdpw' });
    expect(hashOf(d, 'postgres')).not.toBe(hashOf(base, 'postgres'));
    expect(hashOf(d, 'api-1')).not.toBe(hashOf(base, 'api-1'));
    expect(hashOf(d, 'redis')).toBe(hashOf(base, 'redis'));
  });

  it('keeps the balancer hash when only api replicas change, so scaling reloads NGINX instead of recreating it', () => {
    const five = buildDesired(spec({ name: 'shop', api: { replicas: 5 } }), secrets);
    expect(hashOf(five, 'balancer')).toBe(hashOf(base, 'balancer'));
    expect(five.nginxConfHash).not.toBe(base.nginxConfHash);
    // Existing nodes keep their hash too: scaling touches only the nodes that come or go.
    for (const key of ['api-1', 'api-2', 'api-3', 'postgres', 'redis']) expect(hashOf(five, key)).toBe(hashOf(base, key));
  });

  it('keeps the balancer hash for upstream-only changes (algorithm, backup nodes)', () => {
    const d = buildDesired(spec({ name: 'shop', balancer: { algorithm: 'least_conn', backup_nodes: 1 } }), secrets);
    expect(hashOf(d, 'balancer')).toBe(hashOf(base, 'balancer'));
    expect(d.nginxConfHash).not.toBe(base.nginxConfHash);
  });

  it('changes the balancer hash when its published port or image changes', () => {
    expect(hashOf(buildDesired(spec({ name: 'shop', balancer: { port: 9090 } }), secrets), 'balancer')).not.toBe(hashOf(base, 'balancer'));
    expect(hashOf(buildDesired(spec({ name: 'shop', balancer: { image: 'nginx:1.28' } }), secrets), 'balancer')).not.toBe(
      hashOf(base, 'balancer'),
    );
  });

  it('hashes per cluster (names and labels differ)', () => {
    const other = buildDesired(spec({ name: 'other' }), secrets);
    expect(hashOf(other, 'redis')).not.toBe(hashOf(base, 'redis'));
  });
});
