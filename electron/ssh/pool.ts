import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { HostView } from '../../shared/api/types.ts';

/**
 * One persistent ssh2 connection per host. Host keys are checked against the fingerprint the user
 * trusted; keepalives detect dead links; a lost connection is re-opened on next use, with backoff.
 */

/** "SHA256:<base64 without padding>" of the raw host key blob, as OpenSSH prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function describeHost(h: HostView): string {
  return `host ${h.name} (${h.user}@${h.address}:${h.port})`;
}

export interface SshPoolOptions {
  /** Password for a host (from the 0600 secrets file). */
  password?: (name: string) => string | undefined;
  keepaliveMs?: number;
  readyTimeoutMs?: number;
  /** Connection attempts for network errors (not for key or auth errors). */
  attempts?: number;
  backoffMs?: number;
}

/** One ssh2 Client; `exec` runs a command and collects its output. */
export class SshConnection {
  closed = false;
  constructor(
    readonly host: HostView,
    readonly client: Client,
    readonly fingerprint: string,
  ) {
    client.on('close', () => {
      this.closed = true;
    });
  }

  /** A channel to a unix socket on the host (the Docker engine's, by default). */
  forwardSocket(path = '/var/run/docker.sock'): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.client.openssh_forwardOutStreamLocal(path, (err, stream) => (err ? reject(err) : resolve(stream)));
      } catch (err) {
        reject(err as Error); // "Not connected"
      }
    });
  }

  /** A channel to a TCP address as seen from the host (e.g. a container's bridge IP there). */
  forwardTcp(address: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream)));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  execStream(cmd: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.client.exec(cmd, (err, stream) => (err ? reject(err) : resolve(stream)));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  async exec(cmd: string, input?: NodeJS.ReadableStream): Promise<{ code: number; stdout: string; stderr: string }> {
    const stream = await this.execStream(cmd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    return new Promise((resolve, reject) => {
      stream.on('data', (c: Buffer) => out.push(c));
      stream.stderr.on('data', (c: Buffer) => err.push(c));
      stream.on('error', reject);
      stream.on('close', (code: number | null) =>
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      );
      if (input) input.pipe(stream);
      else stream.end();
    });
  }

  end(): void {
    this.closed = true;
    this.client.end();
  }
}

/** Open one connection (no retries). Key and auth failures become errors that say what to do. */
export function connect(host: HostView, opts: SshPoolOptions = {}): Promise<SshConnection> {
  const client = new Client();
  let seen: string | null = null;
  let verdict: 'unknown' | 'changed' | 'ok' = 'unknown';
  const config: ConnectConfig = {
    host: host.address,
    port: host.port,
    username: host.user,
    readyTimeout: opts.readyTimeoutMs ?? 15_000,
    keepaliveInterval: opts.keepaliveMs ?? 10_000,
    keepaliveCountMax: 3,
    hostVerifier: (key: Buffer) => {
      seen = fingerprintOf(key);
      verdict = !host.fingerprint ? 'unknown' : host.fingerprint === seen ? 'ok' : 'changed';
      return verdict === 'ok';
    },
  };
  if (host.auth === 'key') {
    try {
      config.privateKey = readFileSync(host.keyPath!);
    } catch (err) {
      return Promise.reject(new ScaleDeckError('HOST_AUTH_FAILED', `${describeHost(host)}: cannot read the key ${host.keyPath} (${(err as Error).message}).`, `Fix the path with \`scaledeck hosts add ${host.name} ... --key <path>\`.`));
    }
  } else if (host.auth === 'agent') {
    config.agent = process.env.SSH_AUTH_SOCK;
  } else {
    config.password = opts.password?.(host.name);
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null) => {
      if (settled) return;
      settled = true;
      if (err) {
        client.end();
        reject(err);
      } else resolve(new SshConnection(host, client, seen ?? ''));
    };
    client.once('ready', () => {
      // Docker API calls are small request/response exchanges: Nagle would add delayed-ACK waits.
      client.setNoDelay(true);
      done(null);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (!settled) done(translate(host, err, verdict, seen));
    });
    client.once('close', () => done(translate(host, new Error('the connection closed during the handshake'), verdict, seen)));
    try {
      client.connect(config);
    } catch (err) {
      done(translate(host, err as Error, verdict, seen));
    }
  });
}

