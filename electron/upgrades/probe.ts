import { request } from 'node:http';

/**
 * The traffic probe every upgrade runs: a steady arrival rate through the balancer, bounded in
 * time and count, that records failed requests and p99 per phase (before, during, after) and
 * which node answered each GET (to time a blue-green switch).
 * Each request opens its own connection (`Connection: close`), so a failure is the cluster's and
 * never a client reusing a socket NGINX has just closed after a reload.
 */
export interface ProbeRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  weight?: number;
}

export type Phase = 'before' | 'during' | 'after';

export interface PhaseFigures {
  sent: number;
  ok: number;
  failed: number;
  p99_ms: number | null;
  errors: string[];
}

export interface ProbeResult {
  rate: number;
  phases: Record<Phase, PhaseFigures>;
  /** Time of the last answer from each node, ms since the epoch. */
  lastSeen: Record<string, number>;
  /** Time of the first answer from each node. */
  firstSeen: Record<string, number>;
}

export interface Probe {
  phase(p: Phase): void;
  stop(): Promise<ProbeResult>;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
};

export function startProbe(opts: { url: string; rate: number; mix?: ProbeRequest[]; maxMs?: number; timeoutMs?: number }): Probe {
  const base = new URL(opts.url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(base.hostname)) {
    throw new Error(`the upgrade probe only sends traffic to 127.0.0.1 (got ${base.hostname})`);
  }
  const mix = opts.mix?.length ? opts.mix : [{ method: 'GET' as const, path: '/' }];
  const totalWeight = mix.reduce((a, m) => a + (m.weight ?? 1), 0);
  const maxMs = opts.maxMs ?? 15 * 60_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const interval = 1000 / opts.rate;
  const started = performance.now();
  let phase: Phase = 'before';
  const lat: Record<Phase, number[]> = { before: [], during: [], after: [] };
  const figures: Record<Phase, PhaseFigures> = {
    before: { sent: 0, ok: 0, failed: 0, p99_ms: null, errors: [] },
    during: { sent: 0, ok: 0, failed: 0, p99_ms: null, errors: [] },
    after: { sent: 0, ok: 0, failed: 0, p99_ms: null, errors: [] },
  };
  const lastSeen: Record<string, number> = {};
  const firstSeen: Record<string, number> = {};
  const inflight = new Set<Promise<void>>();
  let n = 0;
  let stopped = false;

  const pick = (i: number): ProbeRequest => {
    let x = (i * 7919) % totalWeight; // deterministic spread over the mix
    for (const m of mix) {
      x -= m.weight ?? 1;
      if (x < 0) return m;
    }
    return mix[0]!;
  };

  const send = (scheduled: number, r: ProbeRequest, ph: Phase) =>
    new Promise<void>((resolve) => {
      const f = figures[ph];
      f.sent++;
      const fail = (why: string) => {
        f.failed++;
        if (f.errors.length < 20) f.errors.push(`${r.method} ${r.path}: ${why}`);
        resolve();
      };
      const req = request(
        { host: base.hostname, port: base.port, path: r.path, method: r.method, agent: false, timeout: timeoutMs, headers: { connection: 'close', ...(r.body ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.length < 4096 ? d.toString() : ''));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 500 || status === 0) return fail(`HTTP ${status}`);
            f.ok++;
            lat[ph].push(performance.now() - scheduled);
            const node = /"node"\s*:\s*"([^"]+)"/.exec(body)?.[1];
            if (node) {
              const now = Date.now();
              lastSeen[node] = now;
              firstSeen[node] ??= now;
            }
            resolve();
          });
          res.on('error', (e) => fail(e.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => fail(e.message));
      req.end(r.body);
    });

  // The schedule: request i is due at started + i * interval; latency counts from that moment.
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    if (now - started > maxMs) return;
    while (started + n * interval <= now) {
      const p = send(started + n * interval, pick(n), phase);
      inflight.add(p);
      void p.then(() => inflight.delete(p));
      n++;
    }
    timer = setTimeout(tick, Math.max(1, Math.min(interval, 10)));
  };
  let timer = setTimeout(tick, 0);

  return {
    phase(p) {
      phase = p;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...inflight]);
      for (const ph of ['before', 'during', 'after'] as const) figures[ph].p99_ms = pct(lat[ph], 99);
      return { rate: opts.rate, phases: figures, lastSeen, firstSeen };
    },
  };
}
