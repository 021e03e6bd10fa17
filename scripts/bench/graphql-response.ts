/**
 * `pnpm bench:graphql-response`: the largest answers the GraphQL limits let through (issue 13).
 *
 * Fills a tenant the way that makes answers largest — payloads whose settings are at core's 64 KB
 * limit, escape-free (a base64 icon) and quote-heavy (every `"` is escaped twice on the way out: in
 * the GraphQL JSON and in Lambda's result), a page of 100 policies with 100-character names — and
 * runs the biggest queries of each shape that the cost limit (25,000) admits, in-process through
 * `executeGraphQL` (the Lambda handler's path). Per query: its cost, the answer's size as Lambda
 * counts it (the body as a JSON string), and whether it was answered or replaced by
 * RESPONSE_TOO_LARGE (whose message names the size the answer would have had).
 * Result: .artifacts/bench/graphql-response.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomBytes } from 'node:crypto';
import { type Actor, createCore, createDatabase, encodeScopedId, runAs } from '@ade/core';
import { ephemeralKeyManagement } from '@ade/core/secrets/index';
import {
  createGraphQLServer,
  executeGraphQL,
  LIMITS,
  MAX_RESPONSE_BYTES,
  operationCost,
  schema,
} from '@ade/graphql';
import { startDynamoLocal } from '@ade/local/dynamodb-local';
import { ensureTable } from '@ade/local/table';
import { getIntrospectionQuery, type OperationDefinitionNode, parse } from 'graphql';
import { environment, table, writeResult } from './common.ts';

const system: Actor = { kind: 'system', role: 'ADMIN', name: 'bench' };
const PAYLOADS_PER_POLICY = 20; // what the cost model assumes for a plain list
const CHILD_POLICIES = 100; // one page
const CROWDED = 39; // two copies of its payloads come just under the ceiling

interface Row {
  shape: string;
  cost: number;
  status: number;
  code: string;
  lambdaBytes: number;
  rawBytes: number;
}

const dynamo = await startDynamoLocal();
try {
  const db = createDatabase({ tableName: 'bench-graphql-response', endpoint: dynamo.endpoint });
  await ensureTable(db.client, db.tableName);
  const core = createCore(db, { keys: ephemeralKeyManagement(), publicUrl: 'https://mdm.bench.example' });
  const { partner } = await runAs(system, () =>
    core.partners.create({ name: 'Bench MSP', firstKeyName: null }),
  );
  const tenant = await runAs(system, () => core.tenants.create({ name: 'Bench' }, partner.partnerId));
  const { secret: key } = await runAs(system, () =>
    core.apiKeys.createFor(tenant.tenantId, { name: 'bench', role: 'ADMIN' }),
  );
  const inTenant = <T>(fn: () => Promise<T>) =>
    runAs(system, () => core.tenancy.inTenant(tenant.tenantId, fn));

  const fill = async (
    name: string,
    settings: (i: number) => Record<string, unknown>,
    count = PAYLOADS_PER_POLICY,
  ) => {
    const policy = await inTenant(() => core.policies.create({ parentId: tenant.rootPolicyId, name }));
    for (let i = 0; i < count; i++) {
      await inTenant(() =>
        core.payloads.add(policy.policyId, {
          payloadType: 'com.apple.webClip.managed',
          displayName: `Clip ${i}`,
          settings: settings(i),
        }),
      );
    }
    return encodeScopedId(tenant.tenantId, policy.policyId);
  };
  // 47,000 random bytes are 62,668 characters of base64: settings just under 64 KB, nothing to escape.
  const clip = (i: number) => ({
    URL: `https://clip-${i}.bench.example`,
    Label: `Clip ${i}`,
    Icon: randomBytes(47_000).toString('base64'),
  });
  const base64 = await fill('Base64 clips', clip);
  // Nothing bounds how many payloads a policy has: more than the 20 the cost model assumes.
  const crowded = await fill('Crowded clips', clip, CROWDED);
  // 32,000 quotes are 64,000 bytes of settings JSON, and 256,000 once Lambda has escaped them again.
  const quotes = await fill('Quoted clips', (i) => ({
    URL: `https://clip-${i}.bench.example`,
    Label: '"'.repeat(32_000),
  }));
  for (let i = 0; i < CHILD_POLICIES - 3; i++) {
    await inTenant(() =>
      core.policies.create({
        parentId: tenant.rootPolicyId,
        name: `${String(i).padStart(3, '0')} ${'x'.repeat(96)}`,
      }),
    );
  }

  const server = createGraphQLServer({ error: () => {}, warn: () => {} });
  await server.start();
  const rows: Row[] = [];
  const run = async (shape: string, query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const cost = operationCost(schema, document, operation, variables) ?? Number.NaN;
    const response = await executeGraphQL(server, core, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      search: '',
      body: JSON.stringify({ query, variables }),
      requestId: 'bench',
    });
    const body = JSON.parse(response.body);
    const code = body.errors?.[0]?.extensions?.code ?? 'answered';
    const wouldBe = /would be (\d+) bytes/.exec(body.errors?.[0]?.message ?? '');
    const lambdaBytes = wouldBe ? Number(wouldBe[1]) : Buffer.byteLength(JSON.stringify(response.body));
    rows.push({
      shape,
      cost: Math.round(cost),
      status: response.status,
      code,
      lambdaBytes,
      rawBytes: wouldBe ? Number.NaN : Buffer.byteLength(response.body),
    });
  };
  const aliases = (n: number, field: string) =>
    Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

  for (const [label, id, count] of [
    ['base64', base64, PAYLOADS_PER_POLICY],
    ['quote-heavy', quotes, PAYLOADS_PER_POLICY],
    ['base64', crowded, CROWDED],
  ] as const) {
    for (const n of [1, 2, 3]) {
      await run(
        `${n}× policy { payloads { id displayName settings } } (${label}, ${count} × 64 KB)`,
        `query($id: ID!) { ${aliases(n, 'policy(id: $id) { payloads { id displayName settings } }')} }`,
        { id },
      );
    }
  }
  const policyFields =
    'id name path parentId version childCount depth isRoot createdAt updatedAt adeConfiguration { id }';
  for (const n of [10, 17]) {
    await run(
      `${n}× tenant { policies(first: 100) { nodes { 11 fields } } }`,
      `query($id: ID!) { ${aliases(n, `tenant(id: $id) { policies(first: 100) { nodes { ${policyFields} } } }`)} }`,
      { id: tenant.tenantId },
    );
  }
  const introspection = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true });
  const selection = introspection.slice(
    introspection.indexOf('__schema') + '__schema'.length,
    introspection.indexOf('fragment'),
  );
  const fragments = introspection.slice(introspection.indexOf('fragment'));
  for (const n of [1, 3]) {
    const body = selection.trim().replace(/\}\s*$/, '');
    await run(`${n}× GraphiQL's full introspection`, `{ ${aliases(n, `__schema ${body}`)} }\n${fragments}`);
  }

  const answered = rows.filter((r) => r.code === 'answered');
  const largest = answered.reduce((a, b) => (b.lambdaBytes > a.lambdaBytes ? b : a));
  console.log(
    table(
      ['query', 'cost', 'HTTP', 'answer', 'bytes (as Lambda counts)', 'bytes (body)'],
      rows.map((r) => [
        r.shape,
        r.cost,
        r.status,
        r.code,
        r.lambdaBytes.toLocaleString('en'),
        Number.isNaN(r.rawBytes) ? '–' : r.rawBytes.toLocaleString('en'),
      ]),
    ),
  );
  console.log(
    `\nLargest answer let through: ${largest.lambdaBytes.toLocaleString('en')} bytes as Lambda counts them ` +
      `(${largest.shape}); the ceiling is ${MAX_RESPONSE_BYTES.toLocaleString('en')} (cost limit ${LIMITS.maxCost}).`,
  );
  console.log(
    writeResult('graphql-response', {
      environment: environment(),
      limits: LIMITS,
      ceiling: MAX_RESPONSE_BYTES,
      rows,
    }),
  );
  await server.stop();
  db.client.destroy();
} finally {
  await dynamo.stop();
}
