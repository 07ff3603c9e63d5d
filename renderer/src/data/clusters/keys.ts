/**
 * Query keys for clusters: all → list → detail(name) → export(name); validate(yaml); plans → plan(yaml).
 * Invalidating a prefix invalidates everything below it (detail(name) also refreshes its export).
 */
export const clusterKeys = {
  all: ['clusters'] as const,
  lists: () => [...clusterKeys.all, 'list'] as const,
  list: () => [...clusterKeys.lists()] as const,
  details: () => [...clusterKeys.all, 'detail'] as const,
  detail: (name: string) => [...clusterKeys.details(), name] as const,
  export: (name: string) => [...clusterKeys.detail(name), 'export'] as const,
  /** Validation is a pure function of the text: cached per text, never stale. */
  validate: (yaml: string) => [...clusterKeys.all, 'validate', yaml] as const,
  /** Plans depend on what runs, so every cluster change invalidates plans(). */
  plans: () => [...clusterKeys.all, 'plan'] as const,
  plan: (yaml: string) => [...clusterKeys.plans(), yaml] as const,
};
