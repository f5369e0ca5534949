import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Property tests draw from one fixed seed (FC_SEED overrides): a random counterexample must not turn CI red at random.
    // Each test ends with an event-loop turn, so vitest's RPC answers are read during a long synchronous file.
    setupFiles: ['test/helpers/fast-check-seed.ts', 'test/helpers/event-loop-turn.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest runs max(cores − 1, 1) files at once: one on the 2-core CI machine, where the suite then ran serially while
    // much of its time is spent waiting on PostgreSQL, nginx, Redis and Helm. Two files at once keep both cores busy.
    maxWorkers: 2,
    minWorkers: 1,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
  },
});
