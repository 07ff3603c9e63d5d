/**
 * A small parser for the Prometheus text exposition format (0.0.4, plus what OpenMetrics adds that
 * is harmless to skip: `# EOF`, `# UNIT`, exemplars). Like a Prometheus scrape, a malformed line
 * fails the whole parse (ExpositionError names the line), unless `lenient` is set, in which case bad
 * lines are skipped and reported in `errors`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gaugehistogram' | 'info' | 'stateset' | 'unknown';

export interface Sample {
  /** The sample's own name, e.g. `http_request_duration_seconds_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, MetricFamily>;
  samples: Sample[];
  /** Only in lenient mode: the lines that were skipped. */
  errors: string[];
}

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`malformed exposition at line ${line}: ${reason}`);
    this.name = 'ExpositionError';
  }
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'gaugehistogram', 'info', 'stateset', 'unknown']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['_count', '_sum', '_created'],
  counter: ['_total', '_created'],
};
const MAX_BYTES = 16 * 1024 * 1024;
const MAX_LINE = 64 * 1024;

const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58; // A-Z a-z _ :
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isLabelStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isLabelChar = (c: number) => isLabelStart(c) || (c >= 48 && c <= 57);
const isSpace = (c: number) => c === 32 || c === 9;

export function isValidMetricName(name: string): boolean {
  if (!name || !isNameStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isNameChar(name.charCodeAt(i))) return false;
  return true;
}

/** A Prometheus float: decimal/scientific, NaN, +Inf, -Inf, Inf (case-insensitive). */
export function parseFloatStrict(s: string): number | null {
  if (!s) return null;
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) {
    // Go's ParseFloat also takes hex floats and underscores-free forms; nobody emits those here.
    return null;
  }
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

