import type { ErrorCode } from '../../../shared/api/index.ts';

export interface ErrorInfo {
  code: ErrorCode | null;
  message: string;
  hint?: string;
}

/** Anything thrown by the API client (a ScaleDeckError) or by the browser, as code + message + hint. */
export function errorInfo(err: unknown): ErrorInfo {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; hint?: unknown };
    const message = typeof e.message === 'string' && e.message ? e.message : String(err);
    return {
      code: typeof e.code === 'string' ? (e.code as ErrorCode) : null,
      message,
      hint: typeof e.hint === 'string' ? e.hint : undefined,
    };
  }
  return { code: null, message: String(err) };
}

export function errorCode(err: unknown): ErrorCode | null {
  return errorInfo(err).code;
}
