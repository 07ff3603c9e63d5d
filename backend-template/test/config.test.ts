// Configuration from the environment, checked at start; and standalone mode (no backing services).
import { describe, expect, it, beforeAll } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../src/config.ts';
import { NodeProc, buildTemplate, req } from './helpers.ts';

const FULL = {
  DATABASE_URL: 'postgres://app:s3cret-pw@postgres:5432/app',
  REDIS_URL: 'redis://redis:6379',
  JWT_SECRET: 'a-very-random-jwt-secret',
  NODE_NAME: 'api-1',
};

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('loadConfig', () => {
  it('accepts what ScaleDeck passes (an empty DATABASE_REPLICA_URLS included)', () => {
    const c = loadConfig({ ...FULL, PORT: '3000', DATABASE_REPLICA_URLS: '' });
    expect(c).toMatchObject({ mode: 'full', port: 3000, nodeName: 'api-1', replicaUrls: [], rateLimit: { max: 300, windowSeconds: 60 } });
    expect(c.shutdownTimeoutMs).toBeLessThan(15_000); // the container's stop timeout
  });

  it('parses a replica list', () => {
    const c = loadConfig({ ...FULL, DATABASE_REPLICA_URLS: ' postgres://app:pw@r1:5432/app , postgresql://app:pw@r2/app,' });
    expect(c.replicaUrls).toEqual(['postgres://app:pw@r1:5432/app', 'postgresql://app:pw@r2/app']);
  });

  it('reports every problem at once, one clear line each, without echoing secrets', () => {
    const p = problems({ DATABASE_URL: 'mysql://root:hunter2@db/x', REDIS_URL: 'not a url', JWT_SECRET: 'tiny-val', PORT: '70000', LOG_LEVEL: 'loud', RATE_LIMIT_MAX: 'many' });
    expect(p).toEqual([
      'DATABASE_URL must start with postgres:// or postgresql:// (got mysql://…; expected like postgres://app:PASSWORD@postgres:5432/app)',
      'REDIS_URL is not a valid URL (expected like redis://redis:6379)',
      'JWT_SECRET is too short (8 characters; at least 16)',
      'PORT must be a whole number from 0 to 65535 (got "70000")',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'RATE_LIMIT_MAX must be a whole number from 1 to 1000000000 (got "many")',
    ]);
    expect(p.join('\n')).not.toContain('hunter2');
    expect(p.join('\n')).not.toContain('tiny-val');
  });

  it('names each missing variable when only some are set', () => {
    expect(problems({ DATABASE_URL: FULL.DATABASE_URL })).toEqual([
      'REDIS_URL is not set (like redis://redis:6379)',
      'JWT_SECRET is not set (a random string of at least 16 characters)',
    ]);
    expect(problems({ ...FULL, DATABASE_URL: 'postgres://app:pw@postgres:5432' })).toEqual([
      'DATABASE_URL names no database (expected like postgres://app:PASSWORD@postgres:5432/app)',
    ]);
    expect(problems({ ...FULL, DATABASE_REPLICA_URLS: 'postgres://a:b@r1/app,http://r2' })[0]).toMatch(/^DATABASE_REPLICA_URLS \(entry 2\) must start with postgres:\/\//);
    expect(problems({ ...FULL, CORS_ORIGINS: 'https://ok.example,*' })[0]).toMatch(/^CORS_ORIGINS entries must be origins/);
  });

  it('none of the three set: standalone mode', () => {
    expect(loadConfig({ NODE_NAME: 'x' }).mode).toBe('standalone');
  });

  it('describeConfig (what gets logged) has no password or JWT secret', () => {
    const text = JSON.stringify(describeConfig(loadConfig({ ...FULL, DATABASE_REPLICA_URLS: 'postgres://app:replica-pw@r1:5432/app' })));
    expect(text).toContain('postgres://postgres:5432/app');
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('replica-pw');
    expect(text).not.toContain(FULL.JWT_SECRET);
  });
});

describe('the process', () => {
  beforeAll(() => buildTemplate());

  it('exits 1 on bad configuration, with one line per problem on stderr', async () => {
    for (const script of ['server', 'worker'] as const) {
      const n = await NodeProc.start({ DATABASE_URL: 'postgres://app:pw@127.0.0.1:1/app', JWT_SECRET: 'x' }, { script });
      const exit = await n.exited;
      expect(exit.code).toBe(1);
      expect(n.output).toContain('invalid configuration');
      expect(n.output).toContain('  - REDIS_URL is not set');
      expect(n.output).toContain('  - JWT_SECRET is too short');
    }
  });

  it('standalone mode (no DATABASE_URL/REDIS_URL/JWT_SECRET): /, /health, /ready answer; /api says why not', async () => {
    const n = await NodeProc.start({ NODE_NAME: 'solo' });
    await n.waitReady(10_000);
    expect((await req(n.url, 'GET', '/')).json.node).toBe('solo');
    expect((await req(n.url, 'GET', '/ready')).json).toEqual({ status: 'ready', mode: 'standalone' });
    const api = await req(n.url, 'GET', '/api/users/1');
    expect(api.status).toBe(503);
    expect(api.json.message).toMatch(/standalone mode: set DATABASE_URL, REDIS_URL and JWT_SECRET/);
    expect(n.logs().some((l) => l.level === 'warn' && String(l.msg).startsWith('standalone mode'))).toBe(true);
    const t0 = Date.now();
    expect((await n.stop()).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(9000); // before the 10 s hard exit
  });

  it('the worker needs the full configuration', async () => {
    const n = await NodeProc.start({ NODE_NAME: 'w' }, { script: 'worker' });
    expect((await n.exited).code).toBe(1);
    expect(n.output).toContain('the worker needs DATABASE_URL, REDIS_URL and JWT_SECRET');
  });
});
