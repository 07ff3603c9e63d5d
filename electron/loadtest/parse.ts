// Parsing and validating definitions is pure, so the renderer's form checks with the same code:
// it lives in shared/loadtest.
export * from '../../shared/loadtest/parse.ts';
