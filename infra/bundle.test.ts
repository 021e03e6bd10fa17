/**
 * Bundle budgets, on the bundles a deploy ships (infra/bundle.ts through scripts/bench/bundler.ts):
 * device-facing functions never contain Apollo or graphql, not even in a lazily loaded chunk; no
 * function leaves a package external; and each bundle runs in a fresh Node process with nothing
 * but its own files, against this test's DynamoDB Local table. Sizes and cold import times are
 * measured by `pnpm bench:coldstart`; here only a ceiling guards against regressions.
 */
import { functions } from '@ade/functions/routes';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleResult, bundleFunction, functionNames, smokeInvoke } from '../scripts/bench/bundler.ts';
import { useTestDatabase } from '../test/support/database.ts';

/**
 * The budget is 400 KB (bench:coldstart); device-facing functions are at about 640 KB, most of it
 * ElectroDB and the AWS SDK's DynamoDB client (README, "Deploy"). This ceiling only stops growth.
 */
const DEVICE_FACING_CEILING = 700_000;
const GRAPHQL_CEILING = 2_000_000;

const db = useTestDatabase('bundle');
const bundles = new Map<string, BundleResult>();

beforeAll(async () => {
  for (const name of functionNames()) bundles.set(name, await bundleFunction(name));
}, 180_000);

describe('Lambda bundles', () => {
  it('keep Apollo and graphql out of every device-facing function', () => {
    const deviceFacing = functionNames().filter((name) => functions[name].deviceFacing);
    expect(deviceFacing.length).toBeGreaterThan(0);
    for (const name of deviceFacing) {
      const bundle = bundles.get(name)!;
      expect(bundle.apolloOrGraphqlInputs, `${name} bundles Apollo/graphql`).toEqual([]);
      expect(bundle.coldStartBytes, `${name} cold start`).toBeLessThan(DEVICE_FACING_CEILING);
    }
    // The detector itself: GraphQL's bundle is made of exactly what device functions must not hold.
    expect(bundles.get('graphql')!.apolloOrGraphqlInputs.length).toBeGreaterThan(100);
    expect(bundles.get('graphql')!.coldStartBytes).toBeLessThan(GRAPHQL_CEILING);
    expect(bundles.get('graphql')!.graphqlCopies).toHaveLength(1);
  });

  it('bundle every package, the AWS SDK included (only Node built-ins stay external)', () => {
    for (const bundle of bundles.values()) expect(bundle.nonBuiltinExternals, bundle.name).toEqual([]);
  });

  it('run from their own files in a fresh process, the SDK reaching DynamoDB', async () => {
    const env = {
      ADE_TABLE_NAME: db().tableName,
      ADE_DYNAMODB_ENDPOINT: await db().client.config.endpoint!().then(
        (e) => `${e.protocol}//${e.hostname}:${e.port}`,
      ),
    };
    for (const bundle of bundles.values()) {
      const smoke = await smokeInvoke(bundle.name, bundle.outfile, bundle.exportName, env);
      expect(smoke.error, bundle.name).toBeUndefined();
      expect(smoke.statusCode, `${bundle.name} ${smoke.route}: ${smoke.body}`).toBeLessThan(500);
    }
    // Discovery of an unknown configuration is a real GetItem against the table, then Apple's 403.
    const discovery = bundles.get('discovery')!;
    const answer = await smokeInvoke('discovery', discovery.outfile, discovery.exportName, env);
    expect(answer.statusCode).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'com.apple.well-known.failed' });
  });
});
