/**
 * Query keys for clusters: all → list → detail(name) → export(name).
 * Invalidating a prefix invalidates everything below it (detail(name) also refreshes its export).
 */
export const clusterKeys = {
  all: ['clusters'] as const,
  lists: () => [...clusterKeys.all, 'list'] as const,
  list: () => [...clusterKeys.lists()] as const,
  details: () => [...clusterKeys.all, 'detail'] as const,
  detail: (name: string) => [...clusterKeys.details(), name] as const,
  export: (name: string) => [...clusterKeys.detail(name), 'export'] as const,
};
