import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AlertRule } from '../../../../shared/metrics/types.ts';
import { useApi } from '../../api/ApiContext.tsx';
import { metricsKeys } from './keys.ts';

export function useAlertRules(cluster: string) {
  const api = useApi();
  return useQuery({
    queryKey: metricsKeys.rules(cluster),
    queryFn: () => api['metrics.rules']({ cluster }),
  });
}

export function useSetAlertRules(cluster: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (rules: AlertRule[]) => api['metrics.setRules']({ cluster, rules }),
    onSuccess: (saved) => qc.setQueryData(metricsKeys.rules(cluster), saved),
  });
}

/** The Prometheus scrape config for the export page. */
export function useScrapeConfig(cluster: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: metricsKeys.scrape(cluster),
    queryFn: () => api['metrics.scrapeConfig']({ cluster }),
    retry: false,
    enabled,
  });
}
