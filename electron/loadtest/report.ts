import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { FigureDelta, LatencySummary, LoadTestReport, ReportComparison, ReportSummary } from './types.ts';

/**
 * Reports on disk (one JSON file per run in the workspace folder the caller gives), the summary
 * used by lists, comparison of two runs, and a self-contained HTML rendition.
 */

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkId(id: string): void {
  if (!ID_RE.test(id)) throw new ScaleDeckError('BAD_REQUEST', `"${id}" is not a load test report id`);
}

export function reportPath(dir: string, id: string): string {
  checkId(id);
  return join(dir, `${id}.json`);
}

/** Write `<dir>/<id>.json` atomically; returns the path. */
export function saveReport(dir: string, report: LoadTestReport): string {
  mkdirSync(dir, { recursive: true });
  const path = reportPath(dir, report.id);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 1)}\n`);
  renameSync(tmp, path);
  return path;
}

/** Write `<dir>/<id>.html`; returns the path. */
export function saveHtmlReport(dir: string, report: LoadTestReport): string {
  mkdirSync(dir, { recursive: true });
  checkId(report.id);
  const path = join(dir, `${report.id}.html`);
  writeFileSync(path, renderHtmlReport(report));
  return path;
}

function isReport(x: unknown): x is LoadTestReport {
  const r = x as LoadTestReport;
  return !!r && r.kind === 'scaledeck.loadtest-report' && r.version === 1 && typeof r.id === 'string' && !!r.totals;
}

export function loadReport(dir: string, id: string): LoadTestReport {
  const path = reportPath(dir, id);
  if (!existsSync(path)) throw new ScaleDeckError('NOT_FOUND', `No load test report "${id}" in ${dir}`);
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isReport(data)) throw new ScaleDeckError('BAD_REQUEST', `${path} is not a ScaleDeck load test report`);
  return data;
}

export function summarizeReport(r: LoadTestReport): ReportSummary {
  return {
    id: r.id,
    name: r.name,
    cluster: r.cluster ?? null,
    target: r.target,
    model: r.model,
    state: r.state,
    pass: r.pass,
    startedAt: r.startedAt,
    durationS: r.totals.durationS,
    requests: r.totals.requests,
    rate: r.totals.rate,
    errorRate: r.totals.errorRate,
    p95: r.latency.p95,
    p99: r.latency.p99,
  };
}

/** Every report in `dir`, newest first; unreadable files are skipped. */
export function listReports(dir: string): ReportSummary[] {
  if (!existsSync(dir)) return [];
  const out: ReportSummary[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const data: unknown = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      if (isReport(data)) out.push(summarizeReport(data));
    } catch {
      // not ours, or half written
    }
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.id < b.id ? 1 : -1));
}

function delta(a: number | null, b: number | null, higherIsBetter: boolean): FigureDelta {
  if (a === null || b === null) return { a, b, delta: null, deltaPct: null, better: null };
  const d = Math.round((b - a) * 1e6) / 1e6;
  return {
    a,
    b,
    delta: d,
    deltaPct: a !== 0 ? Math.round(((b - a) / Math.abs(a)) * 1e5) / 1e3 : null,
    better: d === 0 ? null : higherIsBetter ? d > 0 : d < 0,
  };
}

/** Key figures of b relative to a (b - a). */
export function compareReports(a: LoadTestReport, b: LoadTestReport): ReportComparison {
  const lat = (k: keyof LatencySummary) => delta(a.latency[k], b.latency[k], false);
  return {
    a: summarizeReport(a),
    b: summarizeReport(b),
    sameModel: a.model === b.model,
    figures: {
      rate: delta(a.totals.rate, b.totals.rate, true),
      requests: delta(a.totals.requests, b.totals.requests, true),
      errorRate: delta(a.totals.errorRate, b.totals.errorRate, false),
      dropRate: delta(a.totals.dropRate, b.totals.dropRate, false),
      p50: lat('p50'),
      p90: lat('p90'),
      p95: lat('p95'),
      p99: lat('p99'),
      p999: lat('p999'),
      max: lat('max'),
      mean: lat('mean'),
    },
  };
}

// ------------------------------------------------------------------------------------- HTML

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmtMs = (v: number | null) => (v === null ? '–' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
const fmtPct = (v: number) => `${(v * 100).toFixed(2)} %`;
const fmtNum = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 1 }));

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Rate (bars, left axis) and p95/p99 (lines, right axis) over time, as inline SVG. */
function chartSvg(r: LoadTestReport): string {
  const W = 900;
  const H = 300;
  const L = 60;
  const R = 64;
  const T = 20;
  const B = 36;
  const s = r.series;
  const n = Math.max(1, s.length);
  const iw = W - L - R;
  const ih = H - T - B;
  const rateMax = niceMax(Math.max(1, ...s.map((x) => Math.max(x.requests, r.model === 'open' ? x.target : 0))));
  const latMax = niceMax(Math.max(1, ...s.map((x) => x.latency.p99 ?? 0)));
  const x = (i: number) => L + (i + 0.5) * (iw / n);
  const yR = (v: number) => T + ih - (v / rateMax) * ih;
  const yL = (v: number) => T + ih - (v / latMax) * ih;
  const bw = Math.max(1, (iw / n) * 0.7);
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const y = T + (ih * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end" class="ax">${fmtNum((rateMax * (4 - k)) / 4)}</text>`);
    parts.push(`<text x="${W - R + 6}" y="${y + 4}" class="ax">${fmtNum((latMax * (4 - k)) / 4)}</text>`);
  }
  s.forEach((p, i) => {
    const y = yR(p.requests);
    parts.push(`<rect x="${(x(i) - bw / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${(T + ih - y).toFixed(1)}" class="bar"><title>${p.t}s: ${p.requests} req/s</title></rect>`);
    if (p.failed) {
      const yf = yR(p.failed);
      parts.push(`<rect x="${(x(i) - bw / 2).toFixed(1)}" y="${yf.toFixed(1)}" width="${bw.toFixed(1)}" height="${(T + ih - yf).toFixed(1)}" class="err"><title>${p.t}s: ${p.failed} failed</title></rect>`);
    }
  });
  const line = (get: (p: (typeof s)[number]) => number | null, cls: string, y: (v: number) => number) => {
    const pts = s.map((p, i) => (get(p) === null ? null : `${x(i).toFixed(1)},${y(get(p)!).toFixed(1)}`)).filter(Boolean);
    return pts.length ? `<polyline points="${pts.join(' ')}" class="${cls}"/>` : '';
  };
  if (r.model === 'open') parts.push(line((p) => p.target, 'tgt', yR));
  parts.push(line((p) => p.latency.p95, 'p95', yL));
  parts.push(line((p) => p.latency.p99, 'p99', yL));
  const step = Math.max(1, Math.ceil(n / 15));
  for (let i = 0; i < s.length; i += step) parts.push(`<text x="${x(i).toFixed(1)}" y="${H - B + 16}" text-anchor="middle" class="ax">${s[i]!.t}s</text>`);
  parts.push(`<text x="14" y="${T + ih / 2}" transform="rotate(-90 14 ${T + ih / 2})" text-anchor="middle" class="ax">requests/s</text>`);
  parts.push(`<text x="${W - 12}" y="${T + ih / 2}" transform="rotate(90 ${W - 12} ${T + ih / 2})" text-anchor="middle" class="ax">latency (ms)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="rate and latency over time">${parts.join('')}</svg>`;
}

