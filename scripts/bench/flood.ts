/**
 * `pnpm bench:flood`: what a flood of unauthenticated requests writes to the table (issue 13 item 5),
 * and what discovery and the sign-in page cost a person meanwhile. The local runtime with every
 * route's real handler (the device functions on the wire client, as in Lambda) over DynamoDB Local in
 * memory; the client runs in this process (`--concurrency` requests in flight, keep-alive fetch).
 *
 * Phases, `--requests` (5,000) each:
 * 1. discovery with bad ids (random 52-character ids, random text): answered without a write;
 * 2. discovery of a real configuration with ever new identifiers (half in its domain, half not);
 * 3. enrollment POSTs: random bodies (refused), the real device capture without a token (a
 *    challenge: a sign-in session) and with a forged token (refused, then a challenge), in turn;
 * 4. sign-in POSTs: identifiers outside the configuration's domains on a real session (with its CSRF
 *    token), and posts to random session ids.
 * After each phase the audit buffers are flushed and the table scanned: items and bytes added (bytes
 * by DynamoDB's item-size rules: attribute names plus values), extrapolated per million requests,
 * and the DynamoDB requests made. Then, at rest, `--samples` (500) discovery answers and sign-in
 * pages one at a time: p50/p95 in ms.
 *
 * Options: --requests N (5000), --concurrency N (8), --samples N (500).
 * Result: .artifacts/bench/flood.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { type Actor, type Core, createCore, createDatabase, type DeviceCore, runAs } from '@ade/core';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import { type DynamoLocal, startDynamoLocal } from '@ade/local/dynamodb-local';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { localHandlers, wireDeviceCore } from '../../test/support/handlers.ts';
import {
  environment,
  round,
  runWithDeadline,
  summarize,
  table,
  wholeNumberOption,
  writeResult,
} from './common.ts';

const TABLE_NAME = 'ade-bench-flood';
const PUBLIC_URL = 'https://mdm.bench.example';
const DEADLINE_MS = 20 * 60_000;
const system: Actor = { kind: 'system', role: 'ADMIN', name: 'bench' };

const config = {
  requests: wholeNumberOption('requests', 5_000),
  concurrency: wholeNumberOption('concurrency', 8),
  samples: wholeNumberOption('samples', 500),
};

// ---------------------------------------------------------------- the table's size

/** An attribute value's size by DynamoDB's rules (names and values; numbers ~1 byte per 2 digits). */
function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M) return 3 + itemSize(value.M) + Object.keys(value.M).length;
  if (value.SS) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + n.length, 0);
  return 0;
}

function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + valueSize(v), 0);
}

interface TableState {
  items: number;
  bytes: number;
  /** Items and bytes per entity (ElectroDB's `__edb_e__`). */
  byEntity: Record<string, { items: number; bytes: number }>;
}

