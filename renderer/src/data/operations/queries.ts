import { useCallback } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { OperationView } from '../../../../shared/api/index.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { errorCode } from '../../lib/errors.ts';
import { operationKeys } from './keys.ts';

const newestFirst = (a: OperationView, b: OperationView) => b.startedAt - a.startedAt;

/** Kept current by pushed events; also re-read now and then in case the event stream dropped some. */
export function useOperations<T = OperationView[]>(select?: (ops: OperationView[]) => T) {
  const api = useApi();
  return useQuery({
    queryKey: operationKeys.list(),
    queryFn: () => api['operations.list'](),
    select,
    refetchInterval: (q) => (q.state.status === 'error' || q.state.data?.some((o) => o.state === 'running') ? 4_000 : 15_000),
  });
}

/**
 * The operation a page just started, per cluster, so the page it navigates to shows its
 * progress at once (before the cluster or the list report it as active).
 */
const started = new Map<string, string>();
export function rememberStarted(cluster: string, operationId: string): void {
  started.set(cluster, operationId);
}
export function recentlyStarted(cluster: string): string | null {
  return started.get(cluster) ?? null;
}

/** A cluster's operations, newest first. */
export function useClusterOperations(cluster: string) {
  const select = useCallback((ops: OperationView[]) => ops.filter((o) => o.cluster === cluster).sort(newestFirst), [cluster]);
  return useOperations(select);
}

/**
 * One operation. Pushed events keep it current (setQueryData); while it runs it is also polled
 * every 2 s in case an event was missed (an SSE reconnect, a sleeping laptop).
 */
export function useOperation(id: string | null | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: operationKeys.detail(id ?? ''),
    queryFn: () => api['operations.get']({ id: id! }),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data?.state === 'running' || q.state.status === 'error' ? 2_000 : false),
    retry: (count, err) => errorCode(err) !== 'NOT_FOUND' && count < 2,
  });
}

/** Cancel a running operation; the `operation` events that follow show it winding down. */
export function useCancelOperation() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api['operations.cancel']({ id }),
    onSuccess: (op) => qc.setQueryData<OperationView>(operationKeys.detail(op.id), op),
  });
}
