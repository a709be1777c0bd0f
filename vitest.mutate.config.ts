import { defineConfig } from 'vitest/config';

/**
 * The suites `npm run mutate` runs against each mutant of the trust core
 * (stryker.config.json): those that exercise it in this process. Suites
 * that only drive a browser, SpamAssassin or the compiled command line in
 * another process cannot see a mutant, and are left out to keep a run short.
 */
export default defineConfig({
  test: {
    include: [
      'test/tokens.test.ts',
      'test/classify.test.ts',
      'test/trust-*.test.ts',
      'test/bounces.test.ts',
      'test/bounces-parse.test.ts',
      'test/bounces-webhooks.test.ts',
      'test/webhooks-parse.test.ts',
      'test/serve.test.ts',
      'test/send.test.ts',
      'test/send-faults.test.ts',
      'test/pipeline.test.ts',
      'test/hardening.test.ts',
      'test/preview.test.ts',
      'test/errors.test.ts',
      'test/subscribers.test.ts',
      'test/build.test.ts',
    ],
    // Measures the whole process's memory, which Stryker's instrumentation inflates: no mutant's signal there.
    exclude: ['test/trust-bounce-size.test.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    testTimeout: 60_000,
  },
});
