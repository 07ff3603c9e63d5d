import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, destroyCluster, docker, freePort, specYaml, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * `npm run bench -- up`: time from `scaledeck up` to all-healthy for the starter cluster (images
 * present), against `docker-compose up -d` of the exported compose file plus polling until the
 * same containers are healthy. Same machine, same run, alternating, medians of 3.
 * Also the time of an `up` with nothing to change (noop_s).
 */
const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x * 1000) / 1000;

async function scaledeckRun(home: string): Promise<{ up: number; noop: number[] }> {
  const name = uniqueName('bsd');
  const spec = writeSpec(home, specYaml(name, await freePort(), 3), `${name}.yaml`);
  try {
    const t0 = performance.now();
    const r = await cli(['up', spec], home);
    const up = (performance.now() - t0) / 1000;
    if (r.code !== 0) throw new Error(`scaledeck up failed: ${r.stderr}`);
    const noop: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t1 = performance.now();
      const n = await cli(['up', spec], home);
      noop.push((performance.now() - t1) / 1000);
      if (!n.stdout.includes('nothing to do')) throw new Error(`second up was not a no-op: ${n.stdout}`);
    }
    return { up, noop };
  } finally {
    await cli(['down', name], home);
    await destroyCluster(name);
  }
}

async function composeRun(home: string): Promise<number> {
  const project = uniqueName('bcp');
  const dir = tempDir('scaledeck-bench-');
  const spec = writeSpec(home, specYaml(project, await freePort(), 3), `${project}.yaml`);
  const ex = await cli(['export', spec, '--out', dir], home);
  if (ex.code !== 0) throw new Error(ex.stderr);
  writeFileSync(join(dir, '.env'), 'POSTGRES_PASSWORD=benchSecret123\nJWT_SECRET=benchJwtSecret123\n');
  const compose = (...args: string[]) => exec('docker-compose', ['-p', project, ...args], { cwd: dir });
  try {
    const t0 = performance.now();
    await compose('up', '-d');
    for (;;) {
      const ids = (await compose('ps', '-q')).stdout.trim().split('\n').filter(Boolean);
      if (ids.length === 7) {
        const health = (await docker('inspect', '-f', '{{.State.Health.Status}}', ...ids)).split('\n');
        if (health.every((h) => h === 'healthy')) break;
      }
      if (performance.now() - t0 > 180_000) throw new Error('compose cluster not healthy after 180 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await compose('down', '-v', '--remove-orphans').catch(() => undefined);
  }
}

const home = tempDir();
const sd: number[] = [];
const cp: number[] = [];
const noop: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const a = await scaledeckRun(home);
  sd.push(a.up);
  noop.push(...a.noop);
  const b = await composeRun(home);
  cp.push(b);
  console.log(`run ${i + 1}: scaledeck up ${a.up.toFixed(2)} s, docker-compose up + wait healthy ${b.toFixed(2)} s, no-op up ${a.noop.map((x) => x.toFixed(2)).join('/')} s`);
}
const result = {
  bench: 'up',
  runs: RUNS,
  scaledeck_up_s: round(median(sd)),
  compose_up_s: round(median(cp)),
  up_vs_compose: round(median(sd) / median(cp)),
  noop_s: round(median(noop)),
  peer: 'docker-compose 1.29 up -d + polling docker inspect every 200 ms',
};
console.log(`median: scaledeck ${result.scaledeck_up_s} s, compose ${result.compose_up_s} s, ratio ${result.up_vs_compose} (target <= 1.0); no-op ${result.noop_s} s (target < 1)`);
console.log(JSON.stringify(result));
process.exit(0);
