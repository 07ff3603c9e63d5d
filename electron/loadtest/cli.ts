import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toErrorBody, formatError } from '../../shared/api/errors.ts';
import { startLoadTest } from './engine.ts';
import { checkTarget, LoadTestTargetError } from './parse.ts';
import { saveHtmlReport, saveReport, summarizeReport } from './report.ts';
import type { LoadTestInput, LoadTestReport, RequestInput, SecondSnapshot } from './types.ts';

export const LOADTEST_USAGE = `Usage: scaledeck loadtest <cluster> [options]

Load model (closed unless --rate or --model open):
  --stages 30s:50,1m:50,30s:0   stages duration:target (closed: VUs, open: req/s)
  --vus N --duration 30s        closed model, constant VUs (default 10 VUs, 30s)
  --think 100ms | 50ms-200ms    closed model think time after each answer
  --rate 200 --duration 30s     open model, constant arrival rate (req/s)
  --model open|closed           with --stages: which model the stages drive
  --max-in-flight N             open model: waiting/in-flight bound, requests beyond are dropped

Requests:
  --path /api/items             path to request (default /)
  --method GET  --body '{...}'  --header 'K: V' (repeatable)
  --login                       register + log in users first, send their JWT (Authorization: Bearer)
  --token-field accessToken     field of the login answer holding the token
  --file def.json               a full load test definition (JSON); flags above override its model

Verdict:
  --threshold 'p95<500'         repeatable: p50 p90 p95 p99 p99.9 max avg (ms), error_rate<1%,
                                drop_rate<1%, rate>=100 (req/s); exit code 1 if any fails
  --abort-on-fail               stop the run as soon as a threshold fails

Limits: --connections N  --timeout 10s  --workers N  --max-requests N  --max-duration 10m
Output: --json (summary JSON on stdout)  --html (also write an HTML report)  --name NAME
Safety: only 127.0.0.1/localhost or the cluster's balancer; --allow-external (and a confirmation,
        or --yes) to target anything else.
`;

export interface LoadtestIo {
  /** The cluster's balancer URL (or any http URL). */
  target: string;
  /** Workspace folder for reports. */
  reportsDir: string;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Hosts allowed besides loopback, e.g. a remote cluster's balancer. */
  allowHosts?: string[];
  /** The cluster whose balancer is the target (recorded in the report). */
  cluster?: string | null;
  /** Asked before loading an external target with --allow-external (without it, --yes is needed). */
  confirm?: (question: string) => Promise<boolean>;
  /** Stop the run early (the report is still written); SIGINT does the same while it runs. */
  signal?: AbortSignal;
}

class UsageError extends Error {}

