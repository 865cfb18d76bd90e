import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that run bin/tidepool.js load dist/: rebuild it first when a source is newer.
    globalSetup: ['test/cli/build-dist.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernels and pool servers are real processes; two cores do not like many at once.
    maxWorkers: 2,
    // CI also writes a JSON report so .ci/run can print one plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: process.env.CI ? { json: 'test-results/vitest.json' } : undefined,
  },
});
