import { defineConfig } from 'vitest/config';

/**
 * `npm run soak`: the soak, then load and noisy neighbours, one file at a time (each owns the
 * machine's CPU while it runs). The pool runs from dist/, rebuilt first when a source is newer.
 */
export default defineConfig({
  test: {
    include: ['test/soak/soak.test.ts', 'test/soak/load.soak.ts'],
    globalSetup: ['test/cli/build-dist.ts'],
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
  },
});
