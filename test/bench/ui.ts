import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from '@playwright/test';
import { cliEnv, ROOT, tempDir } from '../support/cluster.ts';

/**
 * `npm run bench -- ui`:
 * - initial_js_kb: gzipped size of the JS the clusters page loads before it can paint: the entry
 *   script of dist/renderer/index.html plus its modulepreload links (lazy pages excluded).
 *   Target <= 250.
 * - first_paint_ms: from spawning `scaledeck serve --port 0` to the clusters page's first
 *   meaningful paint in Chromium (the "Clusters" heading and the create card visible, then one
 *   more animation frame so it is on screen). Median of 3, fresh server and browser context each
 *   time; the browser itself is started once, before timing. Target < 1500.
 * - Peer, same run, alternating: a node process of the same style (spawned, prints its URL on
 *   stderr) serving a static "hello" page; bare_paint_ms until its <h1> is painted.
 */
const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DIST = join(ROOT, 'dist', 'renderer');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

// 1. Build, then weigh what index.html loads up front.
await exec('npx', ['vite', 'build'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
// (The CLI bundle is rebuilt by scripts/bench.mjs before every benchmark.)

const html = readFileSync(join(DIST, 'index.html'), 'utf8');
const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]+)"`).exec(tag)?.[1];
const initial = new Set<string>();
for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
  const src = attr(tag, 'src');
  if (src && /type="module"/.test(tag)) initial.add(src);
}
for (const tag of html.match(/<link\b[^>]*>/g) ?? []) {
  const href = attr(tag, 'href');
  if (href && /rel="modulepreload"/.test(tag)) initial.add(href);
}
if (initial.size === 0) throw new Error('no entry script found in dist/renderer/index.html');
const gz = (file: string) => gzipSync(readFileSync(join(DIST, file.replace(/^\.?\//, '')))).length;
const files = [...initial].map((f) => ({ file: f, gzip: gz(f) }));
const initialKb = files.reduce((n, f) => n + f.gzip, 0) / 1024;
for (const f of files) console.log(`initial: ${f.file} ${(f.gzip / 1024).toFixed(1)} kB gzip`);
const { stdout: listing } = await exec('ls', [join(DIST, 'assets')]);
const lazy = listing
  .split('\n')
  .filter((f) => f.endsWith('.js') && ![...initial].some((i) => i.endsWith(f)))
  .map((f) => ({ file: f, gzip: gz(`assets/${f}`) }));
const lazyKb = lazy.reduce((n, f) => n + f.gzip, 0) / 1024;
console.log(`lazy chunks: ${lazy.length}, ${lazyKb.toFixed(1)} kB gzip in all (largest ${lazy.sort((a, b) => b.gzip - a.gzip)[0]?.file ?? '-'})`);

// 2. Time to first meaningful paint, ScaleDeck against a bare page.
const BARE = `
const http = require('node:http');
const page = '<!doctype html><html><head><meta charset="utf-8"><title>hello</title></head><body><h1>hello</h1></body></html>';
const srv = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(page); });
srv.listen(0, '127.0.0.1', () => process.stderr.write('bare: http://127.0.0.1:' + srv.address().port + '/\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

function waitForUrl(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL after 20 s: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = re.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

async function paint(browser: Browser, start: () => ChildProcess, urlRe: RegExp, ready: (page: import('@playwright/test').Page) => Promise<void>) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  const t0 = performance.now();
  const child = start();
  try {
    const url = await waitForUrl(child, urlRe);
    const tUrl = performance.now() - t0;
    await page.goto(url, { waitUntil: 'commit' });
    await ready(page);
    // One more frame: what is visible has been painted.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))');
    const ms = performance.now() - t0;
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    return { ms, tUrl, fcp };
  } finally {
    await context.close();
    await stop(child);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const sd: number[] = [];
const bare: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const a = await paint(
      browser,
      () =>
        spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), 'serve', '--port', '0'], {
          cwd: ROOT,
          env: cliEnv(tempDir('scaledeck-bench-ui-')),
          stdio: ['ignore', 'ignore', 'pipe'],
        }),
      /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/,
      async (page) => {
        await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor({ state: 'visible', timeout: 20_000 });
        await page.getByTestId('create-cluster').waitFor({ state: 'visible', timeout: 20_000 });
      },
    );
    const b = await paint(
      browser,
      () => spawn(process.execPath, ['-e', BARE], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }),
      /bare: (http:\/\/127\.0\.0\.1:\d+\/)/,
      async (page) => {
        await page.locator('h1').waitFor({ state: 'visible', timeout: 20_000 });
      },
    );
    sd.push(a.ms);
    bare.push(b.ms);
    console.log(
      `run ${i + 1}: scaledeck ${a.ms.toFixed(0)} ms (URL printed after ${a.tUrl.toFixed(0)} ms, FCP ${a.fcp?.toFixed(0) ?? '?'} ms after navigation) · bare ${b.ms.toFixed(0)} ms (URL after ${b.tUrl.toFixed(0)} ms)`,
    );
  }
} finally {
  await browser.close();
}

const result = {
  bench: 'ui',
  runs: RUNS,
  initial_js_kb: round1(initialKb),
  initial_js_files: files.length,
  lazy_js_kb: round1(lazyKb),
  first_paint_ms: Math.round(median(sd)),
  bare_paint_ms: Math.round(median(bare)),
  first_paint_vs_bare: Math.round((median(sd) / median(bare)) * 100) / 100,
  peer: 'node http server (spawned the same way) serving a static hello page, same Chromium',
  targets: { initial_js_kb: '<= 250', first_paint_ms: '< 1500' },
};
console.log(
  `initial JS ${result.initial_js_kb} kB gzip (target <= 250); first paint ${result.first_paint_ms} ms (target < 1500), bare page ${result.bare_paint_ms} ms, ratio ${result.first_paint_vs_bare}`,
);
console.log(JSON.stringify(result));
process.exit(0);
