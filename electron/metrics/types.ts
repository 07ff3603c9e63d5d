// The metrics shapes are shared with the renderer; they live in shared/metrics.
export * from '../../shared/metrics/types.ts';
