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

/** When the server gave no hint: the usual next step for each kind of error. */
const NEXT_STEP: Partial<Record<ErrorCode, string>> = {
  ENGINE_UNREACHABLE: 'Start Docker (or check DOCKER_HOST), then try again; ScaleDeck re-checks every 10 s.',
  IMAGE_MISSING: 'Pull or build the image, or change the image in the spec, then apply again.',
  PORT_IN_USE: 'Pick another balancer port in the Spec tab, or stop what listens there, then apply again.',
  BUSY: 'Wait for the running operation to finish; its progress is on the cluster page.',
  STEP_FAILED: 'Fix the cause and apply again: it continues from what already exists.',
  SPEC_INVALID: 'Correct the fields marked in the spec editor.',
  NOT_FOUND: 'Check the name, or refresh the list of clusters.',
  CONFLICT: 'Something else changed the cluster; reload the page and try again.',
  UNAUTHORIZED: 'Sign in again with the token that `scaledeck serve` printed.',
  INTERNAL: 'Try again; if it keeps failing, the terminal running ScaleDeck shows the details.',
};

export function nextStep(info: ErrorInfo): string | undefined {
  return info.hint ?? (info.code ? NEXT_STEP[info.code] : undefined);
}
