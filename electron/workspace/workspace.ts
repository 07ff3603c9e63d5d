import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import { DEFAULT_TOPOLOGY, SECRET_NAMES, type DbTopology, type Secrets } from '../../shared/generate/model.ts';
import { atomicWrite, convertSecretJson, readSecretJson, writeSecretJson, type Sealer } from './secret-store.ts';

/**
 * The workspace folder (SCALEDECK_HOME, default ~/.scaledeck) keeps what labels cannot:
 * each cluster's spec as the user wrote it, its generated secrets (0600, or sealed with the
 * desktop keyring: see secret-store.ts; never printed),
 * and a lock so two commands do not change one cluster at once.
 */
export class Workspace {
  readonly root: string;
  constructor(root = process.env.SCALEDECK_HOME || join(homedir(), '.scaledeck')) {
    this.root = root;
    mkdirSync(join(root, 'clusters'), { recursive: true, mode: 0o700 });
  }

  private dir(cluster: string): string {
    const d = join(this.root, 'clusters', cluster);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  }

  listClusters(): string[] {
    const d = join(this.root, 'clusters');
    return readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(d, e.name, 'spec.yaml')))
      .map((e) => e.name)
      .sort();
  }

  readSpec(cluster: string): string | null {
    const f = join(this.root, 'clusters', cluster, 'spec.yaml');
    return existsSync(f) ? readFileSync(f, 'utf8') : null;
  }

  writeSpec(cluster: string, yaml: string): void {
    atomicWrite(join(this.dir(cluster), 'spec.yaml'), yaml, 0o644);
  }

  /** Secrets are generated once per cluster and reused, so containers are not recreated. */
  secrets(cluster: string): Secrets {
    const f = join(this.dir(cluster), 'secrets.json');
    const current: Partial<Secrets> = readSecretJson<Partial<Secrets>>(f) ?? {};
    let changed = false;
    for (const name of SECRET_NAMES) {
      if (!current[name]) {
        current[name] = randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
        changed = true;
      }
    }
    if (changed) writeSecretJson(f, current);
    return current as Secrets;
  }

  /**
   * The balancer's self-signed certificate (generated once per cluster with openssl, kept 0600
   * beside the secrets). `peek` returns placeholders instead of generating (dry runs).
   */
  selfSignedTls(cluster: string, peek = false): { cert: string; key: string } {
    const d = join(this.root, 'clusters', cluster, 'tls');
    const cert = join(d, 'cert.pem');
    const key = join(d, 'key.pem');
    if (!existsSync(cert) || !existsSync(key)) {
      if (peek) return { cert: 'not-generated-yet', key: 'not-generated-yet' };
      mkdirSync(d, { recursive: true, mode: 0o700 });
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '825', '-subj', `/CN=${cluster}.scaledeck.local`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
      if (r.status !== 0) {
        throw new ScaleDeckError('INTERNAL', `Could not generate a self-signed certificate: ${r.error?.message ?? r.stderr.trim()}`, 'Install openssl (`sudo apt-get install -y openssl`), or give balancer/tls cert and key files.');
      }
      chmodSync(key, 0o600);
    }
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  }

  /** Existing secrets, or placeholders, without writing anything (for dry runs and previews). */
  peekSecrets(cluster: string): Secrets {
    const current = readSecretJson<Partial<Secrets>>(join(this.root, 'clusters', cluster, 'secrets.json')) ?? {};
    return Object.fromEntries(SECRET_NAMES.map((n) => [n, current[n] ?? 'not-generated-yet'])) as Secrets;
  }

  /**
   * Rewrite every secret file (each cluster's, and the hosts' passwords) into this process's form,
   * after the user switched the storage. Counts the clusters converted.
   */
  convertSecrets(keyring: Sealer | null): number {
    let n = 0;
    for (const c of readdirSync(join(this.root, 'clusters'))) if (convertSecretJson(join(this.root, 'clusters', c, 'secrets.json'), keyring)) n++;
    convertSecretJson(join(this.root, 'hosts.secrets.json'), keyring);
    return n;
  }

  /** Small app settings kept beside the clusters (settings.json). */
  readSettings(): { secretStorage?: 'keyring' | 'file' } {
    try {
      return JSON.parse(readFileSync(join(this.root, 'settings.json'), 'utf8')) as { secretStorage?: 'keyring' | 'file' };
    } catch {
      return {};
    }
  }

  writeSettings(patch: { secretStorage?: 'keyring' | 'file' }): void {
    atomicWrite(join(this.root, 'settings.json'), JSON.stringify({ ...this.readSettings(), ...patch }, null, 2), 0o600);
  }

  /** Which Postgres container is the primary after a failover (db.json); the default without one. */
  dbTopology(cluster: string): DbTopology {
    const f = join(this.root, 'clusters', cluster, 'db.json');
    if (!existsSync(f)) return { ...DEFAULT_TOPOLOGY, fenced: [] };
    const t = JSON.parse(readFileSync(f, 'utf8')) as Partial<DbTopology>;
    return { primary: t.primary ?? 'postgres', fenced: t.fenced ?? [] };
  }

  writeDbTopology(cluster: string, topology: DbTopology): void {
    atomicWrite(join(this.dir(cluster), 'db.json'), `${JSON.stringify(topology, null, 2)}\n`, 0o644);
  }

  hasSpec(cluster: string): boolean {
    return existsSync(join(this.root, 'clusters', cluster, 'spec.yaml'));
  }

  /** Forget a cluster: its spec and secrets (only after its containers are gone). */
  remove(cluster: string): void {
    rmSync(join(this.root, 'clusters', cluster), { recursive: true, force: true });
  }

  /**
   * A per-cluster lock across processes: a file holding the owner's pid. A lock whose process
   * is gone (killed mid-operation) is stale and taken over.
   */
  lock(cluster: string, what: string): () => void {
    const f = join(this.dir(cluster), 'lock');
    // Created exclusively ('wx'), so two processes cannot both take it; a stale lock is removed once.
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(f, `${process.pid}\n${what}\n`, { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      }
      const [pidText, holder] = readFileSync(f, 'utf8').split('\n');
      const pid = Number(pidText);
      if (pid && pid !== process.pid && alive(pid)) {
        throw new ScaleDeckError(
          'BUSY',
          `Cluster "${cluster}" is busy: process ${pid} is running "${holder ?? 'an operation'}" on it.`,
          'Wait for it to finish, or stop that process and run the command again.',
        );
      }
      rmSync(f, { force: true });
    }
    return () => {
      try {
        const [pidText] = readFileSync(f, 'utf8').split('\n');
        if (Number(pidText) === process.pid) rmSync(f, { force: true });
      } catch {
        /* already gone */
      }
    };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
