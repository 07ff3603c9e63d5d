import type { ClusterDetail, UpgradeRecord } from '../../../../../shared/api/index.ts';
import type { Tone } from '../../../lib/health.ts';

export type Strategy = UpgradeRecord['strategy'];
export type Color = UpgradeRecord['toColor'];

export const STATE_TONE: Record<UpgradeRecord['state'], Tone> = {
  running: 'info',
  succeeded: 'ok',
  finalized: 'ok',
  'awaiting-finalize': 'warn',
  'rolled-back': 'warn',
  failed: 'bad',
};

export const STATE_TEXT: Record<UpgradeRecord['state'], string> = {
  running: 'running',
  succeeded: 'succeeded',
  finalized: 'finalized',
  'awaiting-finalize': 'awaiting finalize',
  'rolled-back': 'rolled back',
  failed: 'failed',
};

/** What each strategy does, in one line (the form) and in a few (the empty state). */
export const STRATEGY_TEXT: Record<Strategy, { title: string; line: string }> = {
  rolling: {
    title: 'Rolling',
    line: 'Batches of new nodes start first and join NGINX; only then are old ones drained and stopped. A failed health gate rolls back.',
  },
  'blue-green': {
    title: 'Blue-green',
    line: 'A whole new set starts beside the old one, then NGINX switches in one reload. The old set keeps running for an instant rollback until you finalize.',
  },
};

/** The same rule as the engine: a count, or a share of the nodes such as "50%" (at least 1). */
export function batchSize(batch: string, nodes: number): number | null {
  const t = batch.trim();
  const pct = /^(\d+)%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p < 1 || p > 100) return null;
    return Math.max(1, Math.min(nodes, Math.round((p / 100) * nodes)));
  }
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 ? Math.min(nodes, n) : null;
}

/** The API image that runs now: the stored spec's, else what the API containers report. */
export function currentImage(c: ClusterDetail | undefined): string {
  return c?.spec?.api.image ?? c?.containers.find((x) => x.role === 'api')?.image ?? '';
}

/** API nodes by colour: api-N is blue, api-N-green is green. */
export function nodeColors(c: ClusterDetail | undefined): { blue: number; green: number } {
  const api = c?.containers.filter((x) => x.role === 'api' && x.state === 'running') ?? [];
  const green = api.filter((x) => x.service.endsWith('-green')).length;
  return { blue: api.length - green, green };
}

export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const IMAGE_RE = /^[a-z0-9][a-z0-9._\-/:@]*$/;
