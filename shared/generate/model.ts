import type { ClusterSpec, Role } from '../spec/schema.ts';
import { addressOf, apiHostPort, bindFor, CROSS_HOST_PORT, hostOf, LOCAL, usesHosts, type HostAddresses } from './placement.ts';

/**
 * The service model: one description of every container a cluster runs, from which both the
 * engine's create options and the exported docker-compose.yml are generated. This is what keeps
 * "export is what runs" true: there is no second rendition of the topology.
 */

/** An env value or command argument that refers to per-cluster secrets as `${NAME}`. */
export interface Templated {
  template: string;
}
export type EnvValue = string | Templated;

export interface HealthCheck {
  test: string[]; // Docker's form: ['CMD', ...] or ['CMD-SHELL', '...']
  intervalS: number;
  timeoutS: number;
  retries: number;
  startPeriodS: number;
}

export interface ServiceModel {
  /** Service key, also the DNS name inside the cluster network: api-1, balancer, redis, postgres. */
  key: string;
  role: Role;
  slot?: number;
  color?: Color;
  image: string;
  command: string[];
  user?: string;
  env: Record<string, EnvValue>;
  ports: { hostIp: string; host: number; container: number }[];
  volumes: { name: string; target: string }[];
  /** Files the service needs, written into the container before it starts (a bind mount in compose). */
  files: { path: string; exportName: string; content: string }[];
  healthcheck: HealthCheck;
  stopSignal: string;
  stopGraceS: number;
  cpus?: number;
  memoryBytes?: number;
  dependsOn: { key: string; condition: 'healthy' | 'started' }[];
  /** The host whose engine runs it (set only when the spec places services on hosts). */
  host?: string;
  /** Extra DNS names on the cluster network (the promoted replica answers as `postgres`). */
  aliases?: string[];
}

/**
 * Which Postgres container is the primary, after a failover (clusters/<name>/db.json).
 * Without a failover the primary is the `postgres` service and nothing is fenced.
 */
export interface DbTopology {
  /** Service key of the current primary: `postgres` or a promoted `postgres-replica-N`. */
  primary: string;
  /** Old primaries: stopped, off the network, kept with their volume for inspection. */
  fenced: string[];
}
export const DEFAULT_TOPOLOGY: DbTopology = { primary: 'postgres', fenced: [] };

