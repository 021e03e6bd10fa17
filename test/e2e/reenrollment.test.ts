/**
 * Re-enrollment over HTTP through the local runtime (docs/protocol/mdm.md#re-enrollment): an ADDE
 * iPhone that enrolls again with the same UDID, without a CheckOut in between, replaces its old
 * record — one ENROLLED record, the old identity refused like a checked-out one, the old record's
 * deployments no longer counted, a `device.replace` audit event — while an Authenticate repeated by
 * the same enrollment, or a re-enrollment after a CheckOut, replaces nothing. BYOD enrollments stay
 * separate records. Simulated devices with real signatures; a fake APNs wakes them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createApnsClient } from '@ade/apple/apns';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { encodeScopedId } from '@ade/core';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApns } from '../fakes/apns.ts';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { signedEnrollBody } from '../support/device-simulator.ts';
import { enrollDevice } from '../support/enroll-device.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

let apns: FakeApns;
const core = useTestCore({
  push: () => (certificate) =>
    createApnsClient({ ...certificate, endpoint: apns.url, ca: apns.caPem, retryDelayMs: 10 }),
});
let server: LocalServer;
let f: TenantFixture;
let topic: string;
let phones: string;
let restrictions: string;

const IPHONE = {
  body: signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' }),
  family: 'iPhone' as const,
  product: 'iPhone17,2',
  os: '18.1',
  build: '22B83',
};

/** An ADDE iPhone enrolled into the phones policy with `udid`, woken by the fake APNs, its first session done. */
async function enrollPhone(udid: string) {
  const enrolled = await enrollDevice(core(), server.url, f, {
    type: 'DEVICE',
    policyId: phones,
    hardware: IPHONE,
    topic,
    udid,
    onPushToken: (token, device) => apns.register(token, (push) => void device.onPush(push)),
  });
  await enrolled.sim.handlePush();
  return { ...enrolled, id: encodeScopedId(f.tenantId, enrolled.deviceId) };
}