function translate(host: HostView, err: Error & { level?: string; code?: string }, verdict: string, seen: string | null): ScaleDeckError {
  const d = describeHost(host);
  const target = `${host.user}@${host.address}:${host.port}`;
  if (seen && verdict === 'unknown') {
    return new ScaleDeckError(
      'HOST_KEY_UNTRUSTED',
      `${d}: host key ${seen} not trusted.`,
      `Check it against the server (\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` there), then run \`scaledeck hosts add ${host.name} ${target} ... --trust ${seen}\`.`,
      { fingerprint: seen },
    );
  }
  if (seen && verdict === 'changed') {
    return new ScaleDeckError(
      'HOST_KEY_CHANGED',
      `${d}: host key CHANGED: trusted ${host.fingerprint}, the server now shows ${seen}. This is a possible man-in-the-middle attack; nothing was sent.`,
      `If you rebuilt or re-keyed the host and checked the new key, run \`scaledeck hosts rm ${host.name}\` and \`scaledeck hosts add ${host.name} ${target} ... --trust ${seen}\`.`,
      { fingerprint: seen, trusted: host.fingerprint },
    );
  }
  if (err.level === 'client-authentication') {
    const how = host.auth === 'password' ? 'the password was refused' : host.auth === 'key' ? `the key ${host.keyPath} was refused` : 'no key in the SSH agent was accepted';
    return new ScaleDeckError(
      'HOST_AUTH_FAILED',
      `${d}: authentication failed: ${how}.`,
      host.auth === 'key'
        ? `Add the public key to ~${host.user}/.ssh/authorized_keys on the host (\`ssh-copy-id -i ${host.keyPath} ${host.user}@${host.address}\`), or re-add the host with another key.`
        : `Re-add the host with the right credentials: \`scaledeck hosts add ${host.name} ${target} --password-stdin\` or --key <path>.`,
    );
  }
  if (/Cannot parse privateKey|Encrypted private OpenSSH key/i.test(err.message)) {
    return new ScaleDeckError('HOST_AUTH_FAILED', `${d}: cannot use the key ${host.keyPath}: ${err.message}.`, 'Use an unencrypted key, or load it into the SSH agent and use --agent.');
  }
  return new ScaleDeckError('HOST_UNREACHABLE', `${d}: cannot connect (${err.code ?? ''}${err.code ? ': ' : ''}${err.message}).`, 'Check that the host is up, the address and port are right, and sshd is running.');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One connection per host name, re-opened with backoff when it dropped. */
export class SshPool {
  private readonly conns = new Map<string, Promise<SshConnection>>();
  constructor(private readonly opts: SshPoolOptions = {}) {}

  async get(host: HostView): Promise<SshConnection> {
    const key = `${host.name}|${host.user}@${host.address}:${host.port}|${host.fingerprint ?? ''}`;
    const existing = this.conns.get(key);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.closed) return c;
      this.conns.delete(key);
    }
    const p = this.connectWithBackoff(host);
    this.conns.set(key, p);
    p.catch(() => this.conns.delete(key));
    return p;
  }

  private async connectWithBackoff(host: HostView): Promise<SshConnection> {
    const attempts = this.opts.attempts ?? 3;
    let delay = this.opts.backoffMs ?? 500;
    for (let i = 1; ; i++) {
      try {
        return await connect(host, this.opts);
      } catch (err) {
        // Key and auth refusals will not change by retrying.
        if (i >= attempts || (err as ScaleDeckError).code !== 'HOST_UNREACHABLE') throw err;
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  /** Close a host's connection (after hosts rm, or a changed key). */
  drop(name: string): void {
    for (const [key, p] of this.conns) {
      if (key.startsWith(`${name}|`)) {
        this.conns.delete(key);
        p.then((c) => c.end()).catch(() => {});
      }
    }
  }

  closeAll(): void {
    for (const p of this.conns.values()) p.then((c) => c.end()).catch(() => {});
    this.conns.clear();
  }
}
