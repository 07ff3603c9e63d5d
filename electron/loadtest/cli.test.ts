import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadtestCommand, type LoadtestIo } from './cli.ts';
import { compareReports, listReports, loadReport } from './report.ts';
import { appServer } from './testing.ts';

function capture(target: string, reportsDir: string, extra: Partial<LoadtestIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: LoadtestIo = { target, reportsDir, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, ...extra };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

describe('scaledeck loadtest', () => {
  let app: Awaited<ReturnType<typeof appServer>>;
  let dir: string;
  beforeAll(async () => {
    app = await appServer();
    dir = mkdtempSync(join(tmpdir(), 'scaledeck-lt-'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 when a threshold breaks, 0 when it holds; saves reports', { timeout: 30_000 }, async () => {
    const bad = capture(app.url, dir);
    const badCode = await loadtestCommand(['c1', '--vus', '4', '--duration', '2s', '--path', '/slow?ms=30', '--threshold', 'p95<10'], bad.io);
    expect(badCode).toBe(1);
    expect(bad.out()).toMatch(/p95<10 +[\d.]+ +FAIL/);
    expect(bad.out()).toMatch(/Result: FAIL/);
    expect(bad.out()).toMatch(/Model +CLOSED \(virtual users/);
    expect(bad.err()).toMatch(/\[ {3}1s\] rate +\d+\/s +p95/);
    expect(bad.err()).toMatch(/VUs 4/);

    const good = capture(app.url, dir);
    const goodCode = await loadtestCommand(
      ['c1', '--stages', '1s:4,1s:4', '--threshold', 'p95<1000', '--threshold', 'error_rate<1%', '--threshold', 'rate>=20', '--html'],
      good.io,
    );
    expect(goodCode).toBe(0);
    expect(good.out()).toMatch(/Result: PASS/);
    const path = /Report: (\S+)/.exec(good.out())![1]!;
    expect(existsSync(path)).toBe(true);
    const html = /HTML: (\S+)/.exec(good.out())![1]!;
    expect(readFileSync(html, 'utf8')).toMatch(/<svg/);

    const list = listReports(dir);
    expect(list).toHaveLength(2);
    const [newer, older] = list;
    expect(newer!.pass).toBe(true);
    expect(older!.pass).toBe(false);
    const cmp = compareReports(loadReport(dir, older!.id), loadReport(dir, newer!.id));
    expect(cmp.figures.p95.better).toBe(true);
    expect(cmp.figures.p95.delta!).toBeLessThan(0);
  });

  it('--json prints one summary object on stdout; open model via --rate', { timeout: 30_000 }, async () => {
    const c = capture(app.url, dir);
    const code = await loadtestCommand(['c1', '--rate', '100', '--duration', '2s', '--threshold', 'p99<=800', '--json'], c.io);
    expect(code).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as { ok: boolean; exitCode: number; pass: boolean; reportPath: string; summary: { model: string; requests: number; modelDescription: string; thresholds: { status: string }[] } };
    expect(j).toMatchObject({ ok: true, exitCode: 0, pass: true, summary: { model: 'open', requests: 200 } });
    expect(j.summary.modelDescription).toMatch(/^Open model/);
    expect(existsSync(j.reportPath)).toBe(true);
    expect(c.err()).toMatch(/OPEN model/);
    expect(c.err()).toMatch(/Result: PASS/);
  });

  it('abort-on-fail ends the run early with exit 1', { timeout: 30_000 }, async () => {
    const c = capture(app.url, dir);
    const t0 = Date.now();
    const code = await loadtestCommand(['c1', '--rate', '50', '--duration', '30s', '--path', '/status/503', '--threshold', 'error_rate<1%', '--abort-on-fail'], c.io);
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(c.out()).toMatch(/aborted: threshold error_rate<1% failed/);
  });

  it('refuses an external target unless allowed and confirmed; bad input exits 2', async () => {
    const ext = 'http://203.0.113.9:8080';
    const a = capture(ext, dir);
    expect(await loadtestCommand(['c1', '--vus', '1', '--duration', '1s'], a.io)).toBe(2);
    expect(a.err()).toMatch(/Refusing to send load to 203\.0\.113\.9:8080/);
    expect(a.err()).toMatch(/--allow-external/);

    const b = capture(ext, dir);
    expect(await loadtestCommand(['c1', '--allow-external'], b.io)).toBe(2);
    expect(b.err()).toMatch(/Not confirmed.*\n.*--yes/);

    let asked = '';
    const c = capture(ext, dir, { confirm: async (q) => ((asked = q), false) });
    expect(await loadtestCommand(['c1', '--allow-external'], c.io)).toBe(2);
    expect(asked).toMatch(/external host 203\.0\.113\.9:8080/);

    const d = capture(app.url, dir);
    expect(await loadtestCommand(['c1', '--threshold', 'p95 < lots'], d.io)).toBe(2);
    expect(d.err()).toMatch(/is not a threshold/);
    const e = capture(app.url, dir);
    expect(await loadtestCommand(['c1', '--vus', 'many'], e.io)).toBe(2);
    const h = capture(app.url, dir);
    expect(await loadtestCommand(['--help'], h.io)).toBe(0);
    expect(h.out()).toMatch(/Usage: scaledeck loadtest <cluster>/);
    const h2 = capture('', dir);
    expect(await loadtestCommand(['--help'], h2.io)).toBe(0);
    const none = capture('', dir);
    expect(await loadtestCommand(['--vus', '1'], none.io)).toBe(2);
    expect(none.err()).toMatch(/needs a cluster/);
    expect(listReports(dir).every((r) => !r.target.includes('203.0.113.9'))).toBe(true);
  });
});
