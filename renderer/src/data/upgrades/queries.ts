import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ArgsOf, OperationKind, UpgradeRecord } from '../../../../shared/api/index.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { errorCode } from '../../lib/errors.ts';
import { clusterKeys } from '../clusters/keys.ts';
import { operationKeys } from '../operations/keys.ts';
import { rememberStarted } from '../operations/queries.ts';
import { upgradeKeys } from './keys.ts';

/** The operation kinds that belong to upgrades (shown by the Upgrades tab). */
export const UPGRADE_KINDS: ReadonlySet<OperationKind> = new Set<OperationKind>(['upgrade', 'rollback', 'finalize']);

/**
 * A cluster's upgrade records, newest first. `operation` events invalidate it (data/events.ts);
 * it is also re-read now and then, since an upgrade started from the CLI (another process)
 * sends no events here.
 */
export function useUpgrades(cluster: string) {
  const api = useApi();
  return useQuery({
    queryKey: upgradeKeys.list(cluster),
    queryFn: () => api['upgrades.list']({ cluster }),
    refetchInterval: (q) => (q.state.data?.some((r) => r.state === 'running') ? 3_000 : 15_000),
    retry: (count, err) => errorCode(err) !== 'NOT_FOUND' && count < 2,
  });
}

/** The blue-green upgrade that has switched and waits for finalize or rollback, if any. */
export function pendingBlueGreen(records: UpgradeRecord[] | undefined): UpgradeRecord | null {
  return records?.find((r) => r.state === 'awaiting-finalize') ?? null;
}

function invalidateAfterStart(qc: QueryClient, cluster: string, operationId: string) {
  rememberStarted(cluster, operationId);
  void qc.invalidateQueries({ queryKey: upgradeKeys.list(cluster) });
  void qc.invalidateQueries({ queryKey: clusterKeys.lists() });
  void qc.invalidateQueries({ queryKey: clusterKeys.detail(cluster) });
  void qc.invalidateQueries({ queryKey: operationKeys.lists() });
}

export function useStartUpgrade() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'upgrades.start'>) => api['upgrades.start'](args),
    onSuccess: (r, args) => invalidateAfterStart(qc, args.cluster, r.operationId),
  });
}

/** Blue-green awaiting finalize: switch back. Otherwise: roll the last upgrade back (a rolling upgrade to its old image). */
export function useRollbackUpgrade() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'upgrades.rollback'>) => api['upgrades.rollback'](args),
    onSuccess: (r, args) => invalidateAfterStart(qc, args.cluster, r.operationId),
  });
}

export function useFinalizeUpgrade() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: ArgsOf<'upgrades.finalize'>) => api['upgrades.finalize'](args),
    onSuccess: (r, args) => invalidateAfterStart(qc, args.cluster, r.operationId),
  });
}
