import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { docker, freePort, tempDir, uniqueName, waitFor } from './cluster.ts';

// ssh2 is CommonJS and `utils` is not a detectable named export under Node's ESM loader.
const { utils } = ssh2;

/**
 * A lab of "remote hosts" on this machine: each a container (scaledeck-test/lab-host:1, built by
 * scripts/test-images.sh) running sshd and its own dockerd, on a network the test creates, with
 * sshd published on 127.0.0.1:<free port>. Every host gets a fresh ed25519 host key; one user key
 * and one password are accepted for the users `lab` (in the docker group) and `nodocker`.
 */

export const LAB_IMAGE = 'scaledeck-test/lab-host:1';

export interface LabHost {
  name: string;
  container: string;
  address: string;
  sshPort: number;
  /** The container's address on the lab network (how lab hosts reach each other's ports). */
  ip: string;
  fingerprint: string;
}

export interface Lab {
  network: string;
  hosts: LabHost[];
  /** The user's private key file (0600). */
  keyPath: string;
  password: string;
  /** A key no lab host accepts. */
  wrongKeyPath: string;
  dir: string;
  cleanup(): Promise<void>;
}

function fingerprint(publicKey: string): string {
  const parsed = utils.parseKey(publicKey);
  if (parsed instanceof Error) throw parsed;
  const blob = (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH();
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Lab engines put their containers' cgroups under /scaledeck-lab (cgroup v1); a lab host that
 * was killed leaves them behind, empty. rmdir only ever removes an EMPTY cgroup, so this cannot
 * touch one that still has processes.
 */
function removeEmptyLabCgroups(): void {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return;
  for (const ctl of readdirSync(root)) {
    const dir = join(root, ctl, 'scaledeck-lab');
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      try {
        rmdirSync(join(dir, e.name));
      } catch {
        /* busy (a running lab's container) or gone */
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      /* another lab still uses it */
    }
  }
}

export async function startLab(count: number): Promise<Lab> {
  const id = uniqueName('lab');
  const dir = tempDir('scaledeck-lab-');
  const user = utils.generateKeyPairSync('ed25519');
  const wrong = utils.generateKeyPairSync('ed25519');
  const keyPath = join(dir, 'id_ed25519');
  const wrongKeyPath = join(dir, 'wrong_ed25519');
  writeFileSync(keyPath, user.private, { mode: 0o600 });
  writeFileSync(wrongKeyPath, wrong.private, { mode: 0o600 });
  const password = `pw-${id}`;
  const network = `sd-${id}`;
  const hosts: LabHost[] = [];
  const lab: Lab = {
    network,
    hosts,
    keyPath,
    password,
    wrongKeyPath,
    dir,
    async cleanup() {
      // Inner containers first, so the inner engine removes their cgroups.
      for (const h of hosts) await docker('exec', h.container, 'sh', '-c', 'ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids').catch(() => '');
      for (const h of hosts) await docker('rm', '-f', '-v', h.container).catch(() => '');
      await docker('network', 'rm', network).catch(() => '');
      removeEmptyLabCgroups();
    },
  };
  try {
    // A subnet of our own, so a host keeps its address when it is stopped and started again
    // (its advertise address). Random /24s in 10.200-249.x; retried when one is taken.
    let prefix = '';
    for (let attempt = 0; !prefix; attempt++) {
      const p = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
      try {
        await docker('network', 'create', '--label', `io.scaledeck.lab=${id}`, '--subnet', `${p}.0/24`, network);
        prefix = p;
      } catch (err) {
        if (attempt >= 8) throw err;
      }
    }
    for (let i = 1; i <= count; i++) {
      const hostKey = utils.generateKeyPairSync('ed25519');
      const sshPort = await freePort();
      const container = `${id}-h${i}`;
      await docker(
        'run', '-d', '--name', container, '--hostname', `h${i}`, '--network', network, '--ip', `${prefix}.${10 + i}`,
        '--label', `io.scaledeck.lab=${id}`,
        '--cap-add=ALL', '--cap-drop=SYS_RESOURCE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
        '--tmpfs', '/var/lib/docker:exec',
        '-p', `127.0.0.1:${sshPort}:22`,
        '-e', `LAB_HOST_KEY=${Buffer.from(hostKey.private).toString('base64')}`,
        '-e', `LAB_AUTHORIZED_KEY=${user.public}`,
        '-e', `LAB_PASSWORD=${password}`,
        LAB_IMAGE,
      );
      const ip = await docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
      hosts.push({ name: `h${i}`, container, address: '127.0.0.1', sshPort, ip, fingerprint: fingerprint(hostKey.public) });
    }
    for (const h of hosts) await labHostReady(h);
    return lab;
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
}

/** Wait until a lab host's own engine answers (after start or restart). */
export async function labHostReady(h: LabHost): Promise<void> {
  await waitFor(async () => (await docker('exec', h.container, 'docker', 'version', '--format', '{{.Server.Version}}').catch(() => '')) !== '', 90_000, `dockerd in ${h.container}`);
}
