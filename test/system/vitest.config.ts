// `npm run test:system`: test/system/*.system.ts, kept out of `npx vitest run` (vitest.config.ts
// includes only *.test.ts). One machine, steps in order: no parallelism, long timeouts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/system/**/*.system.ts'],
    testTimeout: 180_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