async function addPayload(policyId: string, payloadType: string, settings: unknown): Promise<string> {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($p: ID!, $t: String!, $s: String!) { addPayload(input: { policyId: $p, payloadType: $t, settings: $s }) { change { payload { id } } errors { code path message } } }`,
    { p: encodeScopedId(f.tenantId, policyId), t: payloadType, s: JSON.stringify(settings) },
  );
  expect(data.addPayload.errors).toEqual([]);
  return data.addPayload.change.payload.id;
}

/** Per payload id, the policy's counters (deploymentSummary). */
async function counts(policyId: string): Promise<Record<string, Record<string, number>>> {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `query($id: ID!) { node(id: $id) { ... on Policy { deploymentSummary { payloadId counts { pending installed failed unsupported removing removed } } } } }`,
    { id: encodeScopedId(f.tenantId, policyId) },
  );
  return Object.fromEntries(
    (data.node.deploymentSummary as { payloadId: string; counts: Record<string, number> }[]).map((s) => [
      s.payloadId,
      s.counts,
    ]),
  );
}

interface ListedDevice {
  id: string;
  status: string;
  udid: string | null;
  managedAppleId: string;
  unenrolledAt: string | null;
  replacedBy: { id: string } | null;
  deployments: { nodes: { state: string; reason: string | null }[] };
}

async function devicesOf(policyId: string): Promise<ListedDevice[]> {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `query($t: ID!, $p: ID!) { tenant(id: $t) { devices(first: 50, filter: { policyId: $p }) { nodes { id status udid managedAppleId unenrolledAt replacedBy { id } deployments(first: 10) { nodes { state reason } } } } } }`,
    { t: f.tenantId, p: encodeScopedId(f.tenantId, policyId) },
  );
  return data.tenant.devices.nodes;
}

async function replaceEvents() {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `query($t: ID!) { tenant(id: $t) { auditEvents(first: 50, filter: { action: "device.replace" }) { nodes { action outcome targetType targetId reason details actorId } } } }`,
    { t: f.tenantId },
  );
  return data.tenant.auditEvents.nodes as {
    targetId: string;
    reason: string;
    outcome: string;
    targetType: string;
    actorId: string;
    details: Record<string, string>;
  }[];
}

async function newPolicy(name: string): Promise<string> {
  return (await asTenant(core(), f, () => core().policies.create({ parentId: f.rootPolicyId, name })))
    .policyId;
}

describe('re-enrollment', () => {
  beforeAll(async () => {
    apns = await FakeApns.start();
    f = await createTenantFixture(core(), 'Re-enrollment Org');
    const handlers = localHandlers(core(), await wireDeviceCore(core()));
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
    const push = apns.issuePushCertificate();
    topic = push.topic;
    await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($t: ID!, $c: String!, $k: String!) { uploadPushCertificate(input: { tenantId: $t, certificatePem: $c, privateKeyPem: $k }) { errors { code message } } }`,
      { t: f.tenantId, c: push.certificatePem, k: push.privateKeyPem },
    );
    phones = await newPolicy('Phones (ADDE)');
    restrictions = await addPayload(phones, 'com.apple.applicationaccess', { allowCamera: false });
  });
  afterAll(async () => {
    await server?.close();
    await apns?.close();
  });

  it('ADDE, same UDID without a CheckOut: the new enrollment replaces the old record', async () => {
    const udid = randomUUID().toUpperCase();
    const first = await enrollPhone(udid);
    expect((await counts(phones))[restrictions]).toMatchObject({ installed: 1, removed: 0 });

    const second = await enrollPhone(udid);

    // One ENROLLED record for the UDID: the new one. The old one is unenrolled and says by which.
    const listed = await devicesOf(phones);
    const forUdid = listed.filter((d) => d.udid === udid);
    expect(forUdid.filter((d) => d.status === 'ENROLLED').map((d) => d.id)).toEqual([second.id]);
    const old = forUdid.find((d) => d.id === first.id)!;
    expect(old).toMatchObject({ status: 'UNENROLLED', replacedBy: { id: second.id } });
    expect(old.unenrolledAt).toBeTruthy();
    expect(old.deployments.nodes).toEqual([
      { state: 'REMOVED', reason: expect.stringMatching(/enrolled again with the same UDID/) },
    ]);

    // The old identity gets what a checked-out device gets, on check-in and on the command channel.
    const checkIn = await first.sim.checkIn({ MessageType: 'Authenticate', Topic: topic, UDID: udid });
    expect(checkIn.status).toBe(403);
    expect(JSON.parse(checkIn.body).code).toBe('com.apple.unrecognized.device');
    const session = await first.sim.connect();
    expect(session.status).toBe(403);
    expect(JSON.parse(session.body).code).toBe('com.apple.unrecognized.device');
    expect((await second.sim.connect()).status).toBe(200);

    // The counters moved: the old record's installation is REMOVED, the new one's INSTALLED.
    expect((await counts(phones))[restrictions]).toMatchObject({ installed: 1, pending: 0, removed: 1 });
    // And a payload added afterwards reaches, and counts, the iPhone once.
    const webClip = await addPayload(phones, 'com.apple.webClip.managed', {
      URL: 'https://help.example',
      Label: 'Help',
    });
    await second.sim.handlePush();
    const after = (await counts(phones))[webClip]!;
    expect(Object.values(after).reduce((a, b) => a + b, 0)).toBe(1);
    expect(after.installed).toBe(1);

    // The audit trail says what happened, why, and names both records.
    const events = await replaceEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: 'SUCCESS',
      targetType: 'Device',
      targetId: first.deviceId,
      reason: expect.stringMatching(/same UDID/),
      actorId: `device:${second.user}`,
      details: { replacedBy: second.deviceId, managedAppleId: first.user, newManagedAppleId: second.user },
    });
  });

  it('an Authenticate repeated by the same enrollment, or a re-enrollment after a CheckOut, replaces nothing', async () => {
    const udid = randomUUID().toUpperCase();
    const before = (await replaceEvents()).length;
    const ofUdid = async () => (await devicesOf(phones)).filter((d) => d.udid === udid);
    const first = await enrollPhone(udid);
    core().db.requests.reset();
    const again = await first.sim.checkIn({ MessageType: 'Authenticate', Topic: topic, UDID: udid });
    expect(again.status).toBe(200);
    // The UDID's claim rides in the Authenticate's transaction: still one read and one write.
    expect(core().db.requests.total()).toBeLessThanOrEqual(2);
    expect((await ofUdid()).map((d) => d.status)).toEqual(['ENROLLED']);

    expect((await first.sim.checkIn({ MessageType: 'CheckOut', Topic: topic, UDID: udid })).status).toBe(200);
    const second = await enrollPhone(udid);
    const listed = await ofUdid();
    expect(listed.find((d) => d.id === second.id)!.status).toBe('ENROLLED');
    expect(listed.find((d) => d.id === first.id)).toMatchObject({ status: 'UNENROLLED', replacedBy: null });
    expect(await replaceEvents()).toHaveLength(before);
  });

  it('BYOD: each enrollment of one person is a record of its own; the old one ends with its CheckOut', async () => {
    const policyId = await newPolicy('BYOD');
    const byod = () =>
      enrollDevice(core(), server.url, f, {
        type: 'USER',
        policyId,
        hardware: {
          body: readFileSync(ENROLL_CAPTURE_PATH),
          family: 'iPhone',
          product: 'iPhone12,1',
          os: '18.1',
          build: '22B83',
        },
        topic,
        person: 'carol',
      });
    const one = await byod();
    const two = await byod();
    expect(one.user).toBe(two.user);
    expect(one.deviceId).not.toBe(two.deviceId);
    const status = async () => Object.fromEntries((await devicesOf(policyId)).map((d) => [d.id, d.status]));
    const [oneId, twoId] = [one, two].map((d) => encodeScopedId(f.tenantId, d.deviceId));
    expect(await status()).toEqual({ [oneId!]: 'ENROLLED', [twoId!]: 'ENROLLED' });
    expect((await one.sim.checkIn({ MessageType: 'CheckOut', Topic: topic, ...one.sim.ids })).status).toBe(
      200,
    );
    expect(await status()).toEqual({ [oneId!]: 'UNENROLLED', [twoId!]: 'ENROLLED' });
  });
});
