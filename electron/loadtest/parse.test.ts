import { describe, expect, it } from 'vitest';
import { startLoadTest } from './engine.ts';
import {
  checkTarget,
  LoadTestDefinitionError,
  LoadTestTargetError,
  normalizeDefinition,
  parseDuration,
  parseStages,
  parseThreshold,
  targetAt,
} from './parse.ts';
import { definitionFromArgs } from './cli.ts';

describe('durations and stages', () => {
  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(1200)).toBe(1200);
    expect(parseDuration('1200')).toBe(1200);
    for (const bad of ['', 'abc', '30 s', '1x', '-5s', 's']) {
      expect(() => parseDuration(bad), bad).toThrow(LoadTestDefinitionError);
    }
    expect(() => parseDuration(-1)).toThrow(/duration >= 0/);
  });

  it('parses duration:target stages', () => {
    expect(parseStages('30s:50,1m:50,30s:0')).toEqual([
      { durationMs: 30_000, target: 50 },
      { durationMs: 60_000, target: 50 },
      { durationMs: 30_000, target: 0 },
    ]);
    expect(parseStages(' 10s:100 , 5s:2.5 ')).toEqual([
      { durationMs: 10_000, target: 100 },
      { durationMs: 5000, target: 2.5 },
    ]);
    expect(parseStages([{ duration: '1m', target: 3 }])).toEqual([{ durationMs: 60_000, target: 3 }]);
    expect(() => parseStages('30s')).toThrow(/stages\[0\]: "30s" is not duration:target/);
    expect(() => parseStages('30s:-1')).toThrow(LoadTestDefinitionError);
    expect(() => parseStages('1q:5')).toThrow(/stages\[0\].duration/);
    expect(() => parseStages('')).toThrow(/at least one stage/);
  });

  it('interpolates targets linearly between stages', () => {
    const st = parseStages('10s:100,10s:100,10s:0');
    expect(targetAt(0, st, 0)).toBe(0);
    expect(targetAt(0, st, 5000)).toBe(50);
    expect(targetAt(0, st, 15_000)).toBe(100);
    expect(targetAt(0, st, 25_000)).toBe(50);
    expect(targetAt(0, st, 40_000)).toBe(0);
    expect(targetAt(20, parseStages('0s:80,10s:80'), 1)).toBe(80);
  });
});

describe('thresholds', () => {
  it('parses latency, error, drop and rate thresholds', () => {
    expect(parseThreshold('p95<500')).toEqual({ expr: 'p95<500', metric: 'p95', op: '<', value: 500, abortOnFail: false });
    expect(parseThreshold('p99<=800')).toMatchObject({ metric: 'p99', op: '<=', value: 800 });
    expect(parseThreshold('p99 <= 800ms')).toMatchObject({ metric: 'p99', op: '<=', value: 800 });
    expect(parseThreshold('p95<1.5s')).toMatchObject({ value: 1500 });
    expect(parseThreshold('p99.9<2000')).toMatchObject({ metric: 'p99.9' });
    expect(parseThreshold('max<3s')).toMatchObject({ metric: 'max', value: 3000 });
    expect(parseThreshold('avg<100')).toMatchObject({ metric: 'avg' });
    expect(parseThreshold('error_rate<1%')).toMatchObject({ metric: 'error_rate', op: '<', value: 0.01 });
    expect(parseThreshold('error_rate<0.05')).toMatchObject({ value: 0.05 });
    expect(parseThreshold('drop_rate<=0.5%')).toMatchObject({ metric: 'drop_rate', value: 0.005 });
    expect(parseThreshold('rate>=100')).toMatchObject({ metric: 'rate', op: '>=', value: 100 });
    expect(parseThreshold({ threshold: 'p95<500', abortOnFail: true })).toMatchObject({ abortOnFail: true });
    expect(parseThreshold('p95<500', true)).toMatchObject({ abortOnFail: true });
  });

  it('rejects malformed thresholds with a hint', () => {
    expect(() => parseThreshold('p95=500')).toThrow(/is not a threshold/);
    expect(() => parseThreshold('latency<5')).toThrow(/unknown metric/);
    expect(() => parseThreshold('p95<5%')).toThrow(/ms or s, not %/);
    expect(() => parseThreshold('error_rate<5')).toThrow(/above 1/);
    expect(() => parseThreshold('error_rate<5ms')).toThrow(/fraction or a percentage/);
    expect(() => parseThreshold('rate>=5%')).toThrow(/requests\/s/);
    try {
      parseThreshold('p95 is fine');
    } catch (err) {
      expect((err as LoadTestDefinitionError).hint).toMatch(/p95<500/);
      expect((err as LoadTestDefinitionError).code).toBe('BAD_REQUEST');
    }
  });
});

