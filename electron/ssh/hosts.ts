import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { HostAddInput, HostView } from '../../shared/api/types.ts';
import { atomicWrite, readSecretJson, writeSecretJson } from '../workspace/secret-store.ts';

/**
 * Remote hosts kept in the workspace: hosts.json (no secrets; 0644) and the passwords in
 * hosts.secrets.json, kept like the clusters' secrets (0600, or sealed with the desktop keyring:
 * workspace/secret-store.ts), never printed or returned by the API.
 */

const NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;
const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function parseTarget(target: string): { user: string; address: string; port: number } {
  const m = /^([A-Za-z0-9._-]+)@(\[[^\]]+\]|[^:@\s]+)(?::(\d{1,5}))?$/.exec(target.trim());
  if (!m) {
    throw new ScaleDeckError('BAD_REQUEST', `host: "${target}" is not user@address[:port].`, 'Example: scaledeck hosts add web1 deploy@10.0.0.5:22 --agent');
  }
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) throw new ScaleDeckError('BAD_REQUEST', `host: port ${port} is out of range (1-65535).`);
  return { user: m[1]!, address: m[2]!.replace(/^\[|\]$/g, ''), port };
}

export function checkFingerprint(fp: string): string {
  const v = fp.trim().replace(/=+$/, '');
  if (!FINGERPRINT_RE.test(v)) {
    throw new ScaleDeckError('BAD_REQUEST', `trust: "${fp}" is not a SHA256 host-key fingerprint.`, 'It looks like SHA256:ABC…(43 characters), as printed by the first connection attempt or `ssh-keygen -lf`.');
  }
  return v;
}

interface HostsFile {
  hosts: HostView[];
}

export class HostStore {
  private readonly file: string;
  private readonly secretsFile: string;

  constructor(root: string) {
    this.file = join(root, 'hosts.json');
    this.secretsFile = join(root, 'hosts.secrets.json');
  }

  list(): HostView[] {
    if (!existsSync(this.file)) return [];
    const data = JSON.parse(readFileSync(this.file, 'utf8')) as HostsFile;
    return (data.hosts ?? []).slice().sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): HostView {
    const h = this.list().find((x) => x.name === name);
    if (!h) {
      throw new ScaleDeckError('NOT_FOUND', `No host named "${name}".`, 'List hosts with `scaledeck hosts ls`, add one with `scaledeck hosts add <name> <user@address>`.');
    }
    return h;
  }

  has(name: string): boolean {
    return this.list().some((x) => x.name === name);
  }

  password(name: string): string | undefined {
    return this.readSecrets()[name];
  }

  /** Validate the input into a HostView (nothing is written). */
  build(input: HostAddInput): { host: HostView; password?: string } {
    const name = String(input?.name ?? '');
    if (!NAME_RE.test(name)) {
      throw new ScaleDeckError('BAD_REQUEST', `name: "${name}" is not a valid host name.`, 'Use lowercase letters, digits and dashes (up to 31), e.g. web1.');
    }
    if (name === 'local') throw new ScaleDeckError('BAD_REQUEST', 'name: "local" is reserved for this machine\'s engine.');
    const { user, address, port } = parseTarget(String(input.target ?? ''));
    const ways = [input.keyPath ? 'key' : null, input.agent ? 'agent' : null, input.password !== undefined ? 'password' : null].filter(Boolean);
    if (ways.length !== 1) {
      throw new ScaleDeckError('BAD_REQUEST', `auth: give exactly one of a key file, the SSH agent or a password (got ${ways.length ? ways.join(' + ') : 'none'}).`, 'CLI: --key ~/.ssh/id_ed25519, --agent, or --password-stdin.');
    }
    let keyPath: string | undefined;
    if (input.keyPath) {
      keyPath = resolve(input.keyPath);
      if (!existsSync(keyPath)) throw new ScaleDeckError('BAD_REQUEST', `key: ${keyPath} does not exist.`, 'Give the path of a private key file (e.g. ~/.ssh/id_ed25519).');
    }
    if (input.agent && !process.env.SSH_AUTH_SOCK) {
      throw new ScaleDeckError('BAD_REQUEST', 'auth: --agent was given but SSH_AUTH_SOCK is not set.', 'Start an agent (`eval $(ssh-agent)` and `ssh-add`) or use --key.');
    }
    if (input.password !== undefined && input.password.length === 0) throw new ScaleDeckError('BAD_REQUEST', 'password: empty.');
    const host: HostView = {
      name,
      address,
      port,
      user,
      auth: ways[0] as HostView['auth'],
      ...(keyPath ? { keyPath } : {}),
      ...(input.trust ? { fingerprint: checkFingerprint(input.trust) } : {}),
      advertise: input.advertise?.trim() || address,
    };
    return { host, password: input.password };
  }

  save(host: HostView, password?: string): void {
    const hosts = this.list().filter((h) => h.name !== host.name);
    hosts.push(host);
    atomicWrite(this.file, JSON.stringify({ hosts } satisfies HostsFile, null, 2) + '\n', 0o644);
    const secrets = this.readSecrets();
    if (password !== undefined) secrets[host.name] = password;
    else delete secrets[host.name];
    writeSecretJson(this.secretsFile, secrets);
  }

  remove(name: string): void {
    this.get(name);
    atomicWrite(this.file, JSON.stringify({ hosts: this.list().filter((h) => h.name !== name) }, null, 2) + '\n', 0o644);
    const secrets = this.readSecrets();
    if (name in secrets) {
      delete secrets[name];
      writeSecretJson(this.secretsFile, secrets);
    }
  }

  private readSecrets(): Record<string, string> {
    return readSecretJson<Record<string, string>>(this.secretsFile) ?? {};
  }
}
