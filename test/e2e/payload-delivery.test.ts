/**
 * Payload delivery end to end, over HTTP through the local runtime: a BYOD iPhone, an ADDE iPhone and
 * an ADDE Mac enroll into one policy tree (simulated devices, real captures, real signatures); a fake
 * APNs server receives our pushes (HTTP/2, client certificate) and tells each device to connect; each
 * device installs, defers or refuses what it gets, as the test tells it. Every state is checked in
 * GraphQL: INSTALLED, PENDING after NotNow, FAILED with Apple's error chain, UNSUPPORTED never sent,
 * REMOVED after RemoveProfile, and a software-update declaration over declarative management.
 */
import { readFileSync } from 'node:fs';
import { buildPlist } from '@ade/apple';
import { createApnsClient } from '@ade/apple/apns';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { decodeScopedId, encodeScopedId } from '@ade/core';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApns } from '../fakes/apns.ts';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { signDetached } from '../support/device-crypto.ts';
import { type DeviceSimulator, signedEnrollBody } from '../support/device-simulator.ts';
import { enrollDevice, type SimulatedHardware } from '../support/enroll-device.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

let apns: FakeApns;
const core = useTestCore({
  push: () => (certificate) =>
    createApnsClient({ ...certificate, endpoint: apns.url, ca: apns.caPem, retryDelayMs: 10 }),
});
let server: LocalServer;
let f: Awaited<ReturnType<typeof createTenantFixture>>;
let topic: string;
const ids = { corp: '', sales: '', engineering: '' };
const SOFTWARE_UPDATE = 'com.apple.configuration.softwareupdate.enforcement.specific';

async function policy(parentId: string, name: string) {
  return (await asTenant(core(), f, () => core().policies.create({ parentId, name }))).policyId;
}

