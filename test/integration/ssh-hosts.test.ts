import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, docker, ROOT, tempDir, type CliResult } from '../support/cluster.ts';
import { startLab, type Lab } from '../support/lab.ts';

/**
 * Remote hosts over SSH against lab hosts (containers running sshd + their own dockerd), through
 * the real CLI: host-key trust, a changed key, wrong credentials, a user without the docker group,
 * the host check, and an image copied with no registry (the second copy skipped).
 */

let lab: Lab;
let home: string;

function cliIn(args: string[], input: string): Promise<CliResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), ...args], { cwd: ROOT, env: cliEnv(home) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const target = (i: number, user = 'lab') => `${user}@127.0.0.1:${lab.hosts[i]!.sshPort}`;

async function hostNames(): Promise<string[]> {
  const r = await cli(['hosts', 'ls', '--json'], home);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { hosts: { name: string }[] }).hosts.map((h) => h.name);
}

beforeAll(async () => {
  home = tempDir();
  lab = await startLab(2);
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('host-key trust', () => {
  it('refuses an unknown host key, prints its fingerprint, and saves nothing', async () => {
    const r = await cli(['hosts', 'add', 'web1', target(0), '--key', lab.keyPath], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`host key ${lab.hosts[0]!.fingerprint} not trusted`);
    expect(r.stderr).toContain(`--trust ${lab.hosts[0]!.fingerprint}`);
    expect(await hostNames()).toEqual([]);
  });

  it('adds the host once its fingerprint is trusted, and checks it', async () => {
    const add = await cli(['hosts', 'add', 'web1', target(0), '--key', lab.keyPath, '--trust', lab.hosts[0]!.fingerprint], home);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(await hostNames()).toEqual(['web1']);

    const t = await cli(['hosts', 'test', 'web1', '--json'], home);
    expect(t.code).toBe(0);
    const check = (JSON.parse(t.stdout) as { check: Record<string, unknown> }).check;
    expect(check.fingerprint).toBe(lab.hosts[0]!.fingerprint);
    expect(check.transport).toBe('forward');
    expect(String(check.engineVersion)).toMatch(/^\d+\.\d+/);
    expect(check.cpus).toBeGreaterThan(0);
    expect(check.memoryBytes).toBeGreaterThan(0);
    expect(check.diskFreeBytes).toBeGreaterThan(0);

    // Port 22 (sshd) is in use on the host; an unused port is reported free (exit 1 = some in use).
    const ports = await cli(['hosts', 'test', 'web1', '--ports', '22,4999', '--json'], home);
    expect(ports.code).toBe(1);
    expect((JSON.parse(ports.stdout) as { check: { portsInUse: number[] } }).check.portsInUse).toEqual([22]);
  });

  it('refuses a host whose key changed, naming both keys and the fix', async () => {
    const add = await cli(['hosts', 'add', 'web2', target(1), '--key', lab.keyPath, '--trust', lab.hosts[1]!.fingerprint], home);
    expect(add.code).toBe(0);
    // Re-key the host (as a rebuild would) and make sshd reload its keys.
    await docker('exec', lab.hosts[1]!.container, 'sh', '-c', 'rm -f /etc/ssh/lab_host_key && ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/lab_host_key && kill -HUP 1');
    let r: CliResult = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 20; i++) {
      r = await cli(['hosts', 'test', 'web2'], home);
      if (!/HOST_UNREACHABLE|cannot connect|closed during the handshake/.test(r.stderr)) break; // sshd restarting
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('host key CHANGED');
    expect(r.stderr).toContain(`trusted ${lab.hosts[1]!.fingerprint}`);
    expect(r.stderr).toMatch(/possible man-in-the-middle/);
    expect(r.stderr).toContain('scaledeck hosts rm web2');
  });
});

describe('credentials', () => {
  it('a wrong password is a clear error; the right one works and is kept out of hosts.json', async () => {
    const fp = lab.hosts[0]!.fingerprint;
    const bad = await cliIn(['hosts', 'add', 'pw1', target(0), '--password-stdin', '--trust', fp], 'not-the-password\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('authentication failed: the password was refused');
    expect(await hostNames()).not.toContain('pw1');

    const good = await cliIn(['hosts', 'add', 'pw1', target(0), '--password-stdin', '--trust', fp], `${lab.password}\n`);
    expect(good.code).toBe(0);
    const ls = await cli(['hosts', 'ls', '--json'], home);
    expect(ls.stdout).not.toContain(lab.password);
    const t = await cli(['hosts', 'test', 'pw1'], home);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('Host pw1: Docker');
  });

  it('authenticates through the SSH agent (--agent)', async () => {
    // A private agent holding the user's key, for this test only.
    const out = execFileSync('ssh-agent', ['-s'], { encoding: 'utf8' });
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(out)![1]!;
    const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(out)![1]);
    try {
      execFileSync('ssh-add', [lab.keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const add = await cli(['hosts', 'add', 'ag1', target(0), '--agent', '--trust', lab.hosts[0]!.fingerprint], home, { SSH_AUTH_SOCK: sock });
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      const t = await cli(['hosts', 'test', 'ag1'], home, { SSH_AUTH_SOCK: sock });
      expect(t.code).toBe(0);
      expect(t.stdout).toContain('Host ag1: Docker');
    } finally {
      process.kill(pid);
    }
  });

  it('a key the host does not accept is a clear error', async () => {
    const r = await cli(['hosts', 'add', 'k1', target(0), '--key', lab.wrongKeyPath, '--trust', lab.hosts[0]!.fingerprint], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`authentication failed: the key ${lab.wrongKeyPath} was refused`);
    expect(r.stderr).toContain('authorized_keys');
  });

  it('falls back to `docker system dial-stdio` when the server forbids socket forwarding', async () => {
    const add = await cli(['hosts', 'add', 'st1', target(0, 'stdio'), '--key', lab.keyPath, '--trust', lab.hosts[0]!.fingerprint], home);
    expect(add.code).toBe(0);
    const r = await cli(['hosts', 'test', 'st1', '--json'], home);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { check: { transport: string; engineVersion: string } }).check).toMatchObject({ transport: 'dial-stdio' });
  });

  it('a user outside the docker group gets the command that fixes it', async () => {
    const add = await cli(['hosts', 'add', 'nd1', target(0, 'nodocker'), '--key', lab.keyPath, '--trust', lab.hosts[0]!.fingerprint], home);
    expect(add.code).toBe(0);
    const r = await cli(['hosts', 'test', 'nd1'], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('permission denied');
    expect(r.stderr).toContain('sudo usermod -aG docker nodocker');
  });
});

describe('bootstrap (installing Docker) only after an explicit confirmation', () => {
  it('does nothing where Docker runs, and only lists the commands without --yes', async () => {
    const ok = await cli(['hosts', 'bootstrap', 'web1'], home);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('already runs Docker');

    // nodocker cannot use the engine: bootstrap would install it and add the user to the group.
    const dry = await cli(['hosts', 'bootstrap', 'nd1'], home);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain('Would install Docker on nd1 as root:');
    expect(dry.stdout).toContain('apt-get install -y -q docker.io');
    expect(dry.stdout).toContain('usermod -aG docker nodocker');
    expect(dry.stdout).toContain('--yes');
    expect((await docker('exec', lab.hosts[0]!.container, 'id', '-nG', 'nodocker')).split(' ')).toEqual(['nodocker']);

    // Confirmed, but the user is not root and has no sudo: a clear failure, with the commands to run.
    const yes = await cli(['hosts', 'bootstrap', 'nd1', '--yes'], home);
    expect(yes.code).toBe(1);
    expect(yes.stderr).toContain('installing Docker failed');
    expect(yes.stderr).toContain('password-less sudo');
  });
});

describe('image transfer without a registry', () => {
  it('copies a local image to the host, then skips the second copy', async () => {
    const image = 'scaledeck-test/redis:1';
    const localId = await docker('image', 'inspect', '-f', '{{.Id}}', image);
    const first = await cli(['hosts', 'push', 'web1', image, '--json'], home);
    expect(first.code).toBe(0);
    const r1 = (JSON.parse(first.stdout) as { transfer: { skipped: boolean; bytes: number; id: string } }).transfer;
    expect(r1.skipped).toBe(false);
    expect(r1.bytes).toBeGreaterThan(10_000_000);
    expect(first.stderr).toMatch(/MB/); // progress lines
    expect(await docker('exec', lab.hosts[0]!.container, 'docker', 'image', 'inspect', '-f', '{{.Id}}', image)).toBe(localId);

    const second = await cli(['hosts', 'push', 'web1', image, '--json'], home);
    expect(second.code).toBe(0);
    const r2 = (JSON.parse(second.stdout) as { transfer: { skipped: boolean; bytes: number } }).transfer;
    expect(r2).toMatchObject({ skipped: true, bytes: 0 });
  });

  it('forgets a host on rm', async () => {
    const r = await cli(['hosts', 'rm', 'web1'], home);
    expect(r.code).toBe(0);
    expect(await hostNames()).not.toContain('web1');
    const t = await cli(['hosts', 'test', 'web1'], home);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('No host named "web1"');
  });
});
