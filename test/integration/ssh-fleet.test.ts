import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, docker, nodesSeen, ROOT, tempDir, uniqueName, writeSpec, type CliResult } from '../support/cluster.ts';
import { labHostReady, startLab, type Lab } from '../support/lab.ts';
import { ScaleDeck } from '../../electron/services/scaledeck.ts';
import { Workspace } from '../../electron/workspace/workspace.ts';
import { waitFor } from '../support/cluster.ts';

/**
 * One cluster spread over three lab hosts (each a container with sshd and its own dockerd):
 * API nodes on web1 and web2, balancer + Redis + Postgres on lb. Images reach the hosts over SSH
 * (no registry). Requests through the balancer reach nodes on both hosts; a host stopped in the
 * middle of `up` fails the operation naming it; a later `up` converges; `down` clears every host.
 */

let lab: Lab;
let home: string;
let dir: string;
const cluster = uniqueName('fleet');
const LB_PORT = 18080; // inside lb's own network namespace: no clash with anything on this machine

function spec(replicas: number): string {
  return [
    `name: ${cluster}`,
    'api:',
    `  replicas: ${replicas}`,
    '  hosts: [web1, web2]',
    'balancer:',
    '  host: lb',
    '  bind: 0.0.0.0',
    `  port: ${LB_PORT}`,
    'worker:',
    '  replicas: 0',
    'redis:',
    '  host: lb',
    'postgres:',
    '  host: lb',
    '',
  ].join('\n');
}

const url = () => `http://${lab.hosts[2]!.ip}:${LB_PORT}/`;

async function onHost(i: number): Promise<string[]> {
  const out = await docker('exec', lab.hosts[i]!.container, 'docker', 'ps', '-a', '--filter', `label=io.scaledeck.cluster=${cluster}`, '--format', '{{.Names}}').catch(() => '');
  return out ? out.split('\n').sort() : [];
}

beforeAll(async () => {
  home = tempDir();
  dir = tempDir();
  lab = await startLab(3);
  const names = ['web1', 'web2', 'lb'];
  for (const [i, h] of lab.hosts.entries()) {
    const r = await cli(['hosts', 'add', names[i]!, `lab@127.0.0.1:${h.sshPort}`, '--key', lab.keyPath, '--trust', h.fingerprint, '--advertise', h.ip], home);
    if (r.code !== 0) throw new Error(`hosts add failed: ${r.stderr}`);
  }
});

afterAll(async () => {
  await cli(['down', cluster], home).catch(() => null);
  await lab?.cleanup();
});

