import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EngineClient } from '../../electron/docker/client.ts';
import { MetricsHub } from '../../electron/metrics/hub.ts';
import type { MetricsBatch } from '../../electron/metrics/types.ts';
import { destroyCluster, docker, uniqueName } from '../support/cluster.ts';
import { measureRender } from './_render.ts';

/**
 * `npm run bench -- metrics`: CPU of this process while a MetricsHub follows N idle containers
 * (default 20) at 1 Hz for BENCH_SECONDS (default 60), against `docker stats --no-stream` over
 * the same containers polled at the same rate, in the same run, one after the other.
 *
 * How the peer's CPU is measured: each poll runs `sh -c 'docker stats --no-stream ... >/dev/null;
 * cat /proc/$$/stat'`. When the docker CLI has exited and been reaped, the shell's /proc stat
 * carries its children's CPU in cutime/cstime (fields 16, 17) next to its own utime/stime (14,
 * 15); the sum, in clock ticks, is the CPU one poll cost outside this process. Its share inside
 * this process (spawning it, reading its output) is process.cpuUsage() over the phase, which is
 * otherwise idle. So: docker_stats = children + this process during phase B; hub = this process
 * during phase A. The engine does the same sampling work for both (one stats read per container
 * per second); its CPU is reported too (dockerd_*), but is not part of either figure.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const COUNT = Number(process.env.BENCH_CONTAINERS ?? 20);
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
const cluster = uniqueName('bmt');
const engine = new EngineClient();
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime (+ children) of a pid, in seconds; null when it cannot be read. */
function procCpuS(pid: number | string, withChildren = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
    const at = (n: number) => Number(f[n - 3]);
    return (at(14) + at(15) + (withChildren ? at(16) + at(17) : 0)) / TICKS;
  } catch {
    return null;
  }
}

async function dockerdPid(): Promise<string | null> {
  return new Promise((res) => {
    const p = spawn('pidof', ['dockerd']);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => res(out.trim().split(/\s+/)[0] || null));
    p.on('error', () => res(null));
  });
}

const processCpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function startContainers(): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5, COUNT - i) }, async (_, j) => {
        const service = `c-${i + j + 1}`;
        const c = await engine.docker.createContainer({
          name: `sd-${cluster}-${service}`,
          Image: 'scaledeck-test/node:1',
          Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
          Labels: { 'io.scaledeck.cluster': cluster, 'io.scaledeck.role': 'bench', 'io.scaledeck.service': service },
          HostConfig: { Memory: 64 * 1024 * 1024 },
        });
        await c.start();
        return c.id;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

async function hubPhase(dockerd: string | null) {
  const hub = new MetricsHub({ engine, cluster });
  let batches = 0;
  let points = 0;
  hub.subscribe((b: MetricsBatch) => {
    batches++;
    for (const list of Object.values(b.points)) points += list.length;
    JSON.stringify(b); // what a transport would do with it
  });
  await hub.start();
  await sleep(3000); // streams open, first samples in
  const b0 = batches;
  const p0 = points;
  const cpu0 = processCpuS();
  const d0 = dockerd ? procCpuS(dockerd) : null;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = processCpuS() - cpu0;
  const d = dockerd && d0 !== null ? procCpuS(dockerd)! - d0 : null;
  const perContainer = hub.seriesKeys().filter((k) => k.endsWith(':cpu_pct')).map((k) => hub.query(k, SECONDS * 1000).t.length);
  const down = hub.sourceStatuses().filter((s) => s.state !== 'up');
  await hub.stop();
  return { wall, cpu, dockerd: d, batches: batches - b0, points: points - p0, perContainer, down };
}

async function dockerStatsPhase(ids: string[], dockerd: string | null) {
  let childCpu = 0;
  let polls = 0;
  let skipped = 0;
  let inflight = 0;
  const durations: number[] = [];
  const poll = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const sh = spawn('sh', ['-c', 'docker stats --no-stream --format "{{.ID}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}}" "$@" >/dev/null; cat /proc/$$/stat', 'sh', ...ids]);
      let out = '';
      sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
      sh.on('close', () => {
        const f = out.slice(out.lastIndexOf(')') + 2).split(' ');
        const at = (n: number) => Number(f[n - 3]);
        const s = (at(14) + at(15) + at(16) + at(17)) / TICKS;
        if (Number.isFinite(s)) childCpu += s;
        durations.push(performance.now() - started);
        resolve();
      });
      sh.on('error', () => resolve());
    });
  const cpu0 = processCpuS();
  const d0 = dockerd ? procCpuS(dockerd) : null;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < SECONDS; i++) {
    // Same rate as the hub: one poll per second. A poll takes ~2 s (the CLI waits for two
    // samples to compute CPU), so up to three run at once; beyond that a tick is skipped.
    if (inflight < 3) {
      inflight++;
      polls++;
      pending.push(poll().finally(() => inflight--));
    } else skipped++;
    await sleep(Math.max(0, t0 + (i + 1) * 1000 - performance.now()));
  }
  await Promise.all(pending);
  const wall = (performance.now() - t0) / 1000;
  const own = processCpuS() - cpu0;
  const d = dockerd && d0 !== null ? procCpuS(dockerd)! - d0 : null;
  const sorted = durations.sort((a, b) => a - b);
  return { wall, childCpu, own, dockerd: d, polls, skipped, medianPollMs: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}

