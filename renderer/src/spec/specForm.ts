import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/**
 * The spec editor keeps one source of truth, the YAML text. The form reads its values from the
 * parsed document and writes single keys back with `setIn`, so comments, key order and keys the
 * form does not show (images, health_path…) survive a form edit.
 */
export type FieldKind = 'text' | 'int';

export interface FieldDef {
  path: string[];
  label: string;
  kind: FieldKind;
  /** The schema's default, shown as the placeholder when the key is absent. */
  fallback: string;
}

export const FIELDS = {
  name: { path: ['name'], label: 'Name', kind: 'text', fallback: '' },
  replicas: { path: ['api', 'replicas'], label: 'API replicas', kind: 'int', fallback: '3' },
  apiPort: { path: ['api', 'port'], label: 'Container port', kind: 'int', fallback: '3000' },
  algorithm: { path: ['balancer', 'algorithm'], label: 'Algorithm', kind: 'text', fallback: 'round_robin' },
  balancerPort: { path: ['balancer', 'port'], label: 'Port on 127.0.0.1', kind: 'int', fallback: '8080' },
  maxFails: { path: ['balancer', 'max_fails'], label: 'max_fails', kind: 'int', fallback: '3' },
  failTimeout: { path: ['balancer', 'fail_timeout'], label: 'fail_timeout', kind: 'text', fallback: '10s' },
  keepalive: { path: ['balancer', 'keepalive'], label: 'keepalive', kind: 'int', fallback: '32' },
  backupNodes: { path: ['balancer', 'backup_nodes'], label: 'Backup nodes', kind: 'int', fallback: '0' },
  pgDatabase: { path: ['postgres', 'database'], label: 'Database', kind: 'text', fallback: 'app' },
  pgUser: { path: ['postgres', 'user'], label: 'User', kind: 'text', fallback: 'app' },
  pgMaxConnections: { path: ['postgres', 'max_connections'], label: 'max_connections', kind: 'int', fallback: '100' },
  pgReplicas: { path: ['postgres', 'replicas'], label: 'Replicas', kind: 'int', fallback: '0' },
  pgPool: { path: ['postgres', 'pool'], label: 'Pool per node', kind: 'int', fallback: '10' },
} as const satisfies Record<string, FieldDef>;

export type FieldId = keyof typeof FIELDS;
export const FIELD_IDS = Object.keys(FIELDS) as FieldId[];
export const ENV_PATH = ['api', 'env'];
export const ALGORITHMS = ['round_robin', 'least_conn', 'ip_hash'] as const;

export interface EnvRow {
  id: number;
  key: string;
  value: string;
}

export type FormValues = Record<FieldId, string> & { env: EnvRow[] };

export interface SyntaxProblem {
  line?: number;
  message: string;
}

export interface Parsed {
  doc: Document;
  syntax: SyntaxProblem[];
}

export function parse(text: string): Parsed {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors.map((e) => ({
    line: e.linePos?.[0]?.line,
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
  }));
  return { doc, syntax };
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

let envSeq = 0;
export const nextEnvId = () => ++envSeq;

/** The form's view of a parsed document: '' where a key is absent (the placeholder shows the default). */
export function formFromDoc(doc: Document): FormValues {
  const values = {} as FormValues;
  for (const id of FIELD_IDS) {
    let v: unknown;
    try {
      v = doc.getIn(FIELDS[id].path);
    } catch {
      v = undefined;
    }
    values[id] = scalarText(v);
  }
  const env: EnvRow[] = [];
  let node: unknown;
  try {
    node = doc.getIn(ENV_PATH, true);
  } catch {
    node = undefined;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? scalarText(pair.key.value) : String(pair.key ?? '');
      const value = isScalar(pair.value) ? scalarText(pair.value.value) : isSeq(pair.value) || isMap(pair.value) ? '' : scalarText(pair.value);
      env.push({ id: nextEnvId(), key, value });
    }
  }
  values.env = env;
  return values;
}

/** What a form string means in YAML: a number for numeric fields when it is one, else the text. */
function coerce(kind: FieldKind, raw: string): unknown {
  const t = raw.trim();
  if (kind === 'int' && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return kind === 'int' ? t : raw;
}

/** Set (or, for an empty value, remove) one key, creating parents as needed. */
function setPath(doc: Document, path: string[], value: unknown): void {
  if (value === '' || value === undefined) {
    try {
      doc.deleteIn(path);
    } catch {
      return;
    }
    // Drop a parent mapping the delete left empty (`api: {}` says nothing).
    const parentPath = path.slice(0, -1);
    if (parentPath.length) {
      const parent = doc.getIn(parentPath, true);
      if (isMap(parent) && parent.items.length === 0) doc.deleteIn(parentPath);
    }
    return;
  }
  const node = doc.createNode(value);
  try {
    doc.setIn(path, node);
  } catch {
    // A parent is a scalar (`api: 5`): replace it with a mapping holding this key.
    for (let i = 1; i < path.length; i++) {
      const p = doc.getIn(path.slice(0, i), true);
      if (p !== undefined && !isMap(p)) {
        doc.setIn(path.slice(0, i), doc.createNode({}));
        break;
      }
    }
    doc.setIn(path, node);
  }
}

function ensureMapRoot(doc: Document): void {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as typeof doc.contents;
}

/** The YAML text after a form edit of one field. Call only when the text parses. */
export function withField(text: string, id: FieldId, raw: string): string {
  const { doc } = parse(text);
  ensureMapRoot(doc);
  setPath(doc, FIELDS[id].path, coerce(FIELDS[id].kind, raw));
  return doc.toString({ lineWidth: 0 });
}

/** The YAML text after an edit of the environment rows (rows without a key are not written). */
export function withEnv(text: string, rows: EnvRow[]): string {
  const { doc } = parse(text);
  ensureMapRoot(doc);
  const entries = rows.filter((r) => r.key.trim() !== '').map((r) => [r.key.trim(), r.value] as const);
  setPath(doc, ENV_PATH, entries.length ? Object.fromEntries(entries) : undefined);
  return doc.toString({ lineWidth: 0 });
}

/** A preset's YAML with the name and balancer port a user chose. */
export function withNameAndPort(text: string, name: string, port: string): string {
  const { doc, syntax } = parse(text);
  if (syntax.length) return text;
  ensureMapRoot(doc);
  setPath(doc, ['name'], name);
  setPath(doc, FIELDS.balancerPort.path, coerce('int', port));
  return doc.toString({ lineWidth: 0 });
}

/** Env keys used twice: the later one wins in YAML, so the form warns about it. */
export function duplicateEnvKeys(rows: EnvRow[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of rows) {
    const k = r.key.trim();
    if (!k) continue;
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return dup;
}