/** Secret names a cluster needs; values are generated per cluster and kept out of exports. */
export const SECRET_NAMES = ['POSTGRES_PASSWORD', 'JWT_SECRET', 'REPLICATION_PASSWORD', 'REDIS_PASSWORD'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

export const NGINX_CONF_PATH = '/etc/scaledeck/nginx.conf';
export const TLS_CERT_PATH = '/etc/scaledeck/tls/cert.pem';
export const TLS_KEY_PATH = '/etc/scaledeck/tls/key.pem';
export const BALANCER_HTTPS_PORT = 443;

/** The balancer's certificate and key (PEM). Export passes none: the files are the user's. */
export interface TlsMaterial {
  cert: string;
  key: string;
}
export const BALANCER_HTTP_PORT = 80;
export const BALANCER_STATUS_PORT = 8081;
export const PGDATA = '/var/lib/postgresql/data/pgdata';

export function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(value);
  if (!m) throw new Error(`bad memory size ${value}`);
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

/**
 * API nodes come in two colours so that an upgrade can run new nodes beside the old ones:
 * blue nodes are `api-1…`, green nodes `api-1-green…`. Each upgrade moves the fleet to the other colour.
 */
export type Color = 'blue' | 'green';
export const otherColor = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');

export function apiKey(slot: number, color: Color = 'blue'): string {
  return color === 'blue' ? `api-${slot}` : `api-${slot}-green`;
}

export function apiKeys(spec: ClusterSpec, color: Color = 'blue'): string[] {
  return Array.from({ length: spec.api.replicas }, (_, i) => apiKey(i + 1, color));
}

/**
 * The API node's health check runs every second, so it must be cheap: bash's /dev/tcp and
 * builtins (a couple of ms) where the image has bash, else Node's fetch (a whole Node start,
 * ~50 ms of CPU per check).
 */
export function httpCheck(port: number, path: string): string {
  const viaBash = `exec 3<>/dev/tcp/127.0.0.1/${port}; printf "GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" >&3; read -r s <&3; [[ "$s" == *" 200 "* ]]`;
  const viaNode = `fetch('http://127.0.0.1:${port}${path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return `if command -v bash >/dev/null 2>&1; then bash -c '${viaBash}'; else node -e "${viaNode}"; fi`;
}

export const REPLICATION_USER = 'replicator';
export const replicaKey = (n: number) => `postgres-replica-${n}`;
export const replicaSlot = (n: number) => `replica_${n}`;
export const replicaVolume = (n: number) => `pgdata-replica-${n}`;
/** The replica number of a `postgres-replica-N` service key, or null. */
export function replicaNumber(service: string): number | null {
  const m = /^postgres-replica-(\d+)$/.exec(service);
  return m ? Number(m[1]) : null;
}

/**
 * Server settings shared by primary and replicas (a promoted replica must be a full primary):
 * fixed WAL sender and slot counts so scaling replicas never restarts the primary.
 */
function postgresExec(spec: ClusterSpec): string {
  const { max_connections, max_slot_wal_keep_size } = spec.postgres;
  return [
    `exec postgres -D "${PGDATA}" -c listen_addresses='*' -c max_connections=${max_connections} -c unix_socket_directories=/tmp`,
    `-c wal_level=replica -c max_wal_senders=20 -c max_replication_slots=20 -c max_slot_wal_keep_size=${max_slot_wal_keep_size}`,
    '-c hot_standby=on -c hot_standby_feedback=on -c wal_keep_size=64MB',
  ].join(' ');
}

/**
 * Postgres start: initdb on first start (no entrypoint magic, so official and Debian images behave
 * alike); on every start, make sure the replication role and its pg_hba line exist, so a cluster
 * created before replicas existed gets them on its next `up`.
 */
function postgresScript(spec: ClusterSpec): string {
  const { database, user } = spec.postgres;
  const R = REPLICATION_USER;
  return [
    'set -e',
    `if [ ! -s "${PGDATA}/PG_VERSION" ]; then`,
    '  umask 077',
    '  printf "%s" "$POSTGRES_PASSWORD" > /tmp/pwfile',
    `  initdb -D "${PGDATA}" --username=postgres --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 >/dev/null`,
    '  rm -f /tmp/pwfile',
    `  echo "host all all all scram-sha-256" >> "${PGDATA}/pg_hba.conf"`,
    `  printf "CREATE ROLE ${user} LOGIN PASSWORD '%s';\\nCREATE DATABASE ${database} OWNER ${user};\\n" "$POSTGRES_PASSWORD" | postgres --single -D "${PGDATA}" postgres >/dev/null`,
    'fi',
    `grep -q "^host replication ${R} " "${PGDATA}/pg_hba.conf" || echo "host replication ${R} all scram-sha-256" >> "${PGDATA}/pg_hba.conf"`,
    // A standby (a fenced old primary restarted by hand) must not run single-user mode.
    `if [ ! -f "${PGDATA}/standby.signal" ]; then`,
    `  printf "DO \\$\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${R}') THEN CREATE ROLE ${R} REPLICATION LOGIN; END IF; END\\$\\$;\\nALTER ROLE ${R} PASSWORD '%s';\\n" "$REPLICATION_PASSWORD" | postgres --single -D "${PGDATA}" postgres >/dev/null`,
    'fi',
    postgresExec(spec),
  ].join('\n');
}

/**
 * Replica start: on an empty volume, copy the primary with pg_basebackup (-R writes standby.signal
 * and primary_conninfo, -X stream fetches the WAL needed, -S uses its own slot, created with -C
 * unless it is already there), then run as a hot standby. `postgres` is the primary's DNS name.
 */
function replicaScript(spec: ClusterSpec, n: number): string {
  const slot = replicaSlot(n);
  return [
    'set -e',
    `if [ ! -s "${PGDATA}/PG_VERSION" ]; then`,
    `  rm -rf "${PGDATA}"`,
    '  export PGPASSWORD="$REPLICATION_PASSWORD"',
    '  until pg_isready -q -h postgres -p 5432; do sleep 1; done',
    `  if [ "$(psql -h postgres -U ${REPLICATION_USER} -d postgres -tAc "SELECT 1 FROM pg_replication_slots WHERE slot_name = '${slot}'")" = 1 ]; then CREATE=; else CREATE=-C; fi`,
    `  pg_basebackup -h postgres -U ${REPLICATION_USER} -D "${PGDATA}" -R -X stream -S ${slot} $CREATE`,
    '  unset PGPASSWORD',
    'fi',
    postgresExec(spec),
  ].join('\n');
}

/** Redis: password from the environment (never in the command line), memory cap and persistence. */
function redisScript(spec: ClusterSpec): string {
  const r = spec.redis;
  const args = ['redis-server', '--protected-mode no', '--port 6379', "--save ''"];
  args.push(r.persistence === 'aof' ? '--appendonly yes --appendfsync everysec --dir /data' : '--appendonly no');
  if (r.maxmemory) args.push(`--maxmemory ${parseMemory(r.maxmemory)}`);
  args.push(`--maxmemory-policy ${r.eviction}`);
  if (r.password) args.push('--requirepass "$REDISCLI_AUTH"');
  return `exec ${args.join(' ')}`;
}

export function replicaKeys(spec: ClusterSpec): string[] {
  return Array.from({ length: spec.postgres.replicas }, (_, i) => replicaKey(i + 1));
}

function databaseEnv(spec: ClusterSpec): Record<string, EnvValue> {
  const { user, database, pool } = spec.postgres;
  const url = (host: string) => `postgres://${user}:\${POSTGRES_PASSWORD}@${host}:5432/${database}`;
  const replicas = replicaKeys(spec);
  return {
    DATABASE_URL: { template: url('postgres') },
    DATABASE_REPLICA_URLS: replicas.length ? { template: replicas.map(url).join(',') } : '',
    DB_POOL_MAX: String(pool),
    REDIS_URL: spec.redis.password ? { template: 'redis://:${REDIS_PASSWORD}@redis:6379' } : 'redis://redis:6379',
  };
}

/** What else shapes the model: a failover's topology, multi-host addresses, the balancer's TLS material. */
export interface ModelOptions {
  db?: DbTopology;
  addrs?: HostAddresses;
  tls?: TlsMaterial;
}

export function buildServiceModel(spec: ClusterSpec, nginxConf: string, color: Color = 'blue', opts: ModelOptions = {}): ServiceModel[] {
  const { db = DEFAULT_TOPOLOGY, addrs, tls } = opts;
  const { postgres, api, balancer } = spec;
  const pg: ServiceModel = {
    key: 'postgres',
    role: 'postgres',
    image: postgres.image,
    command: ['sh', '-c', postgresScript(spec)],
    user: 'postgres',
    env: { POSTGRES_PASSWORD: { template: '${POSTGRES_PASSWORD}' }, REPLICATION_PASSWORD: { template: '${REPLICATION_PASSWORD}' }, PGDATA },
    ports: [],
    volumes: [{ name: 'pgdata', target: '/var/lib/postgresql/data' }],
    files: [],
    healthcheck: {
      test: ['CMD', 'pg_isready', '-h', '/tmp', '-U', 'postgres', '-d', postgres.database],
      intervalS: 1,
      timeoutS: 5,
      retries: 5,
      startPeriodS: 60,
    },
    stopSignal: 'SIGINT',
    stopGraceS: 30,
    dependsOn: [],
  };
  const redis: ServiceModel = {
    key: 'redis',
    role: 'redis',
    image: spec.redis.image,
    command: ['sh', '-c', redisScript(spec)],
    // redis-cli reads REDISCLI_AUTH, so the health check and `docker exec redis-cli` need no -a.
    env: spec.redis.password ? { REDISCLI_AUTH: { template: '${REDIS_PASSWORD}' } } : {},
    ports: [],
    volumes: spec.redis.persistence === 'aof' ? [{ name: 'redisdata', target: '/data' }] : [],
    files: [],
    healthcheck: { test: ['CMD', 'redis-cli', 'ping'], intervalS: 1, timeoutS: 5, retries: 5, startPeriodS: 30 },
    stopSignal: 'SIGTERM',
    stopGraceS: 10,
    dependsOn: [],
  };
  const apis: ServiceModel[] = apiKeys(spec, color).map((key, i) => ({
    key,
    role: 'api',
    slot: i + 1,
    color,
    image: api.image,
    command: [],
    env: {
      ...api.env,
      NODE_NAME: key,
      PORT: String(api.port),
      ...databaseEnv(spec),
      JWT_SECRET: { template: '${JWT_SECRET}' },
    },
    ports: [],
    volumes: [],
    files: [],
    healthcheck: {
      test: ['CMD-SHELL', httpCheck(api.port, api.health_path)],
      intervalS: 1,
      // Generous: a busy machine must not turn a slow check into an "unhealthy" node.
      timeoutS: 5,
      retries: 5,
      startPeriodS: 30,
    },
    stopSignal: 'SIGTERM',
    stopGraceS: 15,
    cpus: api.cpus,
    memoryBytes: api.memory ? parseMemory(api.memory) : undefined,
    dependsOn: [
      { key: db.primary, condition: 'healthy' },
      { key: 'redis', condition: 'healthy' },
    ],
  }));
  // Workers run the API image (the same env, so the same database, Redis and secrets) with the
  // worker command; they answer /health on the same port, so the same check serves.
  const workers: ServiceModel[] = Array.from({ length: spec.worker.replicas }, (_, i) => ({
    ...apis[0]!,
    key: `worker-${i + 1}`,
    role: 'worker' as const,
    slot: i + 1,
    color: undefined,
    command: spec.worker.command,
    env: { ...apis[0]!.env, NODE_NAME: `worker-${i + 1}` },
  }));
  const lb: ServiceModel = {
    key: 'balancer',
    role: 'balancer',
    image: balancer.image,
    command: ['nginx', '-c', NGINX_CONF_PATH, '-g', 'daemon off;'],
    env: {},
    ports: [{ hostIp: balancer.bind, host: balancer.port, container: BALANCER_HTTP_PORT }],
    volumes: [],
    files: [{ path: NGINX_CONF_PATH, exportName: 'nginx.conf', content: nginxConf }],
    healthcheck: {
      test: [
        'CMD-SHELL',
        `curl -fsS -o /dev/null http://127.0.0.1:${BALANCER_STATUS_PORT}/nginx_status || wget -q -O /dev/null http://127.0.0.1:${BALANCER_STATUS_PORT}/nginx_status`,
      ],
      intervalS: 1,
      timeoutS: 5,
      retries: 5,
      startPeriodS: 20,
    },
    stopSignal: 'SIGQUIT',
    stopGraceS: 30,
    // (TLS: the HTTPS port and the certificate files are added below.)
    // NGINX resolves node names when it starts, and should only send traffic to nodes that answer.
    dependsOn: apis.map((a) => ({ key: a.key, condition: 'healthy' as const })),
  };
  if (balancer.tls) {
    lb.ports.push({ hostIp: balancer.bind, host: balancer.tls.port, container: BALANCER_HTTPS_PORT });
    lb.files.push(
      { path: TLS_CERT_PATH, exportName: 'tls/cert.pem', content: tls?.cert ?? '' },
      { path: TLS_KEY_PATH, exportName: 'tls/key.pem', content: tls?.key ?? '' },
    );
  }
  // Replicas: the same image and settings as the primary, each with its own volume and slot.
  // A promoted replica keeps its service key; it answers as `postgres` through a network alias.
  // A promoted replica stays even when postgres/replicas is lowered below its number: it is the primary.
  const keys = replicaKeys(spec);
  if (replicaNumber(db.primary) !== null && !keys.includes(db.primary)) keys.push(db.primary);
  const replicas: ServiceModel[] = keys.map((key) => ({
    ...pg,
    key,
    slot: replicaNumber(key)!,
    command: ['sh', '-c', replicaScript(spec, replicaNumber(key)!)],
    volumes: [{ name: replicaVolume(replicaNumber(key)!), target: '/var/lib/postgresql/data' }],
    healthcheck: { ...pg.healthcheck, startPeriodS: 300 },
    dependsOn: key === db.primary ? [] : [{ key: db.primary, condition: 'healthy' as const }],
    aliases: key === db.primary ? ['postgres'] : undefined,
  }));
  const primary = db.fenced.includes('postgres') ? [] : [pg];
  const all = [...primary, ...replicas, redis, ...apis, ...workers, lb];
  return usesHosts(spec) ? placeModel(spec, all, addrs) : all;
}

/**
 * Multi-host: stamp each service with its host, and wire consumers on another host to the
 * ports their providers publish there (DATABASE_URL, REDIS_URL; the balancer's upstreams are
 * addressed in nginx.ts from the same rules).
 */
function placeModel(spec: ClusterSpec, all: ServiceModel[], addrs: HostAddresses | undefined): ServiceModel[] {
  const pgHost = hostOf(spec, 'postgres');
  const redisHost = hostOf(spec, 'redis');
  const lbHost = hostOf(spec, 'balancer');
  const { user, database } = spec.postgres;
  const publish = (m: ServiceModel, host: number, container: number) => {
    const addr = addressOf(addrs, m.host!);
    if (!m.ports.some((p) => p.host === host)) m.ports.push({ hostIp: bindFor(addr), host, container });
  };
  for (const m of all) {
    m.host = hostOf(spec, m.role, m.slot);
    m.ports = [...m.ports]; // workers share api-1's arrays (spread copy)
  }
  const pg = all.find((m) => m.role === 'postgres' && m.slot === undefined) ?? all.find((m) => m.role === 'postgres')!;
  const redis = all.find((m) => m.role === 'redis')!;
  const replicas = all.filter((m) => m.role === 'postgres' && m.slot !== undefined);
  for (const m of all) {
    if (m.role !== 'api' && m.role !== 'worker') continue;
    if (m.host !== pgHost) {
      const pgUrl = (port: number) => `postgres://${user}:\${POSTGRES_PASSWORD}@${addressOf(addrs, pgHost)}:${port}/${database}`;
      m.env.DATABASE_URL = { template: pgUrl(CROSS_HOST_PORT.postgres) };
      publish(pg, CROSS_HOST_PORT.postgres, 5432);
      // Replicas sit on the primary's host (they follow it by name); each publishes its own port.
      if (replicas.length) {
        m.env.DATABASE_REPLICA_URLS = { template: replicas.map((r) => pgUrl(CROSS_HOST_PORT.postgres + r.slot!)).join(',') };
        for (const r of replicas) publish(r, CROSS_HOST_PORT.postgres + r.slot!, 5432);
      }
    }
    if (m.host !== redisHost) {
      const auth = spec.redis.password ? ':${REDIS_PASSWORD}@' : '';
      m.env.REDIS_URL = auth ? { template: `redis://${auth}${addressOf(addrs, redisHost)}:${CROSS_HOST_PORT.redis}` } : `redis://${addressOf(addrs, redisHost)}:${CROSS_HOST_PORT.redis}`;
      publish(redis, CROSS_HOST_PORT.redis, 6379);
    }
    if (m.role === 'api' && m.host !== lbHost) publish(m, apiHostPort(m.slot ?? 1, m.color === 'green'), spec.api.port);
  }
  // The host is recorded for placement only; a service on the local engine looks as it always did.
  for (const m of all) if (m.host === LOCAL) m.host = undefined;
  return all;
}

/** Substitute `${NAME}` secret references. Unknown names are an error, never left as text. */
export function renderTemplate(value: EnvValue, secrets: Secrets): string {
  if (typeof value === 'string') return value;
  return value.template.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => {
    const v = (secrets as Record<string, string>)[name];
    if (v === undefined) throw new Error(`secret ${name} is not set for this cluster`);
    return v;
  });
}
