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
      'test/unit/tokens/tokens.test.ts',
      'test/unit/tokens/secret.test.ts',
      'test/unit/mail/classify.test.ts',
      'test/e2e/trust/trust-*.test.ts',
      'test/e2e/bounces/bounces.test.ts',
      'test/unit/bounces/bounces-parse.test.ts',
      'test/e2e/bounces/bounces-webhooks.test.ts',
      'test/unit/bounces/webhooks-parse.test.ts',
      'test/e2e/subscribe/serve.test.ts',
      'test/e2e/send/send.test.ts',
      'test/e2e/send/send-faults.test.ts',
      'test/unit/send/pipeline.test.ts',
      'test/e2e/trust/hardening.test.ts',
      'test/unit/preview/preview.test.ts',
      'test/house/errors.test.ts',
      'test/e2e/subscribe/subscribers.test.ts',
      'test/e2e/build/build.test.ts',
      'test/unit/build/output.test.ts',
      'test/unit/build/output-faults.test.ts',
      'test/unit/util/files.test.ts',
      'test/unit/serve/routes.test.ts',
      'test/unit/store/store-rules.test.ts',
      'test/e2e/subscribe/preferences.test.ts',
      'test/e2e/send/relays.test.ts',
      'test/unit/send/relay-picker.test.ts',
    ],
    // Measures the whole process's memory, which Stryker's instrumentation inflates: no mutant's signal there.
    exclude: ['test/e2e/trust/trust-bounce-size.test.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    // The store's rules run on SQLite only here: one SQL for both backends (store/sql.ts), and a
    // PostgreSQL server started per mutant would cost seconds each. `npm test` runs both.
    env: { GAZETTE_MUTATE_SQLITE_ONLY: '1' },
    testTimeout: 60_000,
  },
});
