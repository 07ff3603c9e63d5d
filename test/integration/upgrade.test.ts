import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../shared/api/types.ts';
import { startProbe } from '../../electron/upgrades/probe.ts';
import { cli, destroyCluster, docker, freePort, nodesSeen, specYaml, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * Zero-downtime upgrades on the real engine, under 200 req/s of GET and POST through the balancer:
 * rolling, blue-green with a rollback, and a new image that never becomes ready.
 */
const name = uniqueName('upg');
const home = tempDir();
let url = '';
const NEXT = `scaledeck-test/api:upgrade-${name}`;
const BROKEN = `scaledeck-test/api-never-ready:${name}`;

const lastRecord = async (): Promise<UpgradeRecord> => {
  const r = await cli(['upgrades', name, '--json'], home);
  return (JSON.parse(r.stdout) as { upgrades: UpgradeRecord[] }).upgrades[0]!;
};
const apiNodes = async () =>
  (await docker('ps', '--filter', `label=io.scaledeck.cluster=${name}`, '--filter', 'label=io.scaledeck.role=api', '--format', '{{.Names}} {{.Label "io.scaledeck.image"}}'))
    .split('\n')
    .sort();
const totalFailed = (r: UpgradeRecord) => Object.values(r.probe!.phases).reduce((a, p) => a + p.failed, 0);

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  // A "new version": the same program under a new tag (a new image reference, so a new config hash).
  await docker('tag', 'scaledeck-test/api:1', NEXT);
  // An image that is healthy (alive) but never ready.
  const dir = tempDir('scaledeck-broken-');
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scaledeck-test/node:1',
      `CMD ["node", "-e", "require('http').createServer((q, s) => { s.writeHead(q.url === '/ready' ? 503 : 200, {'content-type': 'application/json'}); s.end(JSON.stringify({ node: process.env.NODE_NAME })); }).listen(process.env.PORT || 3000); process.on('SIGTERM', () => process.exit(0));"]`,
      '',
    ].join('\n'),
  );
  await docker('build', '-q', '-t', BROKEN, dir);
  const spec = writeSpec(home, specYaml(name, port, 3));
  const r = await cli(['up', spec], home);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await destroyCluster(name);
  await docker('rmi', NEXT, BROKEN).catch(() => '');
});

describe('upgrades under load', () => {
  it('rolling: 0 failed requests, every node ends on the new image', async () => {
    const r = await cli(['upgrade', name, '--image', NEXT, '--strategy', 'rolling', '--batch', '1', '--probe-rate', '200'], home);
    expect(r.code, r.stderr).toBe(0);
    const rec = await lastRecord();
    expect(rec.state).toBe('succeeded');
    expect(rec.probe!.phases.during.sent).toBeGreaterThan(1000);
    expect(totalFailed(rec), JSON.stringify(rec.probe)).toBe(0);
    expect(await apiNodes()).toEqual([1, 2, 3].map((i) => `sd-${name}-api-${i}-green ${NEXT}`));
    // The stored spec now names the new image, so `up` has nothing to do.
    const status = await cli(['status', name, '--json'], home);
    const cluster = (JSON.parse(status.stdout) as { cluster: { containers: { upToDate: boolean }[] } }).cluster;
    expect(cluster.containers.every((c) => c.upToDate)).toBe(true);
    expect([...(await nodesSeen(url, 12)).keys()].sort()).toEqual(['api-1-green', 'api-2-green', 'api-3-green']);
  });

  it('blue-green: the switch drops nothing; rollback under load drops nothing', async () => {
    const r = await cli(['upgrade', name, '--image', 'scaledeck-test/api:1', '--strategy', 'blue-green', '--probe-rate', '200'], home);
    expect(r.code, r.stderr).toBe(0);
    const rec = await lastRecord();
    expect(rec.state).toBe('awaiting-finalize');
    expect(totalFailed(rec), JSON.stringify(rec.probe)).toBe(0);
    expect(rec.switchMs).toBeGreaterThanOrEqual(0);
    expect([...(await nodesSeen(url, 12)).keys()].sort()).toEqual(['api-1', 'api-2', 'api-3']);
    // `up` refuses while the switch is pending.
    expect((await cli(['scale', name, 'api=4'], home)).code).not.toBe(0);

    const probe = startProbe({ url, rate: 200, maxMs: 120_000, mix: [{ method: 'GET', path: '/', weight: 4 }, { method: 'POST', path: '/', body: '{}', weight: 1 }] });
    await new Promise((res) => setTimeout(res, 1000));
    probe.phase('during');
    const back = await cli(['rollback', name], home);
    probe.phase('after');
    await new Promise((res) => setTimeout(res, 1000));
    const figures = await probe.stop();
    expect(back.code, back.stderr).toBe(0);
    expect(figures.phases.during.sent).toBeGreaterThan(100);
    const failed = Object.values(figures.phases).reduce((a, p) => a + p.failed, 0);
    expect(failed, JSON.stringify(figures.phases)).toBe(0);
    expect([...(await nodesSeen(url, 12)).keys()].sort()).toEqual(['api-1-green', 'api-2-green', 'api-3-green']);
    expect((await lastRecord()).state).toBe('rolled-back');
  });

  it('a new image that never becomes ready: rolled back automatically, 0 failed, the record says why', async () => {
    const before = await apiNodes();
    const r = await cli(['upgrade', name, '--image', BROKEN, '--strategy', 'rolling', '--probe-rate', '200', '--gate-timeout', '20'], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rolled back');
    const rec = await lastRecord();
    expect(rec.state).toBe('rolled-back');
    expect(rec.reason).toMatch(/health gate.*\/ready answered 503/);
    expect(totalFailed(rec), JSON.stringify(rec.probe)).toBe(0);
    expect(await apiNodes()).toEqual(before);
  }, 180_000);
});
