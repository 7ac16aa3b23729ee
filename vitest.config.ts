import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // A bare `npx vitest` builds first when src/ is newer than dist/ (the e2e tests run dist/).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB work is CPU heavy and the machine has two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
