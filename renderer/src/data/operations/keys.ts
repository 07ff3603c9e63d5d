/** Query keys for operations: all → list → detail(id). The list is filtered client-side (`select`). */
export const operationKeys = {
  all: ['operations'] as const,
  lists: () => [...operationKeys.all, 'list'] as const,
  list: () => [...operationKeys.lists()] as const,
  details: () => [...operationKeys.all, 'detail'] as const,
  detail: (id: string) => [...operationKeys.details(), id] as const,
};