interface ParsedLine {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** Parse one sample line; throws a string reason. */
function parseSampleLine(line: string): ParsedLine {
  let i = 0;
  const n = line.length;
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  const start = i;
  if (i >= n || !isNameStart(line.charCodeAt(i))) throw `invalid metric name at column ${i + 1}`;
  while (i < n && isNameChar(line.charCodeAt(i))) i++;
  const name = line.slice(start, i);
  const labels: Record<string, string> = {};
  const afterName = i;
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  if (line[i] !== '{') i = afterName;
  else {
    i++;
    for (;;) {
      while (i < n && isSpace(line.charCodeAt(i))) i++;
      if (i >= n) throw 'unterminated label set';
      if (line[i] === '}') {
        i++;
        break;
      }
      const ls = i;
      if (!isLabelStart(line.charCodeAt(i))) throw `invalid label name at column ${i + 1}`;
      while (i < n && isLabelChar(line.charCodeAt(i))) i++;
      const lname = line.slice(ls, i);
      while (i < n && isSpace(line.charCodeAt(i))) i++;
      if (line[i] !== '=') throw `expected "=" after label ${lname}`;
      i++;
      while (i < n && isSpace(line.charCodeAt(i))) i++;
      if (line[i] !== '"') throw `expected quoted value for label ${lname}`;
      i++;
      let value = '';
      let closed = false;
      while (i < n) {
        const ch = line[i]!;
        if (ch === '\\') {
          const nx = line[i + 1];
          if (nx === '\\') value += '\\';
          else if (nx === '"') value += '"';
          else if (nx === 'n') value += '\n';
          else throw `invalid escape sequence in label ${lname}`;
          i += 2;
          continue;
        }
        if (ch === '"') {
          closed = true;
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (!closed) throw `unterminated value for label ${lname}`;
      if (Object.prototype.hasOwnProperty.call(labels, lname)) throw `duplicate label ${lname}`;
      labels[lname] = value;
      while (i < n && isSpace(line.charCodeAt(i))) i++;
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      throw `expected "," or "}" after label ${lname}`;
    }
  }
  // value [timestamp] [# exemplar]
  const rest = line.slice(i);
  if (rest.length > 0 && !isSpace(rest.charCodeAt(0))) throw `expected a space before the value`;
  const hash = rest.indexOf(' # ');
  const fields = (hash >= 0 ? rest.slice(0, hash) : rest).trim().split(/[ \t]+/).filter(Boolean);
  if (fields.length === 0) throw `missing value for ${name}`;
  if (fields.length > 2) throw `unexpected text after the value of ${name}`;
  const value = parseFloatStrict(fields[0]!);
  if (value === null) throw `invalid value "${fields[0]!.slice(0, 40)}" for ${name}`;
  const out: ParsedLine = { name, labels, value };
  if (fields.length === 2) {
    const ts = parseFloatStrict(fields[1]!);
    if (ts === null || !Number.isFinite(ts)) throw `invalid timestamp "${fields[1]!.slice(0, 40)}" for ${name}`;
    out.timestampMs = ts;
  }
  return out;
}

/** The family a sample belongs to: its TYPE'd base name when a suffix matches, else its own name. */
function familyOf(name: string, families: Map<string, MetricFamily>): string {
  if (families.has(name)) return name;
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      if (name.endsWith(suffix)) {
        const base = name.slice(0, -suffix.length);
        const fam = families.get(base);
        if (fam && fam.type === type) return base;
      }
    }
  }
  return name;
}

export function parseExposition(text: string, opts: { lenient?: boolean } = {}): Exposition {
  if (typeof text !== 'string') throw new ExpositionError(0, 'not text');
  if (text.length > MAX_BYTES) throw new ExpositionError(0, `larger than ${MAX_BYTES} bytes`);
  if (text.includes('\u0000')) throw new ExpositionError(0, 'binary data (NUL bytes)');
  const families = new Map<string, MetricFamily>();
  const samples: Sample[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  const fail = (lineNo: number, reason: string) => {
    if (!opts.lenient) throw new ExpositionError(lineNo, reason);
    errors.push(`line ${lineNo}: ${reason}`);
  };
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    let line = lines[idx]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > MAX_LINE) {
      fail(lineNo, `line longer than ${MAX_LINE} characters`);
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE|UNIT|EOF)\b\s*(.*)$/.exec(trimmed);
      if (!m) continue; // a plain comment
      const [, kw, restRaw] = m;
      if (kw === 'EOF') break;
      const rest = restRaw ?? '';
      const sp = rest.search(/[ \t]/);
      const name = sp < 0 ? rest : rest.slice(0, sp);
      const arg = sp < 0 ? '' : rest.slice(sp).trim();
      if (!isValidMetricName(name)) {
        fail(lineNo, `invalid metric name in # ${kw}`);
        continue;
      }
      if (kw === 'UNIT') continue;
      let fam = families.get(name);
      if (kw === 'TYPE') {
        const type = arg.toLowerCase() as MetricType;
        if (!TYPES.has(type)) {
          fail(lineNo, `unknown type "${arg}" for ${name}`);
          continue;
        }
        if (fam && fam.samples.length > 0) {
          fail(lineNo, `# TYPE for ${name} after its samples`);
          continue;
        }
        if (fam && fam.type !== 'untyped') {
          fail(lineNo, `second # TYPE for ${name}`);
          continue;
        }
        if (!fam) families.set(name, (fam = { name, type, samples: [] }));
        fam.type = type;
      } else {
        if (!fam) families.set(name, (fam = { name, type: 'untyped', samples: [] }));
        fam.help = arg.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      }
      continue;
    }
    let parsed: ParsedLine;
    try {
      parsed = parseSampleLine(line);
    } catch (reason) {
      fail(lineNo, typeof reason === 'string' ? reason : String(reason));
      continue;
    }
    const famName = familyOf(parsed.name, families);
    let fam = families.get(famName);
    if (!fam) families.set(famName, (fam = { name: famName, type: 'untyped', samples: [] }));
    if (fam.type === 'histogram' && parsed.name === `${famName}_bucket` && parsed.labels.le === undefined) {
      fail(lineNo, `histogram bucket ${parsed.name} without an "le" label`);
      continue;
    }
    if (fam.type === 'histogram' && parsed.labels.le !== undefined && parseFloatStrict(parsed.labels.le) === null) {
      fail(lineNo, `histogram bucket ${parsed.name} with invalid le="${parsed.labels.le.slice(0, 40)}"`);
      continue;
    }
    const sample: Sample = { name: parsed.name, labels: parsed.labels, value: parsed.value };
    if (parsed.timestampMs !== undefined) sample.timestampMs = parsed.timestampMs;
    fam.samples.push(sample);
    samples.push(sample);
  }
  return { families, samples, errors };
}
