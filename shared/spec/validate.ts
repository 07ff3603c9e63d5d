import { parseDocument, stringify } from 'yaml';
import type { z } from 'zod';
import { clusterSpecSchema, type ClusterSpec, type ParsedSpec } from './schema.ts';
import { IMAGE_SETS, type ImageSet } from './images.ts';

export interface SpecError {
  /** Slash-separated path into the spec, such as `api/replicas`; empty for the whole document. */
  path: string;
  message: string;
  /** 1-based line in the YAML text where known. */
  line?: number;
}

export type SpecResult = { ok: true; spec: ClusterSpec } | { ok: false; errors: SpecError[] };

export class SpecValidationError extends Error {
  readonly errors: SpecError[];
  constructor(errors: SpecError[], source?: string) {
    super(formatSpecErrors(errors, source));
    this.name = 'SpecValidationError';
    this.errors = errors;
  }
}

export function formatSpecErrors(errors: SpecError[], source?: string): string {
  const head = `${source ?? 'The cluster spec'} is not valid (${errors.length} problem${errors.length === 1 ? '' : 's'}):`;
  const lines = errors.map((e) => {
    const where = e.line ? ` (line ${e.line})` : '';
    return `  ${e.path || '(spec)'}: ${e.message}${where}`;
  });
  return [head, ...lines].join('\n');
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return String(value);
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function zodToErrors(issues: z.core.$ZodIssue[], raw: unknown): SpecError[] {
  const out: SpecError[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('/');
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(issue.path);
      for (const key of issue.keys) {
        out.push({
          path: path ? `${path}/${key}` : key,
          message: `unknown key${allowed ? ` (expected one of: ${allowed.join(', ')})` : ''}`,
        });
      }
      continue;
    }
    const given = valueAt(raw, issue.path);
    out.push({ path, message: `${issue.message} (got ${describe(given)})` });
  }
  return out;
}

/** The keys the schema accepts at a path, to suggest the right one after a typo. */
function allowedKeysAt(path: PropertyKey[]): string[] | undefined {
  let schema: unknown = clusterSpecSchema;
  for (const key of path) {
    const shape = shapeOf(schema);
    if (!shape) return undefined;
    schema = shape[String(key)];
  }
  const shape = shapeOf(schema);
  return shape ? Object.keys(shape) : undefined;
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  // unwrap .default()/.optional()
  for (let i = 0; i < 4 && s && !s.shape && s.def?.innerType; i++) s = s.def.innerType as typeof s;
  return s?.shape;
}

/** Phase two: rules across fields, each named so its message says which rule it is. */
export function crossChecks(spec: ParsedSpec): SpecError[] {
  const errors: SpecError[] = [];
  if (spec.balancer.backup_nodes >= spec.api.replicas) {
    errors.push({
      path: 'balancer/backup_nodes',
      message: `must be less than api/replicas (${spec.api.replicas}) so that at least one node takes traffic (got ${spec.balancer.backup_nodes})`,
    });
  }
  const tls = spec.balancer.tls;
  if (tls) {
    const files = !!tls.cert || !!tls.key;
    if (tls.self_signed && files) errors.push({ path: 'balancer/tls', message: 'give either cert + key, or self_signed: true, not both' });
    else if (!tls.self_signed && !(tls.cert && tls.key)) errors.push({ path: 'balancer/tls', message: 'needs both cert and key (PEM file paths), or self_signed: true' });
    if (tls.port === spec.balancer.port) errors.push({ path: 'balancer/tls/port', message: `must differ from balancer/port (${spec.balancer.port}), which then redirects to HTTPS` });
  }
  if (spec.balancer.backup_nodes > 0 && spec.balancer.algorithm === 'ip_hash') {
    errors.push({
      path: 'balancer/backup_nodes',
      message: 'NGINX does not allow backup servers with ip_hash; use round_robin or least_conn, or set backup_nodes to 0',
    });
  }
  const conn = connectionBudget(spec);
  if (conn.needed > conn.available) {
    errors.push({
      path: 'postgres/pool',
      message:
        `(api/replicas ${spec.api.replicas} + worker/replicas ${spec.worker.replicas}) × postgres/pool ${spec.postgres.pool} = ${conn.needed} connections, ` +
        `over postgres/max_connections ${spec.postgres.max_connections} minus ${RESERVED_CONNECTIONS} reserved (${conn.available}): ` +
        'lower postgres/pool or api/replicas, or raise postgres/max_connections',
    });
  }
  return errors;
}

/**
 * Connections kept back from the API nodes' pools: Postgres's superuser_reserved_connections (3)
 * plus two for ScaleDeck itself (metrics collector, status queries).
 */
export const RESERVED_CONNECTIONS = 5;

/** What the nodes' pools may open on one database server, against what it allows. */
export function connectionBudget(spec: ParsedSpec): { needed: number; available: number } {
  return {
    needed: (spec.api.replicas + spec.worker.replicas) * spec.postgres.pool,
    available: spec.postgres.max_connections - RESERVED_CONNECTIONS,
  };
}

export function resolveImages(spec: ParsedSpec, imageSet: ImageSet): ClusterSpec {
  const set = IMAGE_SETS[imageSet];
  return {
    ...spec,
    api: { ...spec.api, image: spec.api.image ?? set.api },
    balancer: { ...spec.balancer, image: spec.balancer.image ?? set.balancer },
    redis: { ...spec.redis, image: spec.redis.image ?? set.redis },
    postgres: { ...spec.postgres, image: spec.postgres.image ?? set.postgres },
  };
}

/** Validate an already-parsed object (from YAML, JSON or a form). */
export function validateSpec(raw: unknown, imageSet: ImageSet = 'official'): SpecResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: [{ path: '', message: `must be a mapping with at least a name (got ${describe(raw)})` }] };
  }
  const parsed = clusterSpecSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodToErrors(parsed.error.issues, raw) };
  const cross = crossChecks(parsed.data);
  if (cross.length) return { ok: false, errors: cross };
  return { ok: true, spec: resolveImages(parsed.data, imageSet) };
}

/** Parse YAML text and validate it. YAML syntax errors carry their line. */
export function parseSpecYaml(text: string, imageSet: ImageSet = 'official'): SpecResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        line: e.linePos?.[0]?.line,
      })),
    };
  }
  const result = validateSpec(doc.toJS(), imageSet);
  if (result.ok) return result;
  // Attach line numbers where the path exists in the document.
  for (const err of result.errors) {
    if (!err.path) continue;
    const node = doc.getIn(err.path.split('/'), true) as { range?: [number, number] } | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) err.line = text.slice(0, offset).split('\n').length;
  }
  return result;
}

export function parseSpecOrThrow(text: string, imageSet: ImageSet = 'official', source?: string): ClusterSpec {
  const r = parseSpecYaml(text, imageSet);
  if (!r.ok) throw new SpecValidationError(r.errors, source);
  return r.spec;
}

/** The spec as YAML, with every default written out (images left as given). */
export function specToYaml(spec: ParsedSpec): string {
  return stringify(spec, { lineWidth: 0 });
}