let exitCode = 0;
try {
  const dockerd = await dockerdPid();
  const ids = await startContainers();
  console.log(`${COUNT} containers of cluster ${cluster} running; following them for ${SECONDS} s each way`);
  const a = await hubPhase(dockerd);
  const cpuPct = (a.cpu / a.wall) * 100;
  const pts = a.perContainer.length ? a.perContainer.reduce((x, y) => x + y, 0) / a.perContainer.length : 0;
  console.log(
    `hub: ${round(a.cpu, 2)} s CPU in ${round(a.wall, 1)} s = ${round(cpuPct, 2)}% of one core; ${a.batches} batches, ${a.points} points, ` +
      `${round(pts, 1)} cpu_pct points per container (${a.perContainer.length} containers), sources not up: ${a.down.length}` +
      (a.dockerd !== null ? `; dockerd ${round((a.dockerd / a.wall) * 100, 1)}%` : ''),
  );
  const b = await dockerStatsPhase(ids, dockerd);
  const peerCpu = b.childCpu + b.own;
  const peerPct = (peerCpu / b.wall) * 100;
  console.log(
    `docker stats --no-stream at 1 Hz: ${b.polls} polls (${b.skipped} skipped, median ${Math.round(b.medianPollMs)} ms each), ` +
      `CLI+shell ${round(b.childCpu, 2)} s + this process ${round(b.own, 2)} s CPU in ${round(b.wall, 1)} s = ${round(peerPct, 2)}% of one core` +
      (b.dockerd !== null ? `; dockerd ${round((b.dockerd / b.wall) * 100, 1)}%` : ''),
  );
  const result = {
    bench: 'metrics',
    containers: COUNT,
    seconds: SECONDS,
    cpu_pct: round(cpuPct, 2),
    docker_stats_cpu_pct: round(peerPct, 2),
    vs_docker_stats: round(cpuPct / peerPct, 3),
    points_per_container_per_s: round(pts / SECONDS, 3),
    dockerd_cpu_pct_hub: a.dockerd !== null ? round((a.dockerd / a.wall) * 100, 2) : null,
    dockerd_cpu_pct_docker_stats: b.dockerd !== null ? round((b.dockerd / b.wall) * 100, 2) : null,
    peer: 'docker stats --no-stream over the same containers, polled at 1 Hz (CLI + shell CPU from /proc/<pid>/stat, plus this process spawning it)',
  };
  console.log(`cpu_pct ${result.cpu_pct} (target <= 5), vs_docker_stats ${result.vs_docker_stats} (target < 1)`);
  // The renderer half: one dashboard update with 20 nodes x 300 points (test/bench/_render.ts).
  const render = await measureRender();
  console.log(`render_ms ${render.render_ms} (target < 16), vs_bare_recharts ${render.vs_bare_recharts}`);
  console.log(JSON.stringify({ ...result, render_ms: render.render_ms, bare_recharts_ms: render.bare_recharts_ms, vs_bare_recharts: render.vs_bare_recharts, render_peer: 'bare recharts, 4 charts x 20 series x 300 points, same browser' }));
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await destroyCluster(cluster);
  const left = await docker('ps', '-aq', '--filter', `label=io.scaledeck.cluster=${cluster}`).catch(() => '');
  if (left) console.error(`left behind: ${left.replace(/\n/g, ' ')}`);
}
process.exit(exitCode);
