/** Query keys for load tests: all → list() · detail(runId) · compare(a, b) · html(runId). */
export const loadTestKeys = {
  all: ['loadtests'] as const,
  list: () => [...loadTestKeys.all, 'list'] as const,
  detail: (runId: string) => [...loadTestKeys.all, 'detail', runId] as const,
  compare: (a: string, b: string) => [...loadTestKeys.all, 'compare', a, b] as const,
};
