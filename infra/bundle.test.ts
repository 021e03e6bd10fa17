/**
 * Bundle budgets, on the bundles a deploy ships (infra/bundle.ts through scripts/bench/bundler.ts):
 * device-facing functions never contain Apollo or graphql, not even in a lazily loaded chunk; no
 * function leaves a package external; each bundle runs in a fresh Node process with nothing but its
 * own files, against this test's DynamoDB Local table; and a device enrolls end to end, and installs
 * a payload, with every device route served by its bundle as Node loads it. Sizes and cold import times are
 * measured by `pnpm bench:coldstart`; here only a ceiling guards against regressions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { type Core, createCore, encodeScopedId } from '@ade/core';
import { LocalKeyFile } from '@ade/core/secrets/index';
import type { ExplorerManifest } from '@ade/explorer/build';
import type { LambdaHandler } from '@ade/functions/http';
import { type FunctionName, functions } from '@ade/functions/routes';
import { startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleResult,
  bundleFunction,
  DEVICE_FACING_BUDGET,
  functionNames,
  smokeInvoke,
} from '../scripts/bench/bundler.ts';
import { asTenant, uploadPushCertificate } from '../test/support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL } from '../test/support/core.ts';
import { useTestDatabase } from '../test/support/database.ts';
import { enrollDevice } from '../test/support/enroll-device.ts';
import { gqlOk } from '../test/support/graphql.ts';

/** The budgets of bench:coldstart (sizes here; import times are measured there, never in a test). */
const DEVICE_FACING_CEILING = DEVICE_FACING_BUDGET.maxBytes;
const GRAPHQL_CEILING = 2_000_000;

/** Device-facing functions run on core/db/wire.ts: not one module of the SDK's DynamoDB clients. */
const isSdkDynamoDbInput = (path: string) =>
  path.includes('@aws-sdk/client-dynamodb/') || path.includes('@aws-sdk/lib-dynamodb/');

const db = useTestDatabase('bundle');
const keyDir = mkdtempSync(join(tmpdir(), 'ade-bundle-'));
const keyFile = join(keyDir, 'master.key');
let core: Core;
const bundles = new Map<string, BundleResult>();

beforeAll(async () => {
  for (const name of functionNames()) bundles.set(name, await bundleFunction(name));
  // The bundles open the same key file (ADE_LOCAL_KEY_FILE) to read the secrets this core seals.
  core = createCore(db(), { keys: LocalKeyFile.open(keyFile), publicUrl: TEST_PUBLIC_URL });
}, 180_000);

afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

