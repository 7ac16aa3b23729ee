import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB work is CPU heavy and the machine has two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
