/**
 * Service discovery end to end: the route through the local runtime (API Gateway v2 events → the
 * discovery Lambda handler) against DynamoDB Local, and the customer's Cloudflare Worker in real
 * workerd forwarding to that same route — both must give a device the same answer.
 */
import { type DeviceCore, discoveryUrl } from '@ade/core';
import { createDiscoveryHandler } from '@ade/functions/discovery';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL, useTestCore } from '../support/core.ts';
import { wireDeviceCore } from '../support/handlers.ts';
import { compareWorkerWithDirect, disposeWorkers } from '../worker/harness.ts';

const core = useTestCore();
let server: LocalServer;
let device: DeviceCore;
let discoveryId: string;
let configurationId: string;
let tenant: Awaited<ReturnType<typeof createTenantFixture>>;
const domain = `disco-${Math.random().toString(36).slice(2, 8)}.example`;

describe('service discovery through the local runtime', () => {
  beforeAll(async () => {
    tenant = await createTenantFixture(core(), 'Discovery');
    const { item } = await asTenant(core(), tenant, () =>
      core().adeConfigurations.set({
        policyId: tenant.rootPolicyId,
        enrollmentType: 'USER',
        domains: [domain],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
        enabled: true,
      }),
    );
    discoveryId = item.discoveryId;
    configurationId = item.configurationId;
    device = await wireDeviceCore(core()); // as in Lambda: the device core on the wire client
    const discovery = createDiscoveryHandler(device);
    server = await startLocalServer({ loadHandler: async () => discovery });
  });
  afterAll(async () => {
    await disposeWorkers();
    await server?.close();
  });

  const get = (query: string, id = discoveryId) =>
    fetch(`${server.url}/mdm/enrollment/servicediscovery/${id}?${query}`);

  it('answers one server with an absolute https BaseURL, reading at most once', async () => {
    device.discovery.clearCache();
    await device.discovery.flushAudit();
    core().db.requests.reset();
    const response = await get(`user-identifier=alice%40${domain}&model-family=iPhone`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      Servers: [
        {
          Version: 'mdm-byod',
          BaseURL: `${TEST_PUBLIC_URL}/mdm/enrollment/servicediscovery/${discoveryId}/userenroll`,
        },
      ],
    });
    expect(core().db.requests.total()).toBe(1);
    core().db.requests.reset();
    expect((await get(`user-identifier=bob%40${domain}&model-family=Mac`)).status).toBe(200);
    expect(core().db.requests.total()).toBe(0); // cached
  });

  it("refuses with Apple's well-known.failed and a message a person can act on", async () => {
    const cases = [
      `user-identifier=alice%40elsewhere.example&model-family=iPhone`,
      `user-identifier=alice%40${domain}&model-family=AppleTV`,
    ];
    for (const query of cases) {
      const response = await get(query);
      expect(response.status).toBe(403);
      const body = (await response.json()) as { code: string; message: string };
      expect(body.code).toBe('com.apple.well-known.failed');
      expect(body.message.length).toBeGreaterThan(20);
    }
    await device.discovery.flushAudit();
    core().db.requests.reset();
    const malformed = await get(
      `user-identifier=alice%40${domain}&model-family=iPhone`,
      'not-a-discovery-id',
    );
    expect(malformed.status).toBe(403);
    expect(core().db.requests.total()).toBe(0); // cannot be one of ours: no read
    const unknown = await get(
      `user-identifier=alice%40${domain}&model-family=iPhone`,
      `${discoveryId.slice(0, 52)}${'0'.repeat(26)}`,
    );
    expect(unknown.status).toBe(403); // right tenant and configuration, wrong secret part
    const forged = await get(
      `user-identifier=alice%40${domain}&model-family=iPhone`,
      `${'1'.repeat(26)}${discoveryId.slice(26)}`,
    );
    expect(forged.status).toBe(403);
  });

  it('audits answers and refusals per person, repeats counted, 25 to a BatchWriteItem and no read', async () => {
    await device.discovery.flushAudit();
    const person = `audit-${Math.random().toString(36).slice(2, 8)}@${domain}`;
    core().db.requests.reset();
    for (let i = 0; i < 24; i++)
      await get(`user-identifier=${encodeURIComponent(person)}&model-family=${i % 2 ? 'iPhone' : 'AppleTV'}`);
    expect(device.discovery.auditStats().pending).toBe(2); // one answer, one refusal, each counted
    expect(core().db.requests.byCommand).toEqual({}); // cached answers, events still waiting
    await device.discovery.flushAudit();
    expect(core().db.requests.byCommand).toEqual({ BatchWriteItemCommand: 1 });

    const events = await asTenant(core(), tenant, () =>
      core().audit.listForTenant({ first: 50 }, { managedAppleId: person }),
    );
    const discovery = events.items.filter((e) => e.action === 'enrollment.discovery');
    expect(discovery).toHaveLength(2);
    const answered = discovery.find((e) => e.outcome === 'SUCCESS')!;
    expect(answered.details).toMatchObject({ modelFamily: 'iPhone', version: 'mdm-byod', count: 12 });
    const refused = discovery.find((e) => e.outcome === 'FAILURE')!;
    expect(refused.reason).toMatch(/^MODEL_FAMILY_NOT_ALLOWED: /);
    expect(refused.details).toMatchObject({ modelFamily: 'AppleTV', count: 12 });
    expect(discovery.every((e) => e.targetId === configurationId)).toBe(true);

    // 25 distinct events fill a batch: the request that completes it writes it, before answering.
    core().db.requests.reset();
    for (let i = 0; i < 25; i++)
      await get(`user-identifier=${encodeURIComponent(`p${i}-${person}`)}&model-family=iPhone`);
    expect(core().db.requests.byCommand).toEqual({ BatchWriteItemCommand: 1 });
    expect(device.discovery.auditStats()).toEqual({ pending: 0, dropped: 0 });
  });

  it('sees a disabled configuration once the cache entry expires (cleared here)', async () => {
    await asTenant(core(), tenant, () => core().adeConfigurations.setEnabled(configurationId, false));
    device.discovery.clearCache();
    expect((await get(`user-identifier=alice%40${domain}&model-family=iPhone`)).status).toBe(403);
    await asTenant(core(), tenant, () => core().adeConfigurations.setEnabled(configurationId, true));
    device.discovery.clearCache();
  });

  it("gives the same answer through the customer's Cloudflare Worker (real workerd)", async () => {
    const url = discoveryUrl(server.url, discoveryId);
    const queries = [
      `user-identifier=alice%40${domain}&model-family=iPhone`,
      `user-identifier=alice+work%40${domain}&model-family=iPad`,
      `model-family=Mac&user-identifier=ALICE%40${domain.toUpperCase()}`,
      `user-identifier=alice%40other.example&model-family=iPhone`,
      `user-identifier=alice%40${domain}&model-family=Watch`,
    ];
    for (const query of queries) {
      const { worker, direct } = await compareWorkerWithDirect(url, query);
      expect(worker, query).toEqual(direct);
    }
    const { direct } = await compareWorkerWithDirect(url, queries[0]!);
    expect(direct.status).toBe(200);
  });
});
