// Test harness: real Postgres and Redis containers (scaledeck-test images) on a network of our
// own, ports published on 127.0.0.1, and API nodes / workers as child processes running the
// compiled template (dist/). Everything a test run creates is named `sdtpl-<run>-…` and labelled
// `io.scaledeck.sdtpl=<run>`, and is removed by Infra.stop() (nothing else is ever touched).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const TEMPLATE_DIR = resolve(import.meta.dirname, '..');
export const POSTGRES_IMAGE = process.env.SDTPL_POSTGRES_IMAGE ?? 'scaledeck-test/postgres:1';
export const REDIS_IMAGE = process.env.SDTPL_REDIS_IMAGE ?? 'scaledeck-test/redis:1';
const LABEL = 'io.scaledeck.sdtpl';
const PGDATA = '/var/lib/postgresql/data/pgdata';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const secret = (n = 18) => randomBytes(n).toString('base64url');

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

let built: Promise<void> | undefined;
/** Compile src/ to dist/ once per test process (`npm run build`). */
export function buildTemplate(): Promise<void> {
  built ??= exec(process.execPath, [resolve(TEMPLATE_DIR, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: TEMPLATE_DIR }).then(
    () => undefined,
    (err: { stdout?: string; stderr?: string }) => {
      throw new Error(`tsc failed:\n${err.stdout}\n${err.stderr}`);
    },
  );
  return built;
}

/** ScaleDeck's start script (shared/generate/model.ts), plus a replication role, minus fsync. */
function postgresScript(): string {
  return [
    'set -e',
    `if [ ! -s "${PGDATA}/PG_VERSION" ]; then`,
    '  umask 077',
    '  printf "%s" "$POSTGRES_PASSWORD" > /tmp/pwfile',
    `  initdb -D "${PGDATA}" --username=postgres --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null`,
    '  rm -f /tmp/pwfile',
    `  echo "host all all all scram-sha-256" >> "${PGDATA}/pg_hba.conf"`,
    `  echo "host replication replicator all scram-sha-256" >> "${PGDATA}/pg_hba.conf"`,
    `  printf "CREATE ROLE app LOGIN PASSWORD '%s';\\nCREATE DATABASE app OWNER app;\\nCREATE ROLE replicator REPLICATION LOGIN PASSWORD '%s';\\n" "$POSTGRES_PASSWORD" "$POSTGRES_PASSWORD" | postgres --single -D "${PGDATA}" postgres >/dev/null`,
    'fi',
    // Test speed: no fsync (the data is thrown away after the run).
    `exec postgres -D "${PGDATA}" -c listen_addresses='*' -c max_connections=200 -c unix_socket_directories=/tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
  ].join('\n');
}

export interface PgContainer {
  name: string;
  alias: string;
  port: number;
}

export class Infra {
  readonly run = `sdtpl-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  readonly network = `${this.run}-net`;
  readonly pgPassword = secret(15);
  readonly containers: string[] = [];
  pg!: PgContainer;
  redis!: { name: string; port: number };
  replica?: PgContainer;

  static async start(opts: { postgres?: boolean; redis?: boolean } = {}): Promise<Infra> {
    const infra = new Infra();
    await docker('network', 'create', '--label', `${LABEL}=${infra.run}`, infra.network);
    await Promise.all([
      opts.postgres === false ? undefined : infra.startPostgres(),
      opts.redis === false ? undefined : infra.startRedis(),
    ]);
    return infra;
  }

  private async runContainer(name: string, alias: string, port: number, containerPort: number, image: string, args: string[], extra: string[] = []) {
    this.containers.push(name);
    await docker(
      'run', '-d', '--name', name, '--label', `${LABEL}=${this.run}`, '--network', this.network, '--network-alias', alias,
      '-p', `127.0.0.1:${port}:${containerPort}`, ...extra, image, ...args,
    );
  }

  async startPostgres(): Promise<PgContainer> {
    const pg = { name: `${this.run}-pg`, alias: 'postgres', port: await freePort() };
    await this.runContainer(pg.name, pg.alias, pg.port, 5432, POSTGRES_IMAGE, ['sh', '-c', postgresScript()], [
      '--user', 'postgres', '-e', `POSTGRES_PASSWORD=${this.pgPassword}`, '-e', `PGDATA=${PGDATA}`,
    ]);
    this.pg = pg;
    await this.waitPostgres(pg);
    return pg;
  }

  async waitPostgres(pg: PgContainer, timeoutMs = 60_000) {
    await waitFor(`postgres ${pg.name}`, async () => {
      await docker('exec', pg.name, 'pg_isready', '-h', '/tmp', '-U', 'postgres', '-d', 'app');
      return true;
    }, timeoutMs, 200);
  }

  /** A streaming replica of the primary (pg_basebackup -R), on the same network. */
  async startReplica(): Promise<PgContainer> {
    const r = { name: `${this.run}-pgr`, alias: 'postgres-replica', port: await freePort() };
    const script = [
      'set -e',
      `if [ ! -s "${PGDATA}/PG_VERSION" ]; then`,
      `  pg_basebackup -h postgres -U replicator -D "${PGDATA}" -R -X stream >/dev/null`,
      `  chmod 700 "${PGDATA}"`,
      'fi',
      `exec postgres -D "${PGDATA}" -c listen_addresses='*' -c max_connections=200 -c unix_socket_directories=/tmp -c hot_standby=on`,
    ].join('\n');
    await this.runContainer(r.name, r.alias, r.port, 5432, POSTGRES_IMAGE, ['sh', '-c', script], [
      '--user', 'postgres', '-e', `PGPASSWORD=${this.pgPassword}`, '-e', `PGDATA=${PGDATA}`,
    ]);
    this.replica = r;
    await this.waitPostgres(r);
    return r;
  }

  async startRedis() {
    this.redis = { name: `${this.run}-redis`, port: await freePort() };
    await this.runContainer(this.redis.name, 'redis', this.redis.port, 6379, REDIS_IMAGE, [
      'redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--port', '6379',
    ]);
    await waitFor('redis', async () => (await docker('exec', this.redis.name, 'redis-cli', 'ping')) === 'PONG', 30_000, 200);
  }

  databaseUrl(pg: PgContainer = this.pg): string {
    return `postgres://app:${this.pgPassword}@127.0.0.1:${pg.port}/app`;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redis.port}`;
  }

  /** The container's address on the test network (reachable from this host, no port proxy). */
  async ip(name: string): Promise<string> {
    return docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
  }

  /** Run SQL as the superuser inside a Postgres container; rows as `a|b` lines. */
  async psql(sql: string, pg: PgContainer = this.pg): Promise<string> {
    return docker('exec', pg.name, 'psql', '-h', '/tmp', '-U', 'postgres', '-d', 'app', '-v', 'ON_ERROR_STOP=1', '-Atc', sql);
  }

  async redisCli(...args: string[]): Promise<string> {
    return docker('exec', this.redis.name, 'redis-cli', ...args);
  }

  /** Remove every container and the network this run created. */
  async stop(): Promise<void> {
    const ids = (await docker('ps', '-aq', '--filter', `label=${LABEL}=${this.run}`).catch(() => '')).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', '-v', ...ids).catch(() => undefined);
    await docker('network', 'rm', this.network).catch(() => undefined);
  }
}

// ---- API nodes and workers as child processes

const live = new Set<NodeProc>();

export class NodeProc {
  readonly lines: string[] = [];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly name: string,
  ) {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) !== -1) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((res) =>
      child.once('exit', (code, signal) => {
        if (buf) this.lines.push(buf);
        this.exitInfo = { code, signal };
        live.delete(this);
        res({ code, signal });
      }),
    );
    live.add(this);
  }

  static async start(env: Record<string, string>, opts: { script?: 'server' | 'worker'; port?: number } = {}): Promise<NodeProc> {
    const port = opts.port ?? (await freePort());
    const name = env.NODE_NAME ?? `node-${port}`;
    const child = spawn(process.execPath, [resolve(TEMPLATE_DIR, 'dist', `${opts.script ?? 'server'}.js`)], {
      cwd: TEMPLATE_DIR,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_NAME: name, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProc(child, port, name);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get output(): string {
    return this.lines.join('\n');
  }

  /** Parsed JSON log lines. */
  logs(): Array<Record<string, unknown>> {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async waitHealthy(timeoutMs = 15_000) {
    await waitFor(`${this.name} /health`, async () => {
      if (this.exitInfo) throw new Error(`${this.name} exited ${JSON.stringify(this.exitInfo)}:\n${this.output}`);
      return (await fetch(`${this.url}/health`)).status === 200;
    }, timeoutMs, 50);
  }

  async waitReady(timeoutMs = 30_000) {
    await waitFor(`${this.name} /ready`, async () => {
      if (this.exitInfo) throw new Error(`${this.name} exited ${JSON.stringify(this.exitInfo)}:\n${this.output}`);
      return (await fetch(`${this.url}/ready`)).status === 200;
    }, timeoutMs, 100);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }
}

/** SIGKILL every node a test file left running. */
export async function killAll() {
  await Promise.all([...live].map((n) => n.stop('SIGKILL')));
}

export function nodeEnv(infra: Infra, jwtSecret: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: infra.databaseUrl(),
    DATABASE_REPLICA_URLS: '',
    REDIS_URL: infra.redisUrl,
    JWT_SECRET: jwtSecret,
    BCRYPT_ROUNDS: '4',
    ...extra,
  };
}

// ---- HTTP

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function req(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.raw !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const r = await fetch(`${base}${path}`, { method, headers, body });
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** The value of one Prometheus sample, e.g. metric(text, 'cache_hits_total', {cache: 'user'}). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (!ok) continue;
    found = true;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found ? total : 0;
}

export async function metrics(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

/** Register + login; returns the user id and tokens. */
export async function signUp(base: string, email: string, password = 'correct horse battery', name = 'Test User', headers: Record<string, string> = {}) {
  const reg = await req(base, 'POST', '/api/register', { body: { email, password, name }, headers });
  if (reg.status !== 201) throw new Error(`register ${reg.status}: ${reg.text}`);
  const login = await req(base, 'POST', '/api/login', { body: { email, password }, headers });
  if (login.status !== 200) throw new Error(`login ${login.status}: ${login.text}`);
  return { id: reg.json.user.id as number, token: login.json.access_token as string, refresh: login.json.refresh_token as string, password };
}