describe('a cluster spread over three hosts', () => {
  it('runs nodes on web1 and web2 behind a balancer on lb, and requests reach both', async () => {
    const up = await cli(['up', writeSpec(dir, spec(2))], home, {}, 600_000);
    expect(up.stderr).toMatch(/create api-1 .* on web1/);
    expect(up.stderr).toMatch(/create api-2 .* on web2/);
    expect(up.stderr).toMatch(/create balancer .* on lb/);
    // No registry: the images were copied from this machine, with progress.
    expect(up.stderr).toContain('copying scaledeck-test/api:1 to web1 over SSH');
    expect(up.stderr).toMatch(/copied scaledeck-test\/postgres:1 to lb \(\d+\.\d MB\)/);
    expect(up.code).toBe(0);

    expect(await onHost(0)).toEqual([`sd-${cluster}-api-1`]);
    expect(await onHost(1)).toEqual([`sd-${cluster}-api-2`]);
    expect(await onHost(2)).toEqual([`sd-${cluster}-balancer`, `sd-${cluster}-postgres`, `sd-${cluster}-redis`]);

    const seen = await nodesSeen(url(), 20);
    expect([...seen.keys()].sort()).toEqual(['api-1', 'api-2']);

    const st = await cli(['status', cluster, '--json'], home);
    expect(st.code).toBe(0);
    const detail = JSON.parse(st.stdout) as { cluster: { url: string; containers: { service: string; host?: string }[] } };
    const where = Object.fromEntries(detail.cluster.containers.map((c) => [c.service, c.host]));
    expect(where).toEqual({ balancer: 'lb', 'api-1': 'web1', 'api-2': 'web2', redis: 'lb', postgres: 'lb' });
    expect(detail.cluster.url).toBe(url());
    const text = await cli(['status', cluster], home);
    expect(text.stdout).toMatch(/^HOST\s+SERVICE/m);
  });

  it('live metrics reach containers on every host (stats over SSH, ports through SSH tunnels)', async () => {
    const app = new ScaleDeck({ workspace: new Workspace(home), imageSet: 'test' });
    try {
      const want = ['api-1:api', 'api-2:api', 'api-1:stats', 'api-2:stats', 'balancer:nginx', 'redis:redis', 'postgres:postgres'];
      let last: Record<string, string> = {};
      await waitFor(
        async () => {
          const snap = await app.metrics.snapshot(cluster);
          last = Object.fromEntries(snap.sources.map((s) => [s.id, `${s.state}${s.error ? ` (${s.error})` : ''}`]));
          return want.every((id) => last[id] === 'up');
        },
        60_000,
        'every source up',
      ).catch(() => {
        throw new Error(`sources not all up: ${JSON.stringify(last)}`);
      });
      expect(want.map((id) => last[id])).toEqual(want.map(() => 'up'));
      // The Prometheus scrape config addresses the nodes as the balancer's host reaches them.
      const scrape = await app.metrics.scrapeConfig(cluster);
      expect(scrape).toContain('Run Prometheus on host lb');
      expect(scrape).toContain(`"${lab.hosts[0]!.ip}:13001"`);
      expect(scrape).toContain(`"${lab.hosts[1]!.ip}:13002"`);
    } finally {
      app.dispose();
      app.hosts().close();
    }
  });

  it('a host stopped in the middle of up fails the operation naming it; a later up converges', async () => {
    const file = writeSpec(dir, spec(4));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), 'up', file], { cwd: ROOT, env: cliEnv(home) });
    let stderr = '';
    let stopped: Promise<string> | null = null;
    const result = new Promise<CliResult>((res) => {
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // As soon as work starts on web2, its host goes away (sshd and dockerd with it).
        if (!stopped && /api-4 .*on web2/.test(stderr)) stopped = docker('kill', lab.hosts[1]!.container);
      });
      child.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }));
    });
    const failed = await result;
    expect(stopped).not.toBeNull();
    await stopped;
    expect(failed.code).toBe(1);
    // The failure names the host: in the failed step ("… on web2") and in the cause ("host web2 (lab@…)").
    expect(failed.stderr).toMatch(/Error: .*on web2/);
    expect(failed.stderr).toMatch(/host web2 \(lab@127\.0\.0\.1:\d+\)/);

    // The host comes back (with an empty engine: its storage was a tmpfs); up converges.
    await docker('start', lab.hosts[1]!.container);
    await labHostReady(lab.hosts[1]!);
    const again = await cli(['up', file], home, {}, 600_000);
    if (again.code !== 0) throw new Error(`second up failed:\n${again.stderr}`);
    expect(await onHost(0)).toEqual([`sd-${cluster}-api-1`, `sd-${cluster}-api-3`]);
    expect(await onHost(1)).toEqual([`sd-${cluster}-api-2`, `sd-${cluster}-api-4`]);
    const seen = await nodesSeen(url(), 40);
    expect([...seen.keys()].sort()).toEqual(['api-1', 'api-2', 'api-3', 'api-4']);

    const noop = await cli(['up', file], home);
    expect(noop.code).toBe(0);
    expect(noop.stdout).toContain('up to date');
  });

  it('down removes the cluster from every host; a lost host needs --force, which skips it and says so', async () => {
    const busy = await cli(['hosts', 'rm', 'web1'], home);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`Host web1 is used by cluster ${cluster}`);

    // web2 is gone: down stops and names it, with the way out.
    await docker('stop', '-t', '1', lab.hosts[1]!.container);
    const refused = await cli(['down', cluster], home, {}, 300_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('web2');
    expect(refused.stderr).toContain(`scaledeck down ${cluster} --force`);
    expect(await onHost(0)).not.toEqual([]);

    const r = await cli(['down', cluster, '--force'], home, {}, 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Skipped \(unreachable; what runs there was left\): web2: /);
    for (const i of [0, 2]) expect(await onHost(i)).toEqual([]);
    expect((await cli(['status'], home)).stdout).not.toContain(cluster);
    expect((await cli(['hosts', 'rm', 'web1'], home)).code).toBe(0);
    const nets = await docker('exec', lab.hosts[2]!.container, 'docker', 'network', 'ls', '--filter', `label=io.scaledeck.cluster=${cluster}`, '--format', '{{.Name}}');
    expect(nets).toBe('');
  });
});
