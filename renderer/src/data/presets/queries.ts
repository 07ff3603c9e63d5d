import { useQuery } from '@tanstack/react-query';
import { useApi } from '../../api/ApiContext.tsx';
import { presetKeys } from './keys.ts';

export function usePresets() {
  const api = useApi();
  return useQuery({
    queryKey: presetKeys.list(),
    queryFn: () => api['presets.list'](),
    staleTime: Infinity,
  });
}