describe('definitions', () => {
  it('fills defaults and states the model', () => {
    const d = normalizeDefinition({ target: 'http://127.0.0.1:8080/', model: { kind: 'closed', stages: '30s:50,1m:50,30s:0' }, thresholds: ['p95<500'] });
    expect(d.target).toBe('http://127.0.0.1:8080');
    expect(d.model).toEqual({
      kind: 'closed',
      startVUs: 0,
      stages: parseStages('30s:50,1m:50,30s:0'),
      thinkTimeMs: { min: 0, max: 0 },
    });
    expect(d.requests).toEqual([{ name: 'GET /', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }]);
    expect(d.connections).toBe(50);
    expect(d.timeoutMs).toBe(10_000);
    expect(d.maxDurationMs).toBe(120_000 + 10_000 + 30_000);
    expect(d.thresholds[0]!.metric).toBe('p95');

    const o = normalizeDefinition({ target: 'http://localhost:1', model: { kind: 'open', rate: 200, duration: '10s' } });
    expect(o.model).toEqual({ kind: 'open', startRate: 200, stages: [{ durationMs: 10_000, target: 200 }], maxInFlight: 1000 });
    const c = normalizeDefinition({ target: 'http://localhost:1', model: { kind: 'closed', vus: 5, duration: '3s', thinkTime: { min: '10ms', max: '20ms' } } });
    expect(c.model).toMatchObject({ startVUs: 5, stages: [{ durationMs: 3000, target: 5 }], thinkTimeMs: { min: 10, max: 20 } });
  });

  it('names the offending field', () => {
    const base = { target: 'http://127.0.0.1:1', model: { kind: 'closed' as const, vus: 1, duration: '1s' } };
    expect(() => normalizeDefinition({ ...base, target: 'nope' })).toThrow(/^target: "nope" is not a URL/);
    expect(() => normalizeDefinition({ ...base, target: 'https://127.0.0.1' })).toThrow(/only http/);
    expect(() => normalizeDefinition({ ...base, model: { kind: 'open' } })).toThrow(/model.rate/);
    expect(() => normalizeDefinition({ ...base, model: { kind: 'warp' } as never })).toThrow(/model.kind/);
    expect(() => normalizeDefinition({ ...base, requests: [{ path: 'x' }] })).toThrow(/requests\[0\].path/);
    expect(() => normalizeDefinition({ ...base, requests: [{ headers: { Host: 'x' } }] })).toThrow(/set by the engine/);
    expect(() => normalizeDefinition({ ...base, connections: 0 })).toThrow(/connections/);
    expect(() => normalizeDefinition({ ...base, thresholds: ['nope'] })).toThrow(/thresholds\[0\]/);
    expect(() => normalizeDefinition({ ...base, model: { kind: 'closed', stages: '0s:5' } })).toThrow(/no duration/);
  });

  it('login flow defaults to the template API', () => {
    const d = normalizeDefinition({ target: 'http://127.0.0.1:1', model: { kind: 'closed', vus: 4 }, login: true });
    expect(d.login).toMatchObject({ registerPath: '/api/register', loginPath: '/api/login', tokenField: 'accessToken', header: 'Authorization', scheme: 'Bearer', users: 4 });
    const e = normalizeDefinition({ target: 'http://127.0.0.1:1', model: { kind: 'open', rate: 1 }, login: { tokenField: 'data.token', registerPath: null } });
    expect(e.login).toMatchObject({ registerPath: null, tokenField: 'data.token', users: 10 });
  });

  it('builds definitions from CLI flags', () => {
    const t = 'http://127.0.0.1:9';
    expect(definitionFromArgs(['c1', '--stages', '30s:50,1m:50,30s:0', '--threshold', 'p95<500'], t).input).toMatchObject({
      target: t,
      model: { kind: 'closed', stages: '30s:50,1m:50,30s:0' },
      thresholds: ['p95<500'],
    });
    expect(definitionFromArgs(['c1', '--rate', '200', '--duration', '30s'], t).input.model).toEqual({ kind: 'open', rate: 200, duration: '30s', maxInFlight: undefined });
    expect(definitionFromArgs(['--model', 'open', '--stages', '10s:100'], t).input.model).toMatchObject({ kind: 'open', stages: '10s:100', startRate: 0 });
    expect(definitionFromArgs(['--think', '10ms-20ms'], t).input.model).toMatchObject({ kind: 'closed', vus: 10, thinkTime: { min: '10ms', max: '20ms' } });
    const h = definitionFromArgs(['--path', '/api/x', '--header', 'X-A: 1', '--body', '{"a":1}'], t).input.requests;
    expect(h).toEqual([{ method: undefined, path: '/api/x', body: '{"a":1}', headers: { 'X-A': '1' } }]);
    expect(() => definitionFromArgs(['--model', 'open'], t)).toThrow(/--rate/);
    expect(() => definitionFromArgs(['--model', 'sideways'], t)).toThrow(/open or closed/);
  });
});

describe('target safety', () => {
  it('allows loopback and the allow-list only', () => {
    expect(checkTarget('http://127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080, hostHeader: '127.0.0.1:8080', basePath: '' });
    expect(checkTarget('http://localhost:81/api').host).toBe('127.0.0.1');
    expect(checkTarget('http://localhost:81/api').basePath).toBe('/api');
    expect(checkTarget('http://[::1]:81').host).toBe('::1');
    expect(checkTarget('http://127.1.2.3').port).toBe(80);
    expect(checkTarget('http://10.0.0.5:8080', { allowHosts: ['http://10.0.0.5:8080'] }).host).toBe('10.0.0.5');
    expect(checkTarget('http://lb.example.test:8080', { allowHosts: ['lb.example.test'] }).host).toBe('lb.example.test');
    expect(() => checkTarget('http://10.0.0.5:9090', { allowHosts: ['http://10.0.0.5:8080'] })).toThrow(LoadTestTargetError);
    for (const url of ['http://example.com', 'http://10.0.0.5:8080', 'http://192.168.1.1', 'http://0.0.0.0:80', 'http://128.0.0.1']) {
      expect(() => checkTarget(url), url).toThrow(/Refusing to send load/);
    }
    expect(checkTarget('http://example.com', { allowExternal: true }).host).toBe('example.com');
  });

  it('startLoadTest refuses an external target before sending anything', () => {
    let err: unknown;
    try {
      startLoadTest({ target: 'http://203.0.113.7:8080', model: { kind: 'open', rate: 10, duration: '1s' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadTestTargetError);
    expect((err as LoadTestTargetError).message).toMatch(/Refusing to send load to 203\.0\.113\.7:8080/);
    expect((err as LoadTestTargetError).hint).toMatch(/allowExternal: true/);
    expect((err as LoadTestTargetError).code).toBe('BAD_REQUEST');
  });
});
