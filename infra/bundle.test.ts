/**
 * Bundle budgets, on the bundles a deploy ships (infra/bundle.ts through scripts/bench/bundler.ts):
 * device-facing functions never contain Apollo or graphql, not even in a lazily loaded chunk; no
 * function leaves a package external; and each bundle runs in a fresh Node process with nothing
 * but its own files, against this test's DynamoDB Local table. Sizes and cold import times are
 * measured by `pnpm bench:coldstart`; here only a ceiling guards against regressions.
 */
import { readFileSync } from 'node:fs';
import { type Core, createCore } from '@ade/core';
import { ephemeralKeyManagement } from '@ade/core/secrets/index';
import { functions } from '@ade/functions/routes';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleResult,
  bundleFunction,
  DEVICE_FACING_BUDGET,
  functionNames,
  smokeInvoke,
} from '../scripts/bench/bundler.ts';
import { asTenant } from '../test/support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL } from '../test/support/core.ts';
import { useTestDatabase } from '../test/support/database.ts';

/** The budgets of bench:coldstart (sizes here; import times are measured there, never in a test). */
const DEVICE_FACING_CEILING = DEVICE_FACING_BUDGET.maxBytes;
const GRAPHQL_CEILING = 2_000_000;

/** Device-facing functions run on core/db/wire.ts: not one module of the SDK's DynamoDB clients. */
const isSdkDynamoDbInput = (path: string) =>
  path.includes('@aws-sdk/client-dynamodb/') || path.includes('@aws-sdk/lib-dynamodb/');

const db = useTestDatabase('bundle');
let core: Core;
const bundles = new Map<string, BundleResult>();

beforeAll(async () => {
  for (const name of functionNames()) bundles.set(name, await bundleFunction(name));
  core = createCore(db(), { keys: ephemeralKeyManagement(), publicUrl: TEST_PUBLIC_URL });
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

  it('keep the AWS SDK DynamoDB clients out of every device-facing function, in any chunk', () => {
    for (const name of functionNames()) {
      const inputs = Object.keys(JSON.parse(readFileSync(bundles.get(name)!.metafile, 'utf8')).inputs);
      const sdk = inputs.filter(isSdkDynamoDbInput);
      if (functions[name].deviceFacing) expect(sdk, `${name} bundles the SDK's DynamoDB client`).toEqual([]);
      else expect(sdk.length, `${name} (GraphQL and the worker run on the SDK)`).toBeGreaterThan(10);
    }
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
    // Discovery reads a configuration the SDK wrote, through ElectroDB on the wire client of the
    // bundle, and answers with its enrollment URL; an unknown one is Apple's 403.
    const tenant = await createTenantFixture(core, 'Bundled');
    const { item } = await asTenant(core, tenant, () =>
      core.adeConfigurations.set({
        policyId: tenant.rootPolicyId,
        enrollmentType: 'USER',
        domains: ['bundle.example'],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
        enabled: true,
      }),
    );
    const discovery = bundles.get('discovery')!;
    const invoke = (discoveryId: string) =>
      smokeInvoke(
        'discovery',
        discovery.outfile,
        discovery.exportName,
        env,
        { discoveryId },
        'user-identifier=a%40bundle.example&model-family=iPhone',
      );
    const answer = await invoke(item.discoveryId);
    expect(answer.statusCode, answer.error ?? answer.body).toBe(200);
    expect(JSON.parse(answer.body).Servers[0].BaseURL).toBe(
      `https://mdm.bench.example/mdm/enrollment/servicediscovery/${item.discoveryId}/userenroll`,
    );
    const unknown = await invoke(
      `${item.discoveryId.slice(0, -1)}${item.discoveryId.endsWith('A') ? 'B' : 'A'}`,
    );
    expect(unknown.statusCode).toBe(403);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'com.apple.well-known.failed' });
  });
});
