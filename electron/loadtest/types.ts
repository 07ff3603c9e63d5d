// The load test shapes are shared with the renderer; they live in shared/loadtest.
export * from '../../shared/loadtest/types.ts';
