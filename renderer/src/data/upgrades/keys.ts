/** Query keys for upgrades: all → lists → list(cluster). One list per cluster (its upgrade records). */
export const upgradeKeys = {
  all: ['upgrades'] as const,
  lists: () => [...upgradeKeys.all, 'list'] as const,
  list: (cluster: string) => [...upgradeKeys.lists(), cluster] as const,
};