async function tableEnv() {
  const endpoint = await db().client.config.endpoint!();
  return {
    ADE_TABLE_NAME: db().tableName,
    ADE_DYNAMODB_ENDPOINT: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`,
  };
}

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

  it('ship the GraphQL explorer beside the GraphQL function only, outside any chunk it imports', () => {
    const graphql = bundles.get('graphql')!;
    const explorerDir = join(dirname(graphql.outfile), 'explorer');
    const manifest = JSON.parse(readFileSync(join(explorerDir, 'manifest.json'), 'utf8')) as ExplorerManifest;
    const names = Object.keys(manifest.assets);
    expect(names.filter((n) => /^main-\w+\.(js|css)$/.test(n))).toHaveLength(2);
    expect(names.filter((n) => /^(editor|json|graphql)\.worker-\w+\.js$/.test(n))).toHaveLength(3);
    for (const name of names) {
      expect(existsSync(join(explorerDir, 'assets', name)), name).toBe(true);
      expect(existsSync(join(explorerDir, 'assets', `${name}.gz`)), `${name}.gz`).toBe(true);
    }
    expect(readFileSync(join(explorerDir, 'page.html'), 'utf8')).toContain('graphql/explorer/main-');
    // Read from disk on a browser's first visit: not one module of it is bundled, lazily or not.
    const inputs = Object.keys(JSON.parse(readFileSync(graphql.metafile, 'utf8')).inputs);
    const explorerCode = (path: string) =>
      /node_modules\/(react|react-dom|graphiql|@graphiql\/[^/]+|monaco-editor|monaco-graphql|esbuild)\//.test(
        path,
      ) || path.startsWith('packages/explorer/');
    expect(inputs.filter(explorerCode)).toEqual([]);
    expect(inputs).toContain('packages/functions/src/web/explorer.ts'); // the detector sees this bundle
    for (const name of functionNames().filter((n) => n !== 'graphql'))
      expect(existsSync(join(dirname(bundles.get(name)!.outfile), 'explorer')), name).toBe(false);
  });

  it('serve the explorer from the GraphQL bundle in a fresh process, from its own explorer/ folder', async () => {
    const graphql = bundles.get('graphql')!;
    const env = await tableEnv();
    const page = await smokeInvoke('graphql', graphql.outfile, graphql.exportName, env, {}, '', {
      route: 'GET /graphql',
      headers: { accept: 'text/html' },
    });
    expect(page.statusCode, page.error ?? page.body).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const script = /src="graphql\/explorer\/([^"]+)"/.exec(page.body)![1]!;
    const asset = await smokeInvoke(
      'graphql',
      graphql.outfile,
      graphql.exportName,
      env,
      { asset: script },
      '',
      {
        route: 'GET /graphql/explorer/{asset}',
      },
    );
    expect(asset.statusCode, asset.error ?? asset.body).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // A GET with a query is still the API's: no key, 401.
    const api = await smokeInvoke(
      'graphql',
      graphql.outfile,
      graphql.exportName,
      env,
      {},
      'query=%7B__typename%7D',
      {
        route: 'GET /graphql',
        headers: { accept: 'text/html' },
      },
    );
    expect(api.statusCode).toBe(401);
  });

  it('run from their own files in a fresh process, the SDK reaching DynamoDB', async () => {
    const env = await tableEnv();
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

  it('enroll a device end to end and deliver it a payload, every device route served by its bundle', async () => {
    // The device functions as deployed (minified, split into chunks, built by infra/bundle.ts),
    // loaded by Node itself and building their core from the environment; this test's core only
    // administers (tenant, push certificate, configuration, payload) and reads the result back.
    Object.assign(process.env, {
      ...(await tableEnv()),
      ADE_PUBLIC_URL: TEST_PUBLIC_URL,
      ADE_LOCAL_KEY_FILE: keyFile,
      ADE_APNS: 'off',
    });
    const loadBundle = async (name: FunctionName) => {
      const bundle = bundles.get(name)!;
      expect(bundle.deviceFacing, `${name} is served from its bundle`).toBe(true);
      const handler =
        // Node's own loader (vitest.config.ts keeps .artifacts/bundles external), as in Lambda.
        ((await import(/* @vite-ignore */ pathToFileURL(bundle.outfile).href)) as Record<string, unknown>)[
          bundle.exportName
        ];
      expect(typeof handler, name).toBe('function');
      return handler as LambdaHandler;
    };
    const served = new Set<FunctionName>();
    const server = await startLocalServer({
      loadHandler: (name) => {
        served.add(name);
        return loadBundle(name);
      },
    });
    try {
      const f = await createTenantFixture(core, 'Bundled Enrollment');
      const push = await uploadPushCertificate(core, f);
      const added = await gqlOk(
        core,
        f.tenantAdminKey,
        `mutation($p: ID!, $s: String!) { addPayload(input: { policyId: $p, payloadType: "com.apple.applicationaccess", settings: $s }) { change { payload { id } } errors { code message } } }`,
        { p: encodeScopedId(f.tenantId, f.rootPolicyId), s: JSON.stringify({ allowCamera: false }) },
      );
      expect(added.addPayload.errors).toEqual([]);

      const { sim, deviceId } = await enrollDevice(core, server.url, f, {
        type: 'USER',
        policyId: f.rootPolicyId,
        hardware: {
          body: readFileSync(ENROLL_CAPTURE_PATH),
          family: 'iPhone',
          product: 'iPhone12,1',
          os: '18.1',
          build: '22B83',
        },
        topic: push.topic,
      });
      // No APNs here (ADE_APNS=off): the device polls, as it would after any wake.
      const session = await sim.connect();
      expect(session.status, session.body).toBe(200);
      expect(session.exchanges.map((e) => e.requestType)).toContain('InstallProfile');

      const data = await gqlOk(
        core,
        f.tenantAdminKey,
        `query($id: ID!) { node(id: $id) { ... on Device { status deployments(first: 10) { nodes { state payload { payloadType } } } } } }`,
        { id: encodeScopedId(f.tenantId, deviceId) },
      );
      expect(data.node.status).toBe('ENROLLED');
      expect(data.node.deployments.nodes).toEqual([
        { state: 'INSTALLED', payload: { payloadType: 'com.apple.applicationaccess' } },
      ]);
      expect([...served].sort()).toEqual(['auth', 'checkin', 'connect', 'discovery', 'enroll']);
    } finally {
      await server.close();
    }
  }, 120_000);
});
