import { useEffect, useMemo, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ApiEvent } from '../../../../shared/api/index.ts';
import type { LiveRun, LoadTestReport, RunState, SecondSnapshot } from '../../../../shared/loadtest/types.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { loadTestKeys } from './keys.ts';
import { useLoadTest } from './queries.ts';

export interface RunView {
  status: 'loading' | 'live' | 'done' | 'error';
  error: unknown;
  /** The live status (while it runs). */
  live: LiveRun | null;
  /** The saved report (once it has ended). */
  report: LoadTestReport | null;
  state: RunState | null;
  /** Every second so far: the snapshot read at mount, then `loadtest-progress` events. */
  series: SecondSnapshot[];
  /** Epoch ms of second 0. */
  startedAt: number | null;
}

/**
 * Follow one run: its status (or report) from `loadtests.get`, then one `loadtest-progress`
 * event a second appended in place. `loadtest-done` re-reads it, which brings the saved report.
 * Mount it with `key={runId}` so a new run starts from an empty buffer.
 */
export function useLiveRun(runId: string | null): RunView {
  const api = useApi();
  const qc = useQueryClient();
  const q = useLoadTest(runId);
  const [pushed, setPushed] = useState<SecondSnapshot[]>([]);
  const [pushedState, setPushedState] = useState<RunState | null>(null);

  useEffect(() => {
    if (!runId) return;
    return api.subscribe((e: ApiEvent) => {
      if (!('runId' in e) || e.runId !== runId) return;
      if (e.type === 'loadtest-progress') setPushed((s) => [...s, e.snapshot]);
      else if (e.type === 'loadtest-state') setPushedState(e.state);
      else if (e.type === 'loadtest-done') {
        void qc.invalidateQueries({ queryKey: loadTestKeys.detail(runId) });
        void qc.invalidateQueries({ queryKey: loadTestKeys.list() });
      }
    });
  }, [api, qc, runId]);

  return useMemo((): RunView => {
    const live = q.data?.live ?? null;
    const report = q.data?.report ?? null;
    if (report) {
      return { status: 'done', error: null, live: null, report, state: report.state, series: report.series, startedAt: Date.parse(report.startedAt) };
    }
    const base = live?.series ?? [];
    const lastT = base.length ? base[base.length - 1]!.t : -1;
    const series = base.concat(pushed.filter((s) => s.t > lastT));
    const startedAt = live?.startedAt ? Date.parse(live.startedAt) : null;
    return {
      status: q.isError ? 'error' : q.isPending ? 'loading' : 'live',
      error: q.error,
      live,
      report: null,
      state: pushedState ?? live?.state ?? null,
      series,
      startedAt,
    };
  }, [q.data, q.isError, q.isPending, q.error, pushed, pushedState]);
}
