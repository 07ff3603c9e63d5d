import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ArgsOf } from '../../../../shared/api/index.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { errorCode } from '../../lib/errors.ts';
import { operationKeys } from '../operations/keys.ts';
import { clusterKeys } from './keys.ts';

export function useClusters() {
  const api = useApi();
  return useQuery({
    queryKey: clusterKeys.list(),
    queryFn: () => api['clusters.list'](),
    refetchInterval: 10_000,
  });
}

/** One cluster; polled every 3 s while mounted because container health changes without events. */
export function useCluster(name: string, opts: { poll?: boolean } = {}) {
  const api = useApi();
  return useQuery({
    queryKey: clusterKeys.detail(name),
    queryFn: () => api['clusters.get']({ name }),
    refetchInterval: opts.poll === false ? false : 3_000,
    retry: (count, err) => errorCode(err) !== 'NOT_FOUND' && count < 2,
  });
}

export function useClusterExport(name: string) {
  const api = useApi();
  return useQuery({
    queryKey: clusterKeys.export(name),
    queryFn: () => api['clusters.export']({ name }),
    retry: false,
  });
}

/** After any mutation that starts an operation: the cluster and the operations list are stale. */
function invalidateCluster(qc: QueryClient, name: string) {
  void qc.invalidateQueries({ queryKey: clusterKeys.lists() });
  void qc.invalidateQueries({ queryKey: clusterKeys.detail(name) });
  void qc.invalidateQueries({ queryKey: operationKeys.lists() });
}

export function useCreateFromPreset() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'clusters.createFromPreset'>) => api['clusters.createFromPreset'](args),
    onSuccess: (_res, args) => invalidateCluster(qc, args.name),
  });
}

export function useScaleCluster() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'clusters.scale'>) => api['clusters.scale'](args),
    onSuccess: (_res, args) => invalidateCluster(qc, args.name),
  });
}

export function useDownCluster() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'clusters.down'>) => api['clusters.down'](args),
    onSuccess: (_res, args) => invalidateCluster(qc, args.name),
  });
}

/** Live validation of spec text (debounce before calling: every distinct text is one request). */
export function useValidateSpec(yaml: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: clusterKeys.validate(yaml),
    queryFn: () => api['clusters.validate']({ yaml }),
    enabled,
    staleTime: Infinity,
    gcTime: 60_000,
    placeholderData: (prev) => prev,
    retry: false,
  });
}

/** What applying this text would do, against what runs now. Only ask for a valid spec. */
export function usePlanPreview(yaml: string, enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: clusterKeys.plan(yaml),
    queryFn: () => api['clusters.plan']({ yaml }),
    enabled,
    staleTime: 0,
    gcTime: 30_000,
    retry: false,
  });
}

export function useApplySpec() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: { yaml: string; name: string }) => api['clusters.apply']({ yaml: args.yaml }),
    onSuccess: (_res, args) => {
      invalidateCluster(qc, args.name);
      void qc.invalidateQueries({ queryKey: clusterKeys.plans() });
    },
  });
}
