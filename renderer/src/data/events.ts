import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ApiEvent, OperationView } from '../../../shared/api/index.ts';
import { useApi } from '../api/ApiContext.tsx';
import { clusterKeys } from './clusters/keys.ts';
import { loadTestKeys } from './loadtests/keys.ts';
import { operationKeys } from './operations/keys.ts';
import { upgradeKeys } from './upgrades/keys.ts';

/**
 * Subscribes once to pushed events and turns them into cache updates:
 * - operation: the operation's detail is replaced, the list entry patched, its cluster and its
 *   upgrade records invalidated (upgrades, rollbacks and finalizes rewrite them; `down` clears a
 *   pending blue-green switch);
 * - cluster-changed: that cluster (and the list) invalidated; plans too, they depend on what runs;
 * - loadtest-state / loadtest-done: the list of runs invalidated (a live run follows its own
 *   progress events, see data/loadtests/live.ts).
 */
export function useApiEvents(): void {
  const api = useApi();
  const qc = useQueryClient();
  useEffect(() => {
    return api.subscribe((event: ApiEvent) => {
      if (event.type === 'operation') {
        const op = event.operation;
        qc.setQueryData<OperationView>(operationKeys.detail(op.id), op);
        let known = false;
        qc.setQueryData<OperationView[]>(operationKeys.list(), (list) => {
          if (!list) return list;
          known = list.some((o) => o.id === op.id);
          return known ? list.map((o) => (o.id === op.id ? op : o)) : [op, ...list];
        });
        if (!known) void qc.invalidateQueries({ queryKey: operationKeys.lists() });
        void qc.invalidateQueries({ queryKey: clusterKeys.lists() });
        void qc.invalidateQueries({ queryKey: clusterKeys.detail(op.cluster) });
        void qc.invalidateQueries({ queryKey: upgradeKeys.list(op.cluster) });
        if (op.state !== 'running') void qc.invalidateQueries({ queryKey: clusterKeys.plans() });
      } else if (event.type === 'cluster-changed') {
        void qc.invalidateQueries({ queryKey: clusterKeys.lists() });
        void qc.invalidateQueries({ queryKey: clusterKeys.detail(event.cluster) });
        void qc.invalidateQueries({ queryKey: clusterKeys.plans() });
      } else if (event.type === 'loadtest-state' || event.type === 'loadtest-done') {
        void qc.invalidateQueries({ queryKey: loadTestKeys.list() });
      }
      // `logs` events are consumed by the log view itself (data/logs/stream.ts), not the cache.
    });
  }, [api, qc]);
}
