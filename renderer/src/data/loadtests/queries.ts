import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ArgsOf } from '../../../../shared/api/index.ts';
import type { LoadTestReport } from '../../../../shared/loadtest/types.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { loadTestKeys } from './keys.ts';

/**
 * Runs in progress and saved reports (newest first). `loadtest-state` / `loadtest-done` events
 * invalidate it (data/events.ts); it is also re-read while something runs, since a run started
 * from the CLI (another process) sends no events here.
 */
export function useLoadTests() {
  const api = useApi();
  return useQuery({
    queryKey: loadTestKeys.list(),
    queryFn: () => api['loadtests.list'](),
    refetchInterval: (q) => (q.state.data?.running.length ? 5_000 : 30_000),
  });
}

/** One run: live status with its series so far, or the saved report once it has ended. */
export function useLoadTest(runId: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: loadTestKeys.detail(runId ?? ''),
    queryFn: () => api['loadtests.get']({ runId: runId! }),
    enabled: runId !== null,
    // A finished report never changes; a live one is followed through events (data/loadtests/live.ts).
    staleTime: (q) => (q.state.data?.report ? Infinity : 0),
  });
}

export function useCompareRuns(a: string | null, b: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: loadTestKeys.compare(a ?? '', b ?? ''),
    queryFn: () => api['loadtests.compare']({ a: a!, b: b! }),
    enabled: a !== null && b !== null && a !== b,
    staleTime: Infinity,
  });
}

export function useStartLoadTest() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'loadtests.start'>) => api['loadtests.start'](args),
    onSuccess: () => void qc.invalidateQueries({ queryKey: loadTestKeys.list() }),
  });
}

export function useStopLoadTest() {
  const api = useApi();
  return useMutation({ mutationFn: (runId: string) => api['loadtests.stop']({ runId }) });
}

/** The two exports of a finished run: the self-contained HTML report and the JSON report. */
export function useReportExport() {
  const api = useApi();
  return {
    html: (runId: string) => api['loadtests.html']({ runId }),
    json: async (runId: string): Promise<LoadTestReport> => {
      const r = await api['loadtests.get']({ runId });
      if (!r.report) throw new Error(`Run ${runId} has no saved report yet.`);
      return r.report;
    },
  };
}
