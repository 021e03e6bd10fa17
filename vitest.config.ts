import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // One copy of graphql for Pothos, Apollo and the tests ("Cannot use GraphQLSchema from another realm").
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'graphql/src/**/*.test.ts',
      'test/**/*.test.ts',
      'infra/**/*.test.ts',
    ],
    // One DynamoDB Local for the whole run; every test file gets a table of its own (test/support/database.ts).
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/env.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Built Lambda bundles (infra/bundle.test.ts) load through Node's own loader, exactly as Lambda's.
    server: { deps: { external: [/\/\.artifacts\/bundles\//] } },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
