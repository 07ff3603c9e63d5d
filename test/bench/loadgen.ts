import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startLoadTest } from '../../electron/loadtest/engine.ts';

/**
 * `npm run bench -- loadgen`: the load generator's speed and schedule accuracy.
 *
 * Target: a minimal Node http server (`res.end('ok')`, keep-alive) in a child process on
 * 127.0.0.1, the same one for every tool.
 *
 * 1. Throughput: most requests/s from ONE ScaleDeck worker (closed model, C VUs = C keep-alive
 *    connections, no think time) vs autocannon 9 (its bin, C connections, one process) and
 *    wrk 4.1 (-t1, C connections), each for D seconds, alternating the order every round,
 *    medians of R rounds. rps = answers / duration for every tool (wrk and autocannon: their own
 *    requests/s figure). Ratios: vs_autocannon (target >= 1.0), vs_wrk (target >= 0.6).
 *
 * 2. Schedule accuracy: open model at RATE req/s for SD seconds, one worker. Every request has a
 *    scheduled time on the timeline; the worker notes when it actually wrote it to the socket.
 *      schedule_error_pct = 100 × (requests written more than 1 ms after their scheduled time
 *                                  + requests dropped) / requests scheduled
 *    i.e. the share of the timeline the generator did not honour to within 1 ms (target < 1).
 *    Also printed: mean and max lag (write time − scheduled time) and the achieved send rate.
 *
 * Up to BENCH_SCHEDULE_CONNECTIONS (100) keep-alive connections, maxInFlight 1000.
 *
 * Environment: BENCH_RUNS (3), BENCH_CONNECTIONS (50), BENCH_DURATION_S (10), BENCH_RATE (20000),
 * BENCH_SCHEDULE_S (10), BENCH_SCHEDULE_CONNECTIONS (100).
 */
const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const C = Number(process.env.BENCH_CONNECTIONS ?? 50);
const D = Number(process.env.BENCH_DURATION_S ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 20_000);
const SD = Number(process.env.BENCH_SCHEDULE_S ?? 10);
const SC = Number(process.env.BENCH_SCHEDULE_CONNECTIONS ?? 100);
const WRK = '/usr/bin/wrk';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.end('ok'); });
s.keepAliveTimeout = 120000;
s.headersTimeout = 130000;
s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
`;

async function startTarget(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /(\d+)\n/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`target server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/`, child };
}

async function scaledeck(url: string): Promise<number> {
  const r = await startLoadTest({ target: url, model: { kind: 'closed', vus: C, duration: `${D}s` }, connections: C, workers: 1 }).done;
  if (r.totals.failed) throw new Error(`scaledeck run had ${r.totals.failed} failures`);
  return r.totals.requests / r.totals.durationS;
}

const autocannonBin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
async function autocannon(url: string): Promise<number> {
  const { stdout } = await exec(process.execPath, [autocannonBin, '-c', String(C), '-d', String(D), '-j', url], { maxBuffer: 16 << 20 });
  const j = JSON.parse(stdout) as { requests: { average: number; total: number }; duration: number; errors: number; non2xx: number };
  if (j.errors || j.non2xx) throw new Error(`autocannon saw ${j.errors} errors, ${j.non2xx} non-2xx`);
  return j.requests.total / j.duration;
}

async function wrk(url: string): Promise<number> {
  const { stdout } = await exec(WRK, ['-t1', `-c${C}`, `-d${D}s`, url]);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!m) throw new Error(`cannot read wrk output:\n${stdout}`);
  if (/Non-2xx|Socket errors/.test(stdout)) console.log(`  (wrk: ${stdout.split('\n').filter((l) => /Non-2xx|Socket errors/.test(l)).join('; ')})`);
  return Number(m[1]);
}

const loadBefore = loadavg()[0]!;
const target = await startTarget();
const tools: [string, (u: string) => Promise<number>][] = [
  ['scaledeck', scaledeck],
  ['autocannon', autocannon],
  ['wrk', wrk],
];
const results: Record<string, number[]> = { scaledeck: [], autocannon: [], wrk: [] };
try {
  // Warm the target (JIT) so the first tool of round 1 is not penalised.
  await exec(WRK, ['-t1', `-c${C}`, '-d2s', target.url]);
  console.log(`throughput: ${C} connections, ${D} s each, ${RUNS} rounds, target ${target.url} (node http, child process)`);
  for (let round_ = 0; round_ < RUNS; round_++) {
    const order = tools.map((_, i) => tools[(i + round_) % tools.length]!);
    const line: string[] = [];
    for (const [name, fn] of order) {
      const rps = await fn(target.url);
      results[name]!.push(rps);
      line.push(`${name} ${Math.round(rps)}`);
    }
    console.log(`  round ${round_ + 1}: ${line.join(', ')} req/s`);
  }

  console.log(`schedule: open model at ${RATE} req/s for ${SD} s, one worker, up to ${SC} connections`);
  const sched = await startLoadTest({
    target: target.url,
    model: { kind: 'open', rate: RATE, duration: `${SD}s`, maxInFlight: 1000 },
    connections: SC,
    workers: 1,
  }).done;
  const scheduled = sched.totals.sent + sched.totals.dropped;
  const s = sched.totals.schedule!;
  const scheduleErrorPct = (100 * (s.lateOver1ms + sched.totals.dropped)) / scheduled;
  console.log(
    `  scheduled ${scheduled}, sent ${sched.totals.sent} (${Math.round(sched.totals.sent / SD)} req/s), dropped ${sched.totals.dropped}, ` +
      `late > 1 ms ${s.lateOver1ms}, mean lag ${s.meanLagMs} ms, max lag ${s.maxLagMs} ms, p99 latency ${sched.latency.p99} ms, failed ${sched.totals.failed}`,
  );

  const sd = median(results.scaledeck!);
  const ac = median(results.autocannon!);
  const wr = median(results.wrk!);
  const out = {
    bench: 'loadgen',
    runs: RUNS,
    connections: C,
    duration_s: D,
    scaledeck_rps: Math.round(sd),
    autocannon_rps: Math.round(ac),
    wrk_rps: Math.round(wr),
    vs_autocannon: round(sd / ac),
    vs_wrk: round(sd / wr),
    schedule_rate: RATE,
    schedule_error_pct: round(scheduleErrorPct),
    schedule_mean_lag_ms: s.meanLagMs,
    schedule_max_lag_ms: s.maxLagMs,
    schedule_dropped: sched.totals.dropped,
    // Other work on the machine skews every figure here (the schedule most): the 1-minute load
    // average before and after, for a 2-core machine.
    loadavg_1m: [round(loadBefore, 2), round(loadavg()[0]!, 2)],
    peer: `autocannon 9 (bin, -c ${C}) and wrk 4.1 (-t1 -c${C}), same target, alternating, medians of ${RUNS}`,
  };
  console.log(
    `median: scaledeck ${out.scaledeck_rps}, autocannon ${out.autocannon_rps}, wrk ${out.wrk_rps} req/s; ` +
      `vs_autocannon ${out.vs_autocannon} (target >= 1.0), vs_wrk ${out.vs_wrk} (target >= 0.6); schedule_error_pct ${out.schedule_error_pct} (target < 1)`,
  );
  console.log(JSON.stringify(out));
} finally {
  target.child.kill();
}
process.exit(0);
