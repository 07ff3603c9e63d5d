import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiEvent, LogLine } from '../../../../shared/api/index.ts';
import { useApi } from '../../api/ApiContext.tsx';

/**
 * Follow one container's logs. Lines are not query-cached: they stream in as `logs` events for
 * our streamId into a bounded buffer. The lease is renewed every 10 s while mounted (streams not
 * renewed for 30 s are closed by the server) and the stream is stopped on unmount.
 */
export interface LogRow extends LogLine {
  seq: number;
}

export type StreamStatus = 'idle' | 'connecting' | 'live' | 'ended' | 'error';

export const RENEW_MS = 10_000;
export const DEFAULT_MAX_LINES = 5000;
const TAIL = 500;

interface Buffer {
  rows: LogRow[];
  /** Lines that arrived while paused. */
  held: LogRow[];
  /** Lines dropped from the front to stay within the bound. */
  dropped: number;
}
const EMPTY: Buffer = { rows: [], held: [], dropped: 0 };

function bounded(rows: LogRow[], max: number): { kept: LogRow[]; over: number } {
  return rows.length > max ? { kept: rows.slice(-max), over: rows.length - max } : { kept: rows, over: 0 };
}

export function useLogStream(cluster: string, service: string | null, opts: { paused: boolean; maxLines?: number }) {
  const api = useApi();
  const max = opts.maxLines ?? DEFAULT_MAX_LINES;
  const [buf, setBuf] = useState<Buffer>(EMPTY);
  const [status, setStatus] = useState<StreamStatus>('idle');
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const paused = useRef(opts.paused);
  const seq = useRef(0);

  const append = useCallback(
    (lines: LogLine[]) => {
      if (lines.length === 0) return;
      const batch = lines.map((l) => ({ ...l, seq: ++seq.current }));
      const into = paused.current ? 'held' : 'rows';
      setBuf((b) => {
        const { kept, over } = bounded(b[into].concat(batch), max);
        return { ...b, [into]: kept, dropped: b.dropped + over };
      });
    },
    [max],
  );

  // Pause holds new lines aside; resume appends them (still within the bound).
  useEffect(() => {
    paused.current = opts.paused;
    if (opts.paused) return;
    setBuf((b) => {
      if (b.held.length === 0) return b;
      const { kept, over } = bounded(b.rows.concat(b.held), max);
      return { rows: kept, held: [], dropped: b.dropped + over };
    });
  }, [opts.paused, max]);

  useEffect(() => {
    if (!service) return;
    let cancelled = false;
    let streamId: string | null = null;
    // Events can arrive before logs.follow answers with our id: keep them until it does.
    const early: Extract<ApiEvent, { type: 'logs' }>[] = [];
    setBuf(EMPTY);
    setError(null);
    setStatus('connecting');

    const handle = (e: Extract<ApiEvent, { type: 'logs' }>) => {
      append(e.lines);
      if (e.ended) {
        setStatus('ended');
        streamId = null;
      }
    };
    const off = api.subscribe((e) => {
      if (e.type !== 'logs') return;
      if (streamId === null) {
        if (!cancelled && early.length < 200) early.push(e);
        return;
      }
      if (e.streamId === streamId) handle(e);
    });

    api['logs.follow']({ cluster, service, tail: TAIL }).then(
      (r) => {
        if (cancelled) {
          void api['logs.stop']({ streamId: r.streamId }).catch(() => undefined);
          return;
        }
        streamId = r.streamId;
        setStatus('live');
        for (const e of early.splice(0)) if (e.streamId === r.streamId) handle(e);
      },
      (err: unknown) => {
        if (cancelled) return;
        setError(err);
        setStatus('error');
      },
    );

    const renew = window.setInterval(() => {
      const id = streamId;
      if (!id) return;
      // tail 0: if the server lost the stream and opens a new one, do not replay old lines.
      api['logs.follow']({ cluster, service, streamId: id, tail: 0 }).then(
        (r) => {
          if (!cancelled && r.streamId !== id && streamId === id) streamId = r.streamId;
        },
        (err: unknown) => {
          if (cancelled) return;
          setError(err);
          setStatus('error');
        },
      );
    }, RENEW_MS);

    return () => {
      cancelled = true;
      off();
      window.clearInterval(renew);
      if (streamId) void api['logs.stop']({ streamId }).catch(() => undefined);
    };
  }, [api, cluster, service, attempt, append]);

  return {
    rows: buf.rows,
    heldCount: buf.held.length,
    dropped: buf.dropped,
    status,
    error,
    clear: () => setBuf(EMPTY),
    reconnect: () => setAttempt((a) => a + 1),
  };
}
