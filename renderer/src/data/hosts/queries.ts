import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { HostAddInput } from '../../../../shared/api/index.ts';
import { useApi } from '../../api/ApiContext.tsx';

/** Query keys for hosts: all → list() · check(name). */
export const hostKeys = {
  all: ['hosts'] as const,
  list: () => [...hostKeys.all, 'list'] as const,
  check: (name: string) => [...hostKeys.all, 'check', name] as const,
};

export function useHosts() {
  const api = useApi();
  return useQuery({ queryKey: hostKeys.list(), queryFn: () => api['hosts.list']() });
}

/** Connects once (so an unknown key comes back as HOST_KEY_UNTRUSTED with its fingerprint), then stores the host. */
export function useAddHost() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: HostAddInput) => api['hosts.add'](input),
    onSuccess: () => void qc.invalidateQueries({ queryKey: hostKeys.list() }),
  });
}

export function useRemoveHost() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api['hosts.remove']({ name }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: hostKeys.all }),
  });
}

/** Engine version, CPUs, memory and free disk of a host, read over its SSH connection. */
export function useCheckHost() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api['hosts.test']({ name }),
    onSuccess: (check) => qc.setQueryData(hostKeys.check(check.name), check),
  });
}
