import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.ts'],
        },
      },
      {
        test: {
          // The API node template, against real Postgres and Redis containers it starts itself.
          name: 'template',
          include: ['backend-template/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 300_000,
          // One engine, shared ports: files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