/** One self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched. */
export function renderHtmlReport(r: LoadTestReport): string {
  const t = r.totals;
  const d = r.definition;
  const l = r.latency;
  const row = (k: string, v: string) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  const stages = d.model.stages.map((s) => `${s.durationMs / 1000}s:${s.target}`).join(', ');
  const modelLine =
    d.model.kind === 'open'
      ? `open model, arrival rate ${d.model.startRate} → stages ${stages} (req/s), maxInFlight ${d.model.maxInFlight}`
      : `closed model, VUs ${d.model.startVUs} → stages ${stages}, think time ${d.model.thinkTimeMs.min}–${d.model.thinkTimeMs.max} ms`;
  const thresholdRows = r.thresholds.length
    ? r.thresholds
        .map((v) => `<tr class="${v.status}"><td>${esc(v.expr)}</td><td>${v.actual === null ? '–' : esc(v.actual)}</td><td>${v.status.toUpperCase()}</td></tr>`)
        .join('')
    : '<tr><td colspan="3">No thresholds.</td></tr>';
  const statusRows = Object.entries(t.statuses).map(([k, v]) => row(k, fmtNum(v))).join('');
  const errorRows = Object.entries(t.errors).map(([k, v]) => row(k, fmtNum(v))).join('');
  const seriesRows = r.series
    .map((p) => `<tr><td>${p.t}</td><td>${p.requests}</td><td>${p.failed}</td><td>${p.dropped}</td><td>${fmtMs(p.latency.p50)}</td><td>${fmtMs(p.latency.p95)}</td><td>${fmtMs(p.latency.p99)}</td><td>${fmtMs(p.latency.max)}</td><td>${p.active}</td></tr>`)
    .join('');
  const verdict = r.thresholds.length ? (r.pass ? 'PASS' : 'FAIL') : 'NO THRESHOLDS';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Load test ${esc(r.name)} (${esc(r.id)})</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:960px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.muted{color:#5c6577}.verdict{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:600;color:#fff}
.v-PASS{background:#1f8a4c}.v-FAIL{background:#c0392b}.v-NO{background:#6b7280}
.model{background:#f2f5fa;border-left:4px solid #3b6fd8;padding:8px 12px;margin:12px 0}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e7ee}
th{font-weight:600;color:#394150;width:30%}.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}
tr.pass td:last-child{color:#1f8a4c;font-weight:600}tr.fail td:last-child{color:#c0392b;font-weight:600}tr.pending td:last-child{color:#6b7280}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.kpi{border:1px solid #e3e7ee;border-radius:6px;padding:8px 12px;min-width:110px}
.kpi b{display:block;font-size:18px}
svg{width:100%;height:auto;border:1px solid #e3e7ee;border-radius:6px;margin-top:8px}
svg .grid{stroke:#e9edf3}svg .ax{font-size:11px;fill:#5c6577}svg .bar{fill:#9db7ea}svg .err{fill:#e07a6f}
svg polyline{fill:none;stroke-width:2}svg .p95{stroke:#e59400}svg .p99{stroke:#c0392b}svg .tgt{stroke:#3b6fd8;stroke-dasharray:4 3;stroke-width:1.5}
.legend span{margin-right:16px}.sw{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px}
details{margin-top:16px}td,th{font-variant-numeric:tabular-nums}
</style></head><body>
<h1>${esc(r.name)} <span class="verdict v-${verdict.split(' ')[0]}">${verdict}</span></h1>
<div class="muted">${esc(r.id)} · ${esc(r.target)} · ${esc(r.startedAt)} · ${esc(t.durationS)} s · ${esc(r.state)}: ${esc(r.endReason)}</div>
<div class="model"><b>Model: ${r.model === 'open' ? 'OPEN (arrival rate)' : 'CLOSED (virtual users)'}</b> — ${esc(modelLine)}<br><span class="muted">${esc(r.modelDescription)}</span></div>
<div class="kpis">
<div class="kpi">rate<b>${fmtNum(t.rate)}/s</b></div><div class="kpi">requests<b>${fmtNum(t.requests)}</b></div>
<div class="kpi">errors<b>${fmtPct(t.errorRate)}</b></div><div class="kpi">p50<b>${fmtMs(l.p50)}</b></div>
<div class="kpi">p95<b>${fmtMs(l.p95)}</b></div><div class="kpi">p99<b>${fmtMs(l.p99)}</b></div><div class="kpi">max<b>${fmtMs(l.max)}</b></div>
</div>
<h2>Rate and latency over time</h2>
<div class="legend muted"><span><i class="sw" style="background:#9db7ea"></i>answers/s</span><span><i class="sw" style="background:#e07a6f"></i>failed/s</span>${r.model === 'open' ? '<span><i class="sw" style="background:#3b6fd8"></i>scheduled rate</span>' : ''}<span><i class="sw" style="background:#e59400"></i>p95</span><span><i class="sw" style="background:#c0392b"></i>p99</span></div>
${chartSvg(r)}
<h2>Thresholds</h2>
<table><tr><th>threshold</th><th>measured</th><th>verdict</th></tr>${thresholdRows}</table>
<div class="grid2"><div>
<h2>Latency</h2><table>
${row('min', fmtMs(l.min))}${row('mean', fmtMs(l.mean))}${row('p50', fmtMs(l.p50))}${row('p90', fmtMs(l.p90))}${row('p95', fmtMs(l.p95))}${row('p99', fmtMs(l.p99))}${row('p99.9', fmtMs(l.p999))}${row('max', fmtMs(l.max))}
</table></div><div>
<h2>Totals</h2><table>
${row('answers', fmtNum(t.requests))}${row('sent', fmtNum(t.sent))}${row('ok', fmtNum(t.ok))}${row('failed', `${fmtNum(t.failed)} (${fmtPct(t.errorRate)})`)}${row('dropped', `${fmtNum(t.dropped)} (${fmtPct(t.dropRate)})`)}${row('interrupted', fmtNum(t.interrupted))}
${t.schedule ? row('sent > 1 ms late', `${fmtNum(t.schedule.lateOver1ms)} (${t.schedule.latePct} %), mean lag ${t.schedule.meanLagMs} ms`) : ''}
${t.login ? row('login users', `${t.login.users} ok, ${t.login.failed} failed`) : ''}
</table></div></div>
<div class="grid2"><div><h2>Statuses</h2><table>${statusRows || row('none', '')}</table></div><div><h2>Errors</h2><table>${errorRows}</table></div></div>
<details><summary>Per second</summary><table><tr><th>s</th><th>answers</th><th>failed</th><th>dropped</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>${r.model === 'open' ? 'in flight' : 'VUs'}</th></tr>${seriesRows}</table></details>
<details><summary>Definition</summary><pre>${esc(JSON.stringify(d, null, 2))}</pre></details>
</body></html>
`;
}
