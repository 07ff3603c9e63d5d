import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { UpgradeRecord } from '../../shared/api/types.ts';
import { startProbe } from '../../electron/upgrades/probe.ts';
import { cli, destroyCluster, docker, freePort, specYaml, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * `npm run bench -- upgrade`: the same 3-node API upgrade under the same load (200 req/s, GET and
 * POST through the balancer), done by ScaleDeck (rolling) and by `docker-compose up -d` with the
 * exported compose file and the new image, in the same run: time and failed requests of each.
 * Then a blue-green switch: time from the switch command to all traffic on green (switch_ms).
 */
const exec = promisify(execFile);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const mix = [
  { method: 'GET' as const, path: '/', weight: 4 },
  { method: 'POST' as const, path: '/', body: '{}', weight: 1 },
];
const failedOf = (phases: Record<string, { failed: number }>) => Object.values(phases).reduce((a, p) => a + p.failed, 0);

const home = tempDir();
const tag = uniqueName('bup');
const NEXT = `scaledeck-test/api:bench-${tag}`;
await docker('tag', 'scaledeck-test/api:1', NEXT);

// ScaleDeck, rolling, with its own probe.
const name = uniqueName('bsu');
const port = await freePort();
// Filled in as each part runs; -1 means that part did not finish.
const scaledeck = { seconds: 0, failed: -1, sent: 0 };
const bg = { switchMs: -1 };
try {
  const spec = writeSpec(home, specYaml(name, port, 3));
  if ((await cli(['up', spec], home)).code !== 0) throw new Error('up failed');
  const t0 = performance.now();
  const r = await cli(['upgrade', name, '--image', NEXT, '--strategy', 'rolling', '--probe-rate', String(RATE)], home);
  const seconds = (performance.now() - t0) / 1000;
  const recs = JSON.parse((await cli(['upgrades', name, '--json'], home)).stdout) as { upgrades: UpgradeRecord[] };
  const rec = recs.upgrades[0]!;
  if (r.code !== 0) throw new Error(`upgrade failed: ${r.stderr}`);
  Object.assign(scaledeck, { seconds, failed: failedOf(rec.probe!.phases), sent: Object.values(rec.probe!.phases).reduce((a, p) => a + p.sent, 0) });
  console.log(`scaledeck rolling: ${seconds.toFixed(1)} s, ${scaledeck.sent} requests, ${scaledeck.failed} failed`);

  const bgRun = await cli(['upgrade', name, '--image', 'scaledeck-test/api:1', '--strategy', 'blue-green', '--probe-rate', String(RATE)], home);
  if (bgRun.code !== 0) throw new Error(`blue-green failed: ${bgRun.stderr}`);
  const bgRec = (JSON.parse((await cli(['upgrades', name, '--json'], home)).stdout) as { upgrades: UpgradeRecord[] }).upgrades[0]!;
  bg.switchMs = bgRec.switchMs ?? -1;
  console.log(`scaledeck blue-green: switch ${bg.switchMs} ms, ${failedOf(bgRec.probe!.phases)} failed`);
} finally {
  await cli(['down', name], home);
  await destroyCluster(name);
}

// docker-compose: export, up, then change the image and `up -d` again under the same load.
const project = uniqueName('bcu');
const dir = tempDir('scaledeck-bench-upgrade-');
const cport = await freePort();
const compose = { seconds: 0, failed: -1, sent: 0 };
const dc = (...args: string[]) => exec('docker-compose', ['-p', project, ...args], { cwd: dir });
try {
  const spec = writeSpec(home, specYaml(project, cport, 3), `${project}.yaml`);
  if ((await cli(['export', spec, '--out', dir], home)).code !== 0) throw new Error('export failed');
  writeFileSync(join(dir, '.env'), 'POSTGRES_PASSWORD=benchSecret123\nJWT_SECRET=benchJwtSecretForUpgrade123\n');
  await dc('up', '-d');
  for (let i = 0; i < 600; i++) {
    const ids = (await dc('ps', '-q')).stdout.trim().split('\n').filter(Boolean);
    const h = ids.length === 7 ? (await docker('inspect', '-f', '{{.State.Health.Status}}', ...ids)).split('\n') : [];
    if (h.length === 7 && h.every((x) => x === 'healthy')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll('image: scaledeck-test/api:1', `image: ${NEXT}`));
  const probe = startProbe({ url: `http://127.0.0.1:${cport}/`, rate: RATE, maxMs: 300_000, mix });
  await new Promise((r) => setTimeout(r, 2000));
  probe.phase('during');
  const t0 = performance.now();
  await dc('up', '-d');
  // Until the new nodes are healthy again, as ScaleDeck's upgrade ends with them healthy.
  for (let i = 0; i < 600; i++) {
    const ids = (await dc('ps', '-q')).stdout.trim().split('\n').filter(Boolean);
    const h = (await docker('inspect', '-f', '{{.State.Health.Status}}', ...ids)).split('\n');
    if (h.every((x) => x === 'healthy')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - t0) / 1000;
  probe.phase('after');
  await new Promise((r) => setTimeout(r, 2000));
  const res = await probe.stop();
  Object.assign(compose, { seconds, failed: failedOf(res.phases), sent: Object.values(res.phases).reduce((a, p) => a + p.sent, 0) });
  console.log(`docker-compose up -d: ${seconds.toFixed(1)} s, ${compose.sent} requests, ${compose.failed} failed (${res.phases.during.errors.slice(0, 3).join('; ')})`);
} finally {
  await dc('down', '-v', '--remove-orphans').catch(() => undefined);
  await docker('rmi', NEXT).catch(() => '');
}

console.log(
  JSON.stringify({
    bench: 'upgrade',
    rate: RATE,
    scaledeck_s: Math.round(scaledeck.seconds * 10) / 10,
    failed_scaledeck: scaledeck.failed,
    compose_s: Math.round(compose.seconds * 10) / 10,
    failed_compose: compose.failed,
    switch_ms: bg.switchMs,
    peer: 'docker-compose 1.29 up -d with the exported compose file and a changed image',
  }),
);
process.exit(0);
