import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { HostAddInput, HostCheck, HostView } from '../../shared/api/types.ts';
import type { EngineClient } from '../docker/client.ts';
import { remoteEngine, type RemoteEngine } from './engine.ts';
import { HostStore } from './hosts.ts';
import { connect, describeHost, SshPool, type SshConnection } from './pool.ts';
import { transferImage, type TransferProgress, type TransferResult } from './transfer.ts';

/**
 * Hosts: the store in the workspace, one SSH connection per host, and each host's engine.
 * Behind the contract's hosts.* methods and `scaledeck hosts ...`.
 */
export class HostsService {
  readonly store: HostStore;
  readonly pool: SshPool;
  private readonly engines = new Map<string, Promise<RemoteEngine>>();

  constructor(root: string) {
    this.store = new HostStore(root);
    this.pool = new SshPool({ password: (n) => this.store.password(n) });
  }

  list(): HostView[] {
    return this.store.list();
  }

  /**
   * Add (or replace) a host. It is saved only after a connection succeeds with the trusted key;
   * without `trust`, the refusal carries the key's fingerprint for the user to check.
   */
  async add(input: HostAddInput): Promise<HostView> {
    const { host, password } = this.store.build(input);
    const existing = this.store.list().find((h) => h.name === host.name);
    if (existing?.fingerprint && host.fingerprint && existing.fingerprint !== host.fingerprint && existing.address === host.address && existing.port === host.port) {
      throw new ScaleDeckError('HOST_KEY_CHANGED', `Host ${host.name} is already trusted with key ${existing.fingerprint}, not ${host.fingerprint}.`, `If the host was rebuilt, run \`scaledeck hosts rm ${host.name}\` first, then add it again.`);
    }
    const conn = await connect(host, { password: () => password, readyTimeoutMs: 15_000 });
    conn.end();
    this.store.save(host, password);
    this.forget(host.name);
    return host;
  }

  remove(name: string): void {
    this.store.remove(name);
    this.forget(name);
  }

  private forget(name: string): void {
    this.engines.delete(name);
    this.pool.drop(name);
  }

  connection(name: string): Promise<SshConnection> {
    return this.pool.get(this.store.get(name));
  }

  /** The host's engine (connected and pinged once; later calls reuse the pooled connection). */
  async engine(name: string): Promise<EngineClient> {
    return (await this.remote(name)).engine;
  }

  private async remote(name: string): Promise<RemoteEngine> {
    const host = this.store.get(name);
    let p = this.engines.get(name);
    if (!p) {
      p = remoteEngine(host, () => this.pool.get(host));
      this.engines.set(name, p);
      p.catch(() => this.engines.delete(name));
    }
    return p;
  }

  /** Engine version, CPUs, memory, free disk, and which of `ports` already have a listener. */
  async test(name: string, ports: number[] = []): Promise<HostCheck> {
    const host = this.store.get(name);
    const conn = await this.pool.get(host);
    const { engine, transport } = await this.remote(name);
    const [version, info] = await Promise.all([engine.docker.version(), engine.docker.info() as Promise<Record<string, unknown>>]);
    const root = String(info.DockerRootDir ?? '/var/lib/docker');
    const df = await conn.exec(`df -P -B1 ${shellQuote(root)} 2>/dev/null || df -P -B1 / ; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null`);
    return {
      name,
      fingerprint: conn.fingerprint,
      engineVersion: version.Version,
      apiVersion: version.ApiVersion,
      os: String(info.OperatingSystem ?? ''),
      cpus: Number(info.NCPU ?? 0),
      memoryBytes: Number(info.MemTotal ?? 0),
      diskFreeBytes: parseDfFree(df.stdout),
      portsInUse: ports.filter((p) => listeningPorts(df.stdout).has(p)),
      transport,
    };
  }

  /** Copy a local image to a host (skipped when it already has that id). */
  async pushImage(local: EngineClient, name: string, image: string, onProgress?: (p: TransferProgress) => void): Promise<TransferResult> {
    return transferImage(local, await this.engine(name), image, onProgress);
  }

  /**
   * Install Docker on a host with its package manager. Without `confirm` nothing runs: the
   * result lists the commands that would. With it they run as root (the user is root, or has
   * password-less sudo).
   */
  async bootstrap(name: string, confirm: boolean): Promise<BootstrapResult> {
    const host = this.store.get(name);
    const conn = await this.pool.get(host);
    const probe = await conn.exec('docker version --format "{{.Server.Version}}" 2>/dev/null; echo "@@"; id -u; for p in apt-get dnf yum; do command -v $p >/dev/null 2>&1 && echo $p && break; done');
    const [engine, rest = ''] = probe.stdout.split('@@\n');
    const [uid, pm = ''] = rest.trim().split('\n');
    if (engine?.trim()) return { name, alreadyInstalled: true, commands: [], ran: false };
    const commands = bootstrapCommands(pm.trim(), host.user);
    if (!commands.length) {
      throw new ScaleDeckError('BAD_REQUEST', `${describeHost(host)}: no apt-get, dnf or yum to install Docker with.`, 'Install Docker by hand (https://docs.docker.com/engine/install/), then `scaledeck hosts test ' + name + '`.');
    }
    if (!confirm) return { name, alreadyInstalled: false, commands, ran: false };
    const sudo = uid?.trim() === '0' ? '' : 'sudo -n ';
    const script = commands.map((c) => `${sudo}sh -c ${shellQuote(c)}`).join(' && ');
    const r = await conn.exec(script);
    if (r.code !== 0) {
      throw new ScaleDeckError('STEP_FAILED', `${describeHost(host)}: installing Docker failed (exit ${r.code}).\n${(r.stderr || r.stdout).trim().split('\n').slice(-10).join('\n')}`, sudo ? `The user needs password-less sudo for this; or run these as root on the host:\n  ${commands.join('\n  ')}` : undefined);
    }
    // The new group applies to new logins: the next connection is a new one.
    this.forget(name);
    return { name, alreadyInstalled: false, commands, ran: true, output: r.stdout.slice(-2000) };
  }

  close(): void {
    this.engines.clear();
    this.pool.closeAll();
  }
}

export function hostLabel(h: HostView): string {
  return describeHost(h);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `df -P -B1` → available bytes of the first filesystem line. */
export function parseDfFree(text: string): number | null {
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 6 && /^\d+$/.test(cols[3]!) && cols[5]!.startsWith('/')) return Number(cols[3]);
  }
  return null;
}

/** Local ports in LISTEN state (st 0A) from /proc/net/tcp{,6}. */
export function listeningPorts(text: string): Set<number> {
  const out = new Set<number>();
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s+[0-9A-F]+:[0-9A-F]{4}\s+0A\s/.exec(line);
    if (m) out.add(parseInt(m[1]!, 16));
  }
  return out;
}

export interface BootstrapResult {
  name: string;
  /** Docker was already usable there: nothing to do. */
  alreadyInstalled: boolean;
  /** The commands that install it (run as root through `sudo -n` unless the user is root). */
  commands: string[];
  ran: boolean;
  output?: string;
}

/** The install commands for a host's package manager (Debian/Ubuntu apt, Fedora/RHEL dnf/yum). */
export function bootstrapCommands(pkgManager: string, user: string): string[] {
  const install =
    pkgManager === 'apt-get'
      ? ['apt-get update -q', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io']
      : pkgManager === 'dnf' || pkgManager === 'yum'
        ? [`${pkgManager} install -y docker`]
        : [];
  if (!install.length) return [];
  return [...install, 'systemctl enable --now docker || (dockerd >/var/log/dockerd.log 2>&1 &)', `usermod -aG docker ${user}`];
}
