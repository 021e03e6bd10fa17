/**
 * `pnpm dev` survives its database: a local server over a supervised DynamoDB Local of its own (not
 * the test run's shared one), persistent in a temporary folder. Its Java process is killed under
 * the running server; while it is down (the supervisor's restart is held back, so nothing here
 * races it), device routes answer 503 with Retry-After and GraphQL SERVICE_UNAVAILABLE. Then the
 * supervisor brings it back on the same port with the same data folder: the tenant, its key and its
 * ADE configuration made before are all still there, and the same requests succeed again.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Core, createCore, createDatabase, type DeviceCore } from '@ade/core';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import { type SupervisedDynamoLocal, superviseDynamoLocal } from '@ade/local/dynamodb-supervisor';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL, type TenantFixture } from '../support/core.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'ade-dev-db-'));
const dbPath = join(dataDir, 'dynamodb');
const domain = 'survivor.example';
const lines: string[] = [];
const gaveUp: string[] = [];
const waits: number[] = [];
let release: () => void = () => {};
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let dynamo: SupervisedDynamoLocal;
let core: Core;
let device: DeviceCore;
let server: LocalServer;
let tenant: TenantFixture;
let discoveryId: string;

/** The Java process under the supervisor's current watchdog, and the arguments it runs with. */
function java(): { pid: number; args: string } {
  const pid = Number(
    execFileSync('pgrep', ['-P', String(dynamo.pid()), 'java'])
      .toString()
      .trim(),
  );
  return { pid, args: execFileSync('ps', ['-o', 'args=', '-p', String(pid)]).toString() };
}

beforeAll(async () => {
  dynamo = await superviseDynamoLocal({
    dbPath,
    log: (line) => lines.push(line),
    onGiveUp: (message) => gaveUp.push(message),
    // The first restart waits for the test to release it (the others would not happen here).
    wait: async (ms) => {
      waits.push(ms);
      await held;
    },
  });
  const db = createDatabase({ tableName: 'ade-local', endpoint: dynamo.endpoint });
  await ensureTable(db.client, db.tableName);
  core = createCore(db, {
    keys: ephemeralKeyManagement(),
    tokenSigner: hmacTokenSigner(randomBytes(32)),
    publicUrl: TEST_PUBLIC_URL,
  });
  tenant = await createTenantFixture(core, 'Survivor');
  ({ discoveryId } = (
    await asTenant(core, tenant, () =>
      core.adeConfigurations.set({
        policyId: tenant.rootPolicyId,
        enrollmentType: 'USER',
        domains: [domain],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
        enabled: true,
      }),
    )
  ).item);
  device = await wireDeviceCore(core); // as in Lambda: the device functions on the wire client
  const handlers = localHandlers(core, device);
  server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
}, 120_000);

afterAll(async () => {
  release();
  await server?.close();
  core?.db.client.destroy();
  await dynamo?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const discover = () => {
  device.discovery.clearCache(); // a cached answer would not need the database
  return fetch(
    `${server.url}/mdm/enrollment/servicediscovery/${discoveryId}?user-identifier=alice%40${domain}&model-family=iPhone`,
  );
};
const enroll = () =>
  fetch(`${server.url}/mdm/enrollment/servicediscovery/${discoveryId}/userenroll`, {
    method: 'POST',
    body: 'not a signed request',
  });
const tenantName = () =>
  fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.tenantAdminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ viewer { tenant { name } } }' }),
  });

describe('pnpm dev when DynamoDB Local dies', () => {
  it('answers 503 with Retry-After while it is down, then restarts it with the same port and data', async () => {
    expect((await discover()).status).toBe(200);
    expect((await tenantName()).status).toBe(200);
    const before = java();
    expect(before.args).toContain(`-dbPath ${dbPath}`);
    expect(before.args).toContain(`-port ${dynamo.port}`);

    const down = once(dynamo.events, 'down');
    process.kill(before.pid, 'SIGKILL');
    expect(await down).toEqual(['killed by SIGKILL']);

    // Down, and the restart held back: every route that needs the database says "retry later".
    for (const response of [await discover(), await enroll()]) {
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const unavailable = await tenantName();
    expect(unavailable.status).toBe(503);
    expect(Number(unavailable.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await unavailable.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(waits).toEqual([1_000]);
    expect(lines).toEqual([
      `DynamoDB Local stopped (killed by SIGKILL). Restarting it on port ${dynamo.port} with the data in ${dbPath} in 1 s (attempt 1 of 5); until it is back, device routes answer 503 with Retry-After and GraphQL SERVICE_UNAVAILABLE.`,
    ]);

    const up = once(dynamo.events, 'up');
    release();
    await up;
    expect(lines[1]).toMatch(
      new RegExp(`^DynamoDB Local is back on port ${dynamo.port} with the data in ${dbPath} \\(started in `),
    );
    const after = java();
    expect(after.pid).not.toBe(before.pid);
    expect(after.args).toContain(`-dbPath ${dbPath}`);
    expect(after.args).toContain(`-port ${dynamo.port}`);

    // The same requests succeed: the tenant, its key and the configuration were kept.
    const answer = await discover();
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { Servers: { Version: string }[] }).Servers[0]!.Version).toBe(
      'mdm-byod',
    );
    const named = await tenantName();
    expect(named.status).toBe(200);
    expect(await named.json()).toEqual({ data: { viewer: { tenant: { name: 'Survivor' } } } });
    expect((await enroll()).status).toBe(400); // past the database: the body is not a signed request
    expect(gaveUp).toEqual([]);
  }, 120_000);
});
