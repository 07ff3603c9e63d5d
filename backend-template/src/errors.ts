// Errors a handler throws on purpose carry their HTTP status; everything else is classified by the
// error handler in app.ts (validation -> 400, backing service down -> 503, the rest -> 500).
import { ZodError } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (m: string) => new HttpError(400, m);
export const unauthorized = (m = 'missing or invalid access token') =>
  new HttpError(401, m, { 'www-authenticate': 'Bearer realm="api"' });
export const forbidden = (m = 'not allowed') => new HttpError(403, m);
export const notFound = (m = 'not found') => new HttpError(404, m);
export const conflict = (m: string) => new HttpError(409, m);
export const unavailable = (m: string) => new HttpError(503, m, { 'retry-after': '1' });

/** "email: Invalid email address; password: Too small: expected string to have >=8 characters" */
export function describeZodError(err: ZodError): string {
  return err.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

const PG_UNAVAILABLE_CLASSES = ['08', '53', '57'];
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** True when the error means a backing service (Postgres, Redis) is unreachable or overloaded. */
export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NET_CODES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return PG_UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Stream isn't writeable|Connection is closed|Command timed out|MaxRetriesPerRequest|Reached the max retries per request/i.test(
    e.message,
  );
}
