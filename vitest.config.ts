import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is CPUs − 1, one fork on a 2-core machine; the suite waits on sockets, brokers
    // and child processes more than on CPU, and two forks ran it in 326 s instead of 475 s there
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default'],
  },
});