async function scan(core: Core): Promise<TableState> {
  const state: TableState = { items: 0, bytes: 0, byEntity: {} };
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await core.db.client.send(new ScanCommand({ TableName: TABLE_NAME, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      const bytes = itemSize(item);
      state.items++;
      state.bytes += bytes;
      const name = item.__edb_e__?.S ?? 'other';
      const entity = state.byEntity[name] ?? { items: 0, bytes: 0 };
      state.byEntity[name] = entity;
      entity.items++;
      entity.bytes += bytes;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return state;
}

// ---------------------------------------------------------------- load

/** Runs `total` requests made by `make(i)`, `concurrency` at a time; counts answers by status. */
async function flood(total: number, make: (i: number) => Promise<Response>): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const response = await make(i);
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  return statuses;
}

async function timeEach(samples: number, make: () => Promise<Response>, expected: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const response = await make();
    await response.arrayBuffer();
    ms.push(performance.now() - started);
    if (response.status !== expected) throw new Error(`expected ${expected}, got ${response.status}`);
  }
  return ms;
}

const randomId = (length: number) =>
  Array.from(randomBytes(length), (b) => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[b % 32]).join('');

// ---------------------------------------------------------------- main

async function main() {
  const env = environment();
  let dynamo: DynamoLocal | undefined;
  let server: LocalServer | undefined;
  let core: Core | undefined;
  try {
    console.log('Starting DynamoDB Local and the local runtime…');
    dynamo = await startDynamoLocal();
    const db = createDatabase({ tableName: TABLE_NAME, endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    core = createCore(db, {
      keys: ephemeralKeyManagement(),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: PUBLIC_URL,
    });
    const c = core;
    const device: DeviceCore = await wireDeviceCore(c);
    const handlers = localHandlers(c, device);
    server = await startLocalServer({ host: '127.0.0.1', port: 0, loadHandler: async (n) => handlers[n] });
    const url = server.url;

    const domain = 'flood.bench.example';
    const { discoveryId } = await runAs(system, async () => {
      const { partner } = await c.partners.create({ name: 'Flood MSP', firstKeyName: null });
      const tenant = await c.tenants.create({ name: 'Flood' }, partner.partnerId);
      const { item } = await c.tenancy.inTenant(tenant.tenantId, () =>
        c.adeConfigurations.set({
          policyId: tenant.rootPolicyId,
          enrollmentType: 'USER',
          domains: [domain],
          authMethod: 'MANAGED_APPLE_ACCOUNT',
          enabled: true,
        }),
      );
      return item;
    });
    const base = `${url}/mdm/enrollment/servicediscovery/${discoveryId}`;
    const capture = readFileSync(ENROLL_CAPTURE_PATH);
    const enroll = (body: Buffer, headers: Record<string, string> = {}) =>
      fetch(`${base}/userenroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/pkcs7-signature', ...headers },
        body,
      });
    /** A fresh sign-in session: its page's address, CSRF token and cookie. */
    const signIn = async () => {
      const challenge = await enroll(capture);
      const page = new URL(/url="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')![1]!)
        .pathname;
      const response = await fetch(`${url}${page}`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(await response.text())![1]!;
      const cookie = response.headers
        .getSetCookie()
        .find((c) => c.startsWith('ade_csrf='))!
        .split(';')[0]!;
      return { page: `${url}${page}`, csrf, cookie };
    };

    const phases: {
      name: string;
      run: (n: number) => Promise<Record<string, number>>;
    }[] = [
      {
        name: 'discovery, bad ids',
        run: (n) =>
          flood(n, (i) =>
            fetch(
              `${url}/mdm/enrollment/servicediscovery/${i % 2 ? randomId(52) : randomBytes(8).toString('hex')}` +
                `?user-identifier=x${i}%40${domain}&model-family=iPhone`,
            ),
          ),
      },
      {
        name: 'discovery, new identifiers',
        run: (n) =>
          flood(n, (i) =>
            fetch(
              `${base}?user-identifier=${randomBytes(6).toString('hex')}%40${i % 2 ? domain : 'elsewhere.example'}` +
                '&model-family=iPhone',
            ),
          ),
      },
      {
        name: 'enroll POSTs',
        run: (n) =>
          flood(n, (i) =>
            i % 3 === 0
              ? enroll(randomBytes(64 + (i % 512)))
              : i % 3 === 1
                ? enroll(capture)
                : enroll(capture, { authorization: `Bearer ${randomBytes(24).toString('base64url')}` }),
          ),
      },
      {
        name: 'sign-in POSTs',
        run: async (n) => {
          const session = await signIn();
          return flood(n, (i) =>
            fetch(
              i % 2
                ? session.page
                : `${url}/mdm/enrollment/servicediscovery/${discoveryId}/auth/${randomBytes(16).toString('hex')}`,
              {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
                body: new URLSearchParams({
                  csrf: session.csrf,
                  'user-identifier': `${randomBytes(6).toString('hex')}@elsewhere.example`,
                }).toString(),
              },
            ),
          );
        },
      },
    ];

    const flush = () => Promise.all([device.discovery.flushAudit(), device.enrollment.flushAudit()]);
    const results = [];
    for (const phase of phases) {
      await flush();
      const before = await scan(c);
      c.db.requests.reset();
      const started = performance.now();
      const statuses = await phase.run(config.requests);
      const seconds = (performance.now() - started) / 1000;
      await flush();
      const dynamodbRequests = { ...c.db.requests.byCommand };
      const after = await scan(c);
      const items = after.items - before.items;
      const bytes = after.bytes - before.bytes;
      const byEntity = Object.fromEntries(
        Object.entries(after.byEntity)
          .map(
            ([entity, { items, bytes }]) =>
              [
                entity,
                {
                  items: items - (before.byEntity[entity]?.items ?? 0),
                  bytes: bytes - (before.byEntity[entity]?.bytes ?? 0),
                },
              ] as const,
          )
          .filter(([, added]) => added.items !== 0),
      );
      results.push({
        phase: phase.name,
        requests: config.requests,
        statuses,
        requestsPerSecond: round(config.requests / seconds),
        itemsAdded: items,
        bytesAdded: bytes,
        byEntity,
        perMillion: {
          items: Math.round((items / config.requests) * 1e6),
          bytes: Math.round((bytes / config.requests) * 1e6),
        },
        dynamodbRequests,
      });
      console.log(`${phase.name}: ${JSON.stringify(statuses)}, ${items} items, ${bytes} bytes`);
    }

    // ---------------------------------------------------------- latency at rest
    const session = await signIn();
    const discoveryMs = await timeEach(
      config.samples,
      () => fetch(`${base}?user-identifier=alice%40${domain}&model-family=iPhone`),
      200,
    );
    const pageMs = await timeEach(config.samples, () => fetch(session.page), 200);
    await flush();
    const latency = {
      discovery: summarize(discoveryMs),
      signInPage: summarize(pageMs),
    };

    console.log(
      `\n${table(
        [
          'Phase',
          'Requests',
          'Items added',
          'Bytes added',
          'Items / million',
          'MB / million',
          'Added by entity',
        ],
        results.map((r) => [
          r.phase,
          r.requests,
          r.itemsAdded,
          r.bytesAdded,
          r.perMillion.items,
          round(r.perMillion.bytes / 1e6, 1),
          Object.entries(r.byEntity)
            .map(([e, added]) => `${e} ${added.items} (${added.bytes} B)`)
            .join(', '),
        ]),
      )}`,
    );
    console.log(
      `\n${table(
        ['At rest, one at a time', 'n', 'p50 ms', 'p95 ms'],
        Object.entries(latency).map(([name, s]) => [name, s.n, round(s.p50, 2), round(s.p95, 2)]),
      )}`,
    );
    const file = writeResult('flood', { env, config, phases: results, latency });
    console.log(`\n${file}`);
  } finally {
    await server?.close();
    core?.db.client.destroy();
    await dynamo?.stop();
  }
}

await runWithDeadline('bench:flood', DEADLINE_MS, main);
