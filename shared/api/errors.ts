import type { ApiErrorBody, ErrorCode } from './types.ts';

/** An error that crosses the API boundary: a code, a sentence for the user, and what to do next. */
export class ScaleDeckError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, hint?: string, details?: unknown) {
    super(message);
    this.name = 'ScaleDeckError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }
  toBody(): ApiErrorBody {
    const body: ApiErrorBody = { code: this.code, message: this.message };
    if (this.hint) body.hint = this.hint;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
  static fromBody(body: ApiErrorBody): ScaleDeckError {
    return new ScaleDeckError(body.code, body.message, body.hint, body.details);
  }
}

export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof ScaleDeckError) return err.toBody();
  const e = err as { code?: unknown; message?: unknown; errors?: unknown; name?: unknown };
  if (e && e.name === 'SpecValidationError') {
    return { code: 'SPEC_INVALID', message: String(e.message), details: e.errors };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function formatError(body: ApiErrorBody): string {
  return body.hint ? `${body.message}\n  → ${body.hint}` : body.message;
}