async function addPayload(policyId: string, payloadType: string, settings: unknown) {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($p: ID!, $t: String!, $s: String!) { addPayload(input: { policyId: $p, payloadType: $t, settings: $s }) { change { payload { id eligibility { platform enrollmentType status reason droppedKeys } } rollout { status } } errors { code path message } } }`,
    { p: encodeScopedId(f.tenantId, policyId), t: payloadType, s: JSON.stringify(settings) },
  );
  expect(data.addPayload.errors).toEqual([]);
  return data.addPayload.change.payload as {
    id: string;
    eligibility: { platform: string; enrollmentType: string; status: string }[];
  };
}

/** A simulated device enrolled into `policyId`, its push token registered at the fake APNs. */
async function enroll(
  type: 'USER' | 'DEVICE',
  policyId: string,
  hardware: SimulatedHardware,
  prepare: (sim: DeviceSimulator) => void = () => {},
) {
  const { sim, deviceId } = await enrollDevice(core(), server.url, f, {
    type,
    policyId,
    hardware,
    topic,
    prepare,
    onPushToken: (token, device) => apns.register(token, (push) => void device.onPush(push)),
  });
  return { sim, deviceId: encodeScopedId(f.tenantId, deviceId) };
}

async function deployments(deviceId: string) {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `query($id: ID!) { node(id: $id) { ... on Device { deployments(first: 50) { nodes { state reason droppedKeys errorChain payload { payloadType } } } } } }`,
    { id: deviceId },
  );
  return Object.fromEntries(
    (
      data.node.deployments.nodes as {
        payload: { payloadType: string } | null;
        state: string;
        reason: string | null;
        errorChain: string | null;
        droppedKeys: string[];
      }[]
    )
      .filter((d) => d.payload)
      .map((d) => [d.payload!.payloadType, d]),
  );
}

async function summary(policyId: string) {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `query($id: ID!) { node(id: $id) { ... on Policy { deploymentSummary { payloadId counts { pending installed failed unsupported removing removed } } } } }`,
    { id: encodeScopedId(f.tenantId, policyId) },
  );
  return data.node.deploymentSummary as { payloadId: string; counts: Record<string, number> }[];
}

describe('payload delivery to a BYOD iPhone, an ADDE iPhone and an ADDE Mac in one tree', () => {
  let iphone: Awaited<ReturnType<typeof enroll>>;
  let addePhone: Awaited<ReturnType<typeof enroll>>;
  let mac: Awaited<ReturnType<typeof enroll>>;
  let restrictions: string;
  let softwareUpdate: string;

  beforeAll(async () => {
    apns = await FakeApns.start();
    f = await createTenantFixture(core(), 'Delivery Org');
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
    ids.corp = await policy(f.rootPolicyId, 'Corp');
    ids.sales = await policy(ids.corp, 'Sales (BYOD)');
    ids.engineering = await policy(ids.corp, 'Engineering (ADDE)');
    const added = await addPayload(ids.corp, 'com.apple.applicationaccess', {
      allowCamera: false,
      allowScreenShot: false,
    });
    restrictions = added.id;
    // Before any device: the catalogue says what BYOD will not take.
    expect(added.eligibility.find((e) => e.platform === 'iOS' && e.enrollmentType === 'BYOD')!.status).toBe(
      'PARTIAL',
    );
    softwareUpdate = (
      await addPayload(ids.corp, SOFTWARE_UPDATE, {
        TargetOSVersion: '18.3',
        TargetLocalDateTime: '2026-12-01T02:00:00',
      })
    ).id;

    iphone = await enroll('USER', ids.sales, {
      body: readFileSync(ENROLL_CAPTURE_PATH),
      family: 'iPhone',
      product: 'iPhone12,1',
      os: '18.1',
      build: '22B83',
    });
    let deferredOnce = false;
    addePhone = await enroll(
      'DEVICE',
      ids.engineering,
      {
        body: signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' }),
        family: 'iPhone',
        product: 'iPhone17,2',
        os: '18.1',
        build: '22B83',
      },
      (sim) => {
        sim.commandPolicy = (c) => {
          if (c.requestType !== 'InstallProfile' || deferredOnce) return 'Acknowledged';
          deferredOnce = true;
          return 'NotNow';
        };
      },
    );
    mac = await enroll(
      'DEVICE',
      ids.engineering,
      {
        body: signedEnrollBody({ PRODUCT: 'Mac15,3', VERSION: '24B83' }),
        family: 'Mac',
        product: 'Mac15,3',
        os: '15.1',
        build: '24B83',
      },
      (sim) => {
        sim.commandPolicy = (c) =>
          c.requestType === 'InstallProfile'
            ? {
                error: [
                  {
                    ErrorCode: 4001,
                    ErrorDomain: 'MCInstallationErrorDomain',
                    USEnglishDescription: 'Profile installation failed.',
                  },
                ],
              }
            : 'Acknowledged';
      },
    );
    // The sessions the enrollment pushes started have ended.
    await Promise.all([iphone, addePhone, mac].map((d) => d.sim.handlePush()));
  });
  afterAll(async () => {
    await server?.close();
    await apns?.close();
  });

  it('pushes over APNs when work is queued, with the topic and the device’s PushMagic', async () => {
    const tokens = new Set(apns.delivered.map((d) => d.token));
    for (const d of [iphone, addePhone, mac]) expect(tokens.has(d.sim.pushToken!)).toBe(true);
    for (const d of apns.delivered) expect(d.topic).toBe(topic);
    for (const d of [iphone, addePhone, mac]) expect(d.sim.pushLog.some((p) => p.accepted)).toBe(true);
  });

  it('BYOD iPhone: installs the restrictions without the keys User Enrollment forbids; the update declaration is UNSUPPORTED and never sent', async () => {
    expect(iphone.sim.installedProfiles.size).toBe(1);
    const states = await deployments(iphone.deviceId);
    expect(states['com.apple.applicationaccess']).toMatchObject({
      state: 'INSTALLED',
      droppedKeys: ['allowCamera'],
    });
    expect(states[SOFTWARE_UPDATE]!.state).toBe('UNSUPPORTED');
    expect(states[SOFTWARE_UPDATE]!.reason).toBeTruthy();
    expect(iphone.sim.commandLog.some((c) => c.requestType === 'DeclarativeManagement')).toBe(false);
    expect(iphone.sim.declarations.size).toBe(0);
  });

  it('ADDE iPhone: NotNow keeps the profile PENDING and offers it again; the declaration becomes INSTALLED over DDM', async () => {
    // The push after TokenUpdate started a session: the profile was deferred there, then offered again.
    const log = addePhone.sim.commandLog.filter((e) => e.requestType === 'InstallProfile');
    expect(log.map((e) => e.status)).toEqual(['NotNow', 'Acknowledged']);
    expect(log[0]!.commandUuid).toBe(log[1]!.commandUuid); // the same command, offered on the next Idle
    const states = await deployments(addePhone.deviceId);
    expect(states['com.apple.applicationaccess']).toMatchObject({ state: 'INSTALLED', droppedKeys: [] });
    expect(states[SOFTWARE_UPDATE]!.state).toBe('INSTALLED');
    const capabilities = await gqlOk(
      core(),
      f.tenantAdminKey,
      `query($a: ID!, $b: ID!, $m: ID!) { a: node(id: $a) { ... on Device { capabilities { scheduledOsUpdates eraseDevice } } } b: node(id: $b) { ... on Device { capabilities { scheduledOsUpdates eraseDevice } } } m: node(id: $m) { ... on Device { capabilities { scheduledOsUpdates eraseDevice } } } }`,
      { a: addePhone.deviceId, b: iphone.deviceId, m: mac.deviceId },
    );
    expect(capabilities.a.capabilities).toEqual({ scheduledOsUpdates: true, eraseDevice: true });
    expect(capabilities.b.capabilities).toEqual({ scheduledOsUpdates: false, eraseDevice: false });
    expect(capabilities.m.capabilities.scheduledOsUpdates).toBe(false);
    const held = [...addePhone.sim.declarations.values()].find((d) => d.type === SOFTWARE_UPDATE);
    expect(held?.payload).toMatchObject({ TargetOSVersion: '18.3' });
  });

  it('ADDE Mac: an Error answer is FAILED with the error chain; the update declaration is UNSUPPORTED (supervised only on macOS)', async () => {
    const states = await deployments(mac.deviceId);
    expect(states['com.apple.applicationaccess']!.state).toBe('FAILED');
    expect(states['com.apple.applicationaccess']!.reason).toContain('MCInstallationErrorDomain 4001');
    expect(JSON.parse(states['com.apple.applicationaccess']!.errorChain!)[0]).toMatchObject({
      ErrorCode: 4001,
    });
    expect(states[SOFTWARE_UPDATE]!.state).toBe('UNSUPPORTED');
    expect(states[SOFTWARE_UPDATE]!.reason).toMatch(/supervised/i);
    expect(mac.sim.commandLog.some((c) => c.requestType === 'DeclarativeManagement')).toBe(false);
  });

  it('a changed declaration is synced again; one the device rejects is FAILED with its reason', async () => {
    addePhone.sim.ddm.unsupportedTypes.add(SOFTWARE_UPDATE);
    const data = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!, $s: String!) { updatePayload(input: { id: $id, settings: $s }) { change { payload { version } } errors { code message } } }`,
      {
        id: softwareUpdate,
        s: JSON.stringify({ TargetOSVersion: '18.4', TargetLocalDateTime: '2026-12-08T02:00:00' }),
      },
    );
    expect(data.updatePayload.change.payload.version).toBe(2);
    await addePhone.sim.handlePush(); // the push the rollout sent may have started it already
    const states = await deployments(addePhone.deviceId);
    expect(states[SOFTWARE_UPDATE]!.state).toBe('FAILED');
    expect(states[SOFTWARE_UPDATE]!.reason).toMatch(/ConfigurationNotSupported/);
    expect((await deployments(iphone.deviceId))[SOFTWARE_UPDATE]!.state).toBe('UNSUPPORTED');
  });

  it('a repeated result changes nothing twice', async () => {
    const settled = mac.sim.commandLog.find((c) => c.requestType === 'InstallProfile')!;
    const before = await summary(ids.corp);
    const body = Buffer.from(
      buildPlist({
        ...(mac.sim.ids as Record<string, string>),
        CommandUUID: settled.commandUuid,
        Status: 'Acknowledged',
      }),
    );
    const url = new URL(mac.sim.profile!.mdm.ServerURL as string);
    const response = await fetch(`${server.url}${url.pathname}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/x-apple-aspen-mdm',
        'mdm-signature': signDetached(body, mac.sim.profile!.identity),
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(await summary(ids.corp)).toEqual(before);
    expect((await deployments(mac.deviceId))['com.apple.applicationaccess']!.state).toBe('FAILED');
  });

  it('counts every state per policy × payload, and removal ends in REMOVED on the devices that had it', async () => {
    const counts = Object.fromEntries((await summary(ids.corp)).map((s) => [s.payloadId, s.counts]));
    expect(counts[restrictions]).toMatchObject({ installed: 2, failed: 1, pending: 0 });
    expect(counts[softwareUpdate]).toMatchObject({ installed: 0, failed: 1, unsupported: 2, pending: 0 });

    await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!) { removePayload(input: { id: $id }) { errors { code } } }`,
      { id: restrictions },
    );
    await Promise.all([iphone, addePhone, mac].map((d) => d.sim.connect()));
    expect(iphone.sim.installedProfiles.size).toBe(0);
    expect(addePhone.sim.installedProfiles.size).toBe(0);
    const after = Object.fromEntries((await summary(ids.corp)).map((s) => [s.payloadId, s.counts]));
    // The Mac never had it installed: its RemoveProfile is answered with an error (not installed).
    expect(after[restrictions]).toMatchObject({ removed: 2, installed: 0, pending: 0 });
  });

  it('records on the device a token APNs refuses for good (Unregistered), and keeps its queue', async () => {
    const gone = new Date('2026-11-20T10:00:00Z');
    apns.unregister(iphone.sim.pushToken!, gone);
    const before = apns.requests.length;
    await addPayload(ids.corp, 'com.apple.applicationaccess', { allowScreenShot: true });
    expect(apns.requests.length).toBeGreaterThan(before); // a push was attempted
    const stored = (
      await core()
        .service.entities.device.get({
          tenantId: f.tenantId,
          deviceId: decodeScopedId('device', iphone.deviceId).id,
        })
        .go()
    ).data!;
    expect(stored.pushError).toBe('Unregistered');
    expect(stored.pushErrorAt).toBe(gone.toISOString());
  });
});
