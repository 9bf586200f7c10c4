import { defineConfig } from 'vitest/config';

// Tests import the built package from dist/: Piscina workers load plain JavaScript files,
// so the code under test is exactly what a user of the package runs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    setupFiles: ['test/fixtures/fast-check-size.ts'],
  },
});
