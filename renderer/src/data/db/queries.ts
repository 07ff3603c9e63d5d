import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ArgsOf } from '../../../../shared/api/index.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { errorCode } from '../../lib/errors.ts';
import { clusterKeys } from '../clusters/keys.ts';
import { operationKeys } from '../operations/keys.ts';
import { rememberStarted } from '../operations/queries.ts';
import { dbKeys } from './keys.ts';

/** Replication state and lag, polled every 2 s (lag moves without any event to say so). */
export function useDbStatus(cluster: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: dbKeys.status(cluster),
    queryFn: () => api['db.status']({ cluster }),
    refetchInterval: 2_000,
    enabled,
    retry: (count, err) => errorCode(err) !== 'NOT_FOUND' && count < 2,
  });
}

/** Failover: promote a replica (an operation with progress, like the others). */
export function usePromoteReplica() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'db.promote'>) => api['db.promote'](args),
    onSuccess: (r, args) => {
      rememberStarted(args.cluster, r.operationId);
      void qc.invalidateQueries({ queryKey: dbKeys.status(args.cluster) });
      void qc.invalidateQueries({ queryKey: clusterKeys.detail(args.cluster) });
      void qc.invalidateQueries({ queryKey: operationKeys.lists() });
    },
  });
}
