/** Query keys for the data tier: all → status(cluster). */
export const dbKeys = {
  all: ['db'] as const,
  status: (cluster: string) => [...dbKeys.all, 'status', cluster] as const,
};
