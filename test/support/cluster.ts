import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** Helpers for tests on the real Docker engine: unique names, free ports, the CLI, cleanup, a probe. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
const exec = promisify(execFile);

export function uniqueName(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 5)}`;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

export function tempDir(prefix = 'scaledeck-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function specYaml(name: string, port: number, replicas = 3, extra = ''): string {
  return `name: ${name}\napi:\n  replicas: ${replicas}\nbalancer:\n  port: ${port}\n${extra}`;
}

export function writeSpec(dir: string, yaml: string, file = 'spec.yaml'): string {
  const p = join(dir, file);
  writeFileSync(p, yaml);
  return p;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SCALEDECK_HOME: home, SCALEDECK_IMAGES: 'test', ...extra };
}

/** Run the real CLI (bin/scaledeck.mjs) as a user would. */
export function cli(args: string[], home: string, extra: Record<string, string> = {}, timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), ...args], { cwd: ROOT, env: cliEnv(home, extra) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, stdout, stderr });
    });
  });
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

export async function labelled(kind: 'ps' | 'network' | 'volume', cluster: string): Promise<string[]> {
  const filter = `label=io.scaledeck.cluster=${cluster}`;
  const out =
    kind === 'ps'
      ? await docker('ps', '-a', '--filter', filter, '--format', '{{.Names}}')
      : await docker(kind, 'ls', '--filter', filter, '--format', '{{.Name}}');
  return out ? out.split('\n').sort() : [];
}

/** Remove everything a test cluster left behind, whatever state it is in. */
export async function destroyCluster(cluster: string): Promise<void> {
  const ids = await docker('ps', '-aq', '--filter', `label=io.scaledeck.cluster=${cluster}`).catch(() => '');
  if (ids) await docker('rm', '-f', ...ids.split('\n')).catch(() => '');
  for (const n of await labelled('network', cluster).catch(() => [])) await docker('network', 'rm', n).catch(() => '');
  for (const v of await labelled('volume', cluster).catch(() => [])) await docker('volume', 'rm', '-f', v).catch(() => '');
}

/** One GET on a new connection; resolves with status and body, never rejects. */
export function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((res) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      r.on('error', (e) => res({ status: 0, body, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => res({ status: 0, body: '', error: e.message }));
    req.end();
  });
}

export async function nodesSeen(url: string, count: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const r = await get(url);
    if (r.status !== 200) throw new Error(`request ${i} failed: ${r.status} ${r.error ?? r.body}`);
    const node = (JSON.parse(r.body) as { node: string }).node;
    seen.set(node, (seen.get(node) ?? 0) + 1);
  }
  return seen;
}

/**
 * A traffic probe: GETs sent back to back (a few in parallel) until stopped, bounded by a request
 * count and a time limit. Counts failures (non-200 or connection errors) and which nodes answered.
 */
export function startProbe(url: string, opts: { concurrency?: number; maxRequests?: number; maxMs?: number } = {}) {
  const { concurrency = 4, maxRequests = 50_000, maxMs = 180_000 } = opts;
  const started = Date.now();
  let stopped = false;
  let sent = 0;
  const stats = { ok: 0, failed: 0, errors: [] as string[], nodes: new Map<string, number>(), lastNodes: [] as string[] };
  const worker = async () => {
    while (!stopped && sent < maxRequests && Date.now() - started < maxMs) {
      sent++;
      const r = await get(url);
      if (r.status === 200) {
        stats.ok++;
        try {
          const node = (JSON.parse(r.body) as { node: string }).node;
          stats.nodes.set(node, (stats.nodes.get(node) ?? 0) + 1);
          stats.lastNodes.push(node);
          if (stats.lastNodes.length > 200) stats.lastNodes.shift();
        } catch {
          /* counted as ok: the balancer answered 200 */
        }
      } else {
        stats.failed++;
        if (stats.errors.length < 20) stats.errors.push(`${r.status} ${r.error ?? r.body.slice(0, 120)}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    stats,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return stats;
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
