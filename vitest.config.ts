import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * The two tiers. `unit`: tests that need nothing but Node (no Java for DynamoDB Local, no Chromium, no
 * workerd, no SST platform) — code beside its tests in packages/ and graphql/, the device simulator
 * against its stub server, the fakes, and the checks that committed files match their sources
 * (test/repo). `integration`: everything else in test/ and infra/. The unit tier has no DynamoDB
 * Local: a test there that reaches for one fails (`inject('dynamoEndpoint')` is undefined), it does
 * not quietly pass.
 */
export const UNIT_TESTS = [
  'packages/*/src/**/*.test.ts',
  'graphql/src/**/*.test.ts',
  'test/repo/**/*.test.ts',
  'test/simulator/**/*.test.ts',
  'test/fakes/**/*.test.ts',
];

export default defineConfig({
  // One copy of graphql for Pothos, Apollo and the tests ("Cannot use GraphQLSchema from another realm").
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    setupFiles: ['test/support/env.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Built Lambda bundles (infra/bundle.test.ts) load through Node's own loader, exactly as Lambda's.
    server: { deps: { external: [/\/\.artifacts\/bundles\//] } },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS, pool: 'threads' } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'infra/**/*.test.ts'],
          exclude: UNIT_TESTS,
          // One DynamoDB Local for the tier; every test file gets a table of its own (test/support/database.ts).
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
