import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../../api/ApiContext.tsx';

/** Query keys for app settings: all → secrets(). */
export const settingsKeys = {
  all: ['settings'] as const,
  secrets: () => [...settingsKeys.all, 'secrets'] as const,
};

/** How secrets are kept (sealed with the keyring, or 0600 files) and why. */
export function useSecretStorage() {
  const api = useApi();
  return useQuery({ queryKey: settingsKeys.secrets(), queryFn: () => api['settings.secretStorage'](), staleTime: 60_000 });
}

export function useSetSecretStorage() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (mode: 'keyring' | 'file') => api['settings.setSecretStorage']({ mode }),
    onSuccess: (info) => qc.setQueryData(settingsKeys.secrets(), info),
  });
}
