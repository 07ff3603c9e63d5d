import { z } from 'zod';

/**
 * The cluster spec: what a user writes in YAML and keeps in git.
 * Phase one of validation is this schema (shape, ranges, unknown keys); phase two is
 * `crossChecks` in validate.ts (rules that involve several fields).
 * Every message says what was expected; validate.ts prefixes the path and adds what was given.
 */

const NAME_RE = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DURATION_RE = /^\d+(ms|s|m)$/;
const MEMORY_RE = /^\d+(\.\d+)?[kmg]$/i;

const int = (min: number, max: number, what = 'a whole number') =>
  z
    .number({ error: `must be ${what} between ${min} and ${max}` })
    .int({ error: `must be ${what} between ${min} and ${max}` })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

const port = (what: string) => int(1, 65535, `a ${what} port`);

const duration = z
  .string({ error: 'must be a duration such as 10s, 500ms or 1m' })
  .regex(DURATION_RE, { error: 'must be a duration such as 10s, 500ms or 1m' });

/** A host from `scaledeck hosts ls`, or `local` (this machine's engine). */
const hostName = z
  .string({ error: 'must be a host name from `scaledeck hosts ls` (or local)' })
  .regex(/^[a-z][a-z0-9-]{0,30}$/, { error: 'must be a host name from `scaledeck hosts ls` (or local)' });

const image = z
  .string({ error: 'must be an image reference such as nginx:1.27' })
  .min(1, { error: 'must not be empty' })
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, {
    error: 'must be an image reference such as nginx:1.27 (lowercase, no spaces)',
  });

export const apiSchema = z.strictObject({
  image: image.optional(),
  replicas: int(1, 64).default(3),
  port: port('container').default(3000),
  env: z
    .record(
      z.string().regex(ENV_KEY_RE, { error: 'environment variable names use letters, digits and _' }),
      z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)),
    )
    .default({}),
  health_path: z
    .string()
    .regex(/^\/[^\s]*$/, { error: 'must be a path starting with /' })
    .default('/health'),
  cpus: z
    .number({ error: 'must be a number of CPUs such as 0.5' })
    .min(0.01, { error: 'must be between 0.01 and 64' })
    .max(64, { error: 'must be between 0.01 and 64' })
    .optional(),
  memory: z
    .string({ error: 'must be a size such as 256m or 1g' })
    .regex(MEMORY_RE, { error: 'must be a size such as 256m or 1g' })
    .optional(),
  /** Hosts the nodes are spread over, round-robin (api-1 on the first, api-2 on the second, ...). */
  hosts: z.array(hostName).min(1, { error: 'must list at least one host' }).optional(),
});

export const balancerSchema = z.strictObject({
  image: image.optional(),
  algorithm: z
    .enum(['round_robin', 'least_conn', 'ip_hash'], {
      error: 'must be one of round_robin, least_conn, ip_hash',
    })
    .default('round_robin'),
  port: port('host').default(8080),
  bind: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}$/, { error: 'must be an IPv4 address such as 127.0.0.1' })
    .default('127.0.0.1'),
  max_fails: int(0, 100).default(3),
  fail_timeout: duration.default('10s'),
  keepalive: int(0, 1024).default(32),
  backup_nodes: int(0, 63).default(0),
  host: hostName.optional(),
  /** HTTPS: a certificate and key (PEM files) the user provides, or a generated self-signed pair. */
  tls: z
    .strictObject({
      cert: z.string().min(1, { error: 'must be the path of a PEM certificate' }).optional(),
      key: z.string().min(1, { error: 'must be the path of a PEM private key' }).optional(),
      self_signed: z.boolean({ error: 'must be true or false' }).optional(),
      port: port('host').default(8443),
    })
    .optional(),
});

/** Background workers: the API image with another command, taking jobs from the Redis queue. */
export const workerSchema = z.strictObject({
  replicas: int(0, 16).default(1),
  command: z.array(z.string()).min(1, { error: 'must list the program and its arguments' }).default(['node', 'dist/worker.js']),
  host: hostName.optional(),
});

export const REDIS_EVICTION = ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu', 'allkeys-random', 'volatile-random', 'volatile-ttl'] as const;

export const redisSchema = z.strictObject({
  image: image.optional(),
  host: hostName.optional(),
  /** Redis's own cap on memory (maxmemory); unset means no cap. */
  maxmemory: z
    .string({ error: 'must be a size such as 256m or 1g' })
    .regex(MEMORY_RE, { error: 'must be a size such as 256m or 1g' })
    .optional(),
  eviction: z.enum(REDIS_EVICTION, { error: `must be one of ${REDIS_EVICTION.join(', ')}` }).default('noeviction'),
  persistence: z.enum(['none', 'aof'], { error: 'must be none or aof' }).default('none'),
  /** Require a generated password (REDIS_PASSWORD in the cluster's secrets). */
  password: z.boolean({ error: 'must be true or false' }).default(true),
});

export const postgresSchema = z.strictObject({
  image: image.optional(),
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'must be a lowercase identifier such as app' })
    .default('app'),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'must be a lowercase identifier such as app' })
    .default('app'),
  max_connections: int(10, 10000).default(100),
  host: hostName.optional(),
  /** Streaming replicas (postgres-replica-1…N), each with its own replication slot. */
  replicas: int(0, 8).default(0),
  /** Connection pool size of each API node and worker (DB_POOL_MAX), per database server. */
  pool: int(1, 1000).default(10),
  /** The most WAL a replication slot may hold back for a lost replica (Postgres units). */
  max_slot_wal_keep_size: z
    .string({ error: 'must be a size such as 512MB or 1GB' })
    .regex(/^\d+(kB|MB|GB|TB)$/, { error: 'must be a size such as 512MB or 1GB (Postgres units kB, MB, GB, TB)' })
    .default('1GB'),
});

export const clusterSpecSchema = z.strictObject({
  name: z
    .string({ error: 'must be a cluster name' })
    .regex(NAME_RE, {
      error: 'must be 1 to 32 lowercase letters, digits or dashes, starting with a letter (no spaces)',
    }),
  api: apiSchema.default(() => apiSchema.parse({})),
  balancer: balancerSchema.default(() => balancerSchema.parse({})),
  worker: workerSchema.default(() => workerSchema.parse({})),
  redis: redisSchema.default(() => redisSchema.parse({})),
  postgres: postgresSchema.default(() => postgresSchema.parse({})),
});

/** The spec as written, with defaults filled in (images may still be unset). */
export type ClusterSpecInput = z.input<typeof clusterSpecSchema>;
export type ParsedSpec = z.output<typeof clusterSpecSchema>;

export const ROLES = ['balancer', 'api', 'worker', 'redis', 'postgres'] as const;
export type Role = (typeof ROLES)[number];

/** A spec whose every image is resolved: what generators and the engine work from. */
export type ClusterSpec = ParsedSpec & {
  api: ParsedSpec['api'] & { image: string };
  balancer: ParsedSpec['balancer'] & { image: string };
  redis: ParsedSpec['redis'] & { image: string };
  postgres: ParsedSpec['postgres'] & { image: string };
};
