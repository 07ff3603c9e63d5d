/**
 * Query keys for metrics: all → cluster(name) → rules(name) · scrape(name).
 * Live series are not query-cached: they stream in as `metrics` events (see live.ts).
 */
export const metricsKeys = {
  all: ['metrics'] as const,
  cluster: (name: string) => [...metricsKeys.all, name] as const,
  rules: (name: string) => [...metricsKeys.cluster(name), 'rules'] as const,
  scrape: (name: string) => [...metricsKeys.cluster(name), 'scrape'] as const,
};
