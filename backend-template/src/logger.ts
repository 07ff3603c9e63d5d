// Structured JSON logs (pino): one object per line, ISO time, the node's name on every line.
// Secrets never reach a log line: no request bodies, headers or query strings are logged, config
// is logged through describeConfig(), and these paths are redacted in case an object slips in.
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'password_hash',
  '*.password_hash',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'jwtSecret',
  '*.jwtSecret',
  'databaseUrl',
  '*.databaseUrl',
  'connectionString',
  '*.connectionString',
];

export function createLogger(level: LogLevel, node: string, component: 'api' | 'worker'): Logger {
  return pino({
    level,
    base: { node, component, pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}

/** Error fields worth logging; never the whole object (pg errors can carry query parameters). */
export function errFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { code?: string };
  return { error: e.message, code: e.code, type: e.name, stack: e.stack?.split('\n').slice(0, 6).join('\n') };
}