const fmtMs = (v: number | null) => (v === null ? '-' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function liveLine(s: SecondSnapshot, model: 'open' | 'closed'): string {
  const errs = s.failed ? `${s.failed}` : '0';
  const tail = model === 'closed' ? `VUs ${s.active}` : `in flight ${s.active}  dropped ${s.dropped}  target ${Math.round(s.target)}/s`;
  return `[${String(s.t + 1).padStart(4)}s] rate ${String(s.requests).padStart(6)}/s  p95 ${fmtMs(s.latency.p95).padStart(9)}  p99 ${fmtMs(s.latency.p99).padStart(9)}  errors ${errs}  ${tail}`;
}

export function summaryText(r: LoadTestReport, reportPath: string | null): string {
  const t = r.totals;
  const l = r.latency;
  const lines: string[] = [];
  lines.push(`Load test ${r.id} — ${r.name} → ${r.target}`);
  const rows: string[][] = [
    ['Model', r.model === 'open' ? 'OPEN (arrival rate; latency from each scheduled start)' : 'CLOSED (virtual users; latency from each send)'],
    ['Run', `${r.state}: ${r.endReason}`],
    ['Requests', `${t.requests} answered, ${t.failed} failed (${pct(t.errorRate)}), ${t.dropped} dropped, ${t.interrupted} cut off`],
    ['Rate', `${t.rate.toFixed(1)} req/s over ${t.durationS.toFixed(1)} s`],
    ['Latency', `p50 ${fmtMs(l.p50)}  p90 ${fmtMs(l.p90)}  p95 ${fmtMs(l.p95)}  p99 ${fmtMs(l.p99)}  p99.9 ${fmtMs(l.p999)}  max ${fmtMs(l.max)}`],
    ['Statuses', Object.entries(t.statuses).map(([k, v]) => `${k}: ${v}`).join('  ') || 'none'],
    ['Errors', Object.entries(t.errors).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join('  ') || 'none'],
  ];
  if (t.schedule) rows.push(['Schedule', `${t.schedule.latePct} % sent > 1 ms late, mean lag ${t.schedule.meanLagMs} ms, max ${t.schedule.maxLagMs} ms`]);
  if (t.login) rows.push(['Login', `${t.login.users} users logged in, ${t.login.failed} failed`]);
  lines.push(table(rows).trimEnd());
  if (r.thresholds.length) {
    lines.push('');
    lines.push(table([['THRESHOLD', 'MEASURED', 'VERDICT'], ...r.thresholds.map((v) => [v.expr, v.actual === null ? '-' : String(v.actual), v.status.toUpperCase()])]).trimEnd());
  }
  lines.push('');
  if (reportPath) lines.push(`Report: ${reportPath}`);
  lines.push(`Result: ${r.thresholds.length === 0 ? 'no thresholds' : r.pass ? 'PASS' : 'FAIL'}`);
  return lines.join('\n') + '\n';
}

function parseHeader(h: string): [string, string] {
  const i = h.indexOf(':');
  if (i <= 0) throw new UsageError(`--header "${h}" is not "Name: value"`);
  return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
}

/** Build the definition from the flags (exported for tests and for the UI's "copy as CLI"). */
export function definitionFromArgs(argv: string[], target: string): { input: LoadTestInput; flags: { json: boolean; html: boolean; allowExternal: boolean; yes: boolean; help: boolean } } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stages: { type: 'string' },
      vus: { type: 'string' },
      duration: { type: 'string' },
      think: { type: 'string' },
      rate: { type: 'string' },
      model: { type: 'string' },
      'max-in-flight': { type: 'string' },
      path: { type: 'string' },
      method: { type: 'string' },
      body: { type: 'string' },
      header: { type: 'string', multiple: true },
      login: { type: 'boolean', default: false },
      'token-field': { type: 'string' },
      file: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      'abort-on-fail': { type: 'boolean', default: false },
      connections: { type: 'string' },
      timeout: { type: 'string' },
      workers: { type: 'string' },
      'max-requests': { type: 'string' },
      'max-duration': { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      html: { type: 'boolean', default: false },
      'allow-external': { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const flags = { json: !!values.json, html: !!values.html, allowExternal: !!values['allow-external'], yes: !!values.yes, help: !!values.help };
  const intArg = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} expects a number, got "${v}"`);
    return n;
  };
  let base: Partial<LoadTestInput> = {};
  if (values.file) {
    try {
      base = JSON.parse(readFileSync(values.file, 'utf8')) as Partial<LoadTestInput>;
    } catch (err) {
      throw new UsageError(`--file ${values.file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // A URL given instead of a cluster name is used when the caller has no target of its own.
  const url = target || positionals.find((p) => /^https?:\/\//.test(p)) || base.target || '';
  if (!url && !flags.help) throw new UsageError('loadtest needs a cluster (or a target URL)');

  const modelFlag = values.model;
  if (modelFlag && modelFlag !== 'open' && modelFlag !== 'closed') throw new UsageError(`--model must be open or closed, got "${modelFlag}"`);
  const rate = intArg('rate', values.rate);
  const anyModelFlag = values.stages || values.vus || values.rate || modelFlag || values.duration;
  let model: LoadTestInput['model'];
  if (!anyModelFlag && base.model) model = base.model;
  else if ((modelFlag ?? (rate !== undefined ? 'open' : 'closed')) === 'open') {
    if (!values.stages && rate === undefined) throw new UsageError('the open model needs --rate N (req/s) or --stages');
    model = {
      kind: 'open',
      ...(values.stages ? { stages: values.stages, startRate: rate ?? 0 } : { rate, duration: values.duration ?? '30s' }),
      maxInFlight: intArg('max-in-flight', values['max-in-flight']),
    };
  } else {
    let thinkTime: { min: string; max: string } | string | undefined;
    if (values.think) {
      const m = /^([^-]+)-([^-]+)$/.exec(values.think);
      thinkTime = m ? { min: m[1]!, max: m[2]! } : values.think;
    }
    model = values.stages
      ? { kind: 'closed', stages: values.stages, thinkTime }
      : { kind: 'closed', vus: intArg('vus', values.vus) ?? 10, duration: values.duration ?? '30s', thinkTime };
  }

  let requests: RequestInput[] | undefined = base.requests;
  if (values.path || values.method || values.body || values.header) {
    requests = [
      {
        method: values.method,
        path: values.path ?? '/',
        body: values.body,
        headers: Object.fromEntries((values.header ?? []).map(parseHeader)),
      },
    ];
  }
  const input: LoadTestInput = {
    ...base,
    name: values.name ?? base.name,
    target: url,
    model,
    requests,
    login: values.login ? { ...(typeof base.login === 'object' ? base.login : {}), ...(values['token-field'] ? { tokenField: values['token-field'] } : {}) } : base.login,
    thresholds: [...(base.thresholds ?? []), ...(values.threshold ?? [])],
    abortOnFail: values['abort-on-fail'] || base.abortOnFail,
    connections: intArg('connections', values.connections) ?? base.connections,
    timeout: values.timeout ?? base.timeout,
    workers: intArg('workers', values.workers) ?? base.workers,
    maxRequests: intArg('max-requests', values['max-requests']) ?? base.maxRequests,
    maxDuration: values['max-duration'] ?? base.maxDuration,
  };
  return { input, flags };
}

/**
 * `scaledeck loadtest <cluster> …` (argv: the arguments after `loadtest`; the cluster name is
 * resolved by the caller into io.target). Live lines on stderr, summary and report path on stdout
 * (on stderr with --json, where stdout gets one JSON object). Exit 0: thresholds pass; 1: a
 * threshold failed or the run did not complete; 2: bad input or refused target.
 */
export async function loadtestCommand(argv: string[], io: LoadtestIo): Promise<number> {
  let parsed: ReturnType<typeof definitionFromArgs>;
  try {
    parsed = definitionFromArgs(argv, io.target);
  } catch (err) {
    io.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const { input, flags } = parsed;
  if (flags.help) {
    io.stdout.write(LOADTEST_USAGE);
    return 0;
  }
  const out = (s: string) => (flags.json ? io.stderr : io.stdout).write(s);
  try {
    let allowExternal = false;
    try {
      checkTarget(input.target, { allowHosts: io.allowHosts });
    } catch (err) {
      if (!(err instanceof LoadTestTargetError) || !flags.allowExternal) throw err;
      const host = new URL(input.target).host;
      const ok = flags.yes || (io.confirm ? await io.confirm(`Send load to the external host ${host}? Only do this to a system you own. [y/N] `) : false);
      if (!ok) throw new LoadTestTargetError(`Not confirmed: no load sent to ${host}.`, io.confirm ? undefined : 'pass --yes to confirm in a non-interactive shell');
      allowExternal = true;
    }
    const run = startLoadTest(input, { allowHosts: io.allowHosts, allowExternal, cluster: io.cluster ?? null });
    const model = run.model;
    io.stderr.write(
      `Load test ${run.id}: ${model === 'open' ? 'OPEN model (arrival rate)' : 'CLOSED model (virtual users)'} → ${run.definition.target}\n`,
    );
    run.on('snapshot', (s: SecondSnapshot) => io.stderr.write(`${liveLine(s, model)}\n`));
    const onSigint = () => run.stop('interrupted (SIGINT)');
    const onAbort = () => run.stop('stopped by the caller');
    process.once('SIGINT', onSigint);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    let report: LoadTestReport;
    try {
      report = await run.done;
    } finally {
      process.off('SIGINT', onSigint);
      io.signal?.removeEventListener('abort', onAbort);
    }
    const reportPath = saveReport(io.reportsDir, report);
    const htmlPath = flags.html ? saveHtmlReport(io.reportsDir, report) : null;
    out(summaryText(report, reportPath));
    if (htmlPath) out(`HTML: ${htmlPath}\n`);
    const complete = report.state === 'completed' || report.state === 'capped' || report.state === 'aborted';
    const code = report.pass && complete ? 0 : 1;
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({
          ok: true,
          exitCode: code,
          pass: report.pass,
          reportPath,
          htmlPath,
          summary: {
            ...summarizeReport(report),
            modelDescription: report.modelDescription,
            endReason: report.endReason,
            totals: report.totals,
            latency: report.latency,
            thresholds: report.thresholds,
          },
        })}\n`,
      );
    }
    return code;
  } catch (err) {
    const body = toErrorBody(err);
    if (flags.json) io.stdout.write(`${JSON.stringify({ ok: false, error: body })}\n`);
    io.stderr.write(`Error: ${formatError(body)}\n`);
    return body.code === 'BAD_REQUEST' ? 2 : 1;
  }
}
