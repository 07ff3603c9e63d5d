import { useQuery } from '@tanstack/react-query';
import { useApi } from '../../api/ApiContext.tsx';
import { engineKeys } from './keys.ts';

/** Engine reachability, version and image set. Re-checked every 10 s so a started engine shows up. */
export function useEngineInfo() {
  const api = useApi();
  return useQuery({
    queryKey: engineKeys.info(),
    queryFn: () => api['engine.info'](),
    refetchInterval: 10_000,
  });
}
