/**
 * Whole enrollments with the device simulator over HTTP through the local runtime, every route
 * served by its real handler: a BYOD iPhone (the real capture) and an ADDE Mac, from discovery to
 * check-ins, then unenrollment from GraphQL.
 */
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { makePushCertificate } from '../support/apple.ts';
import { createTenantFixture, TEST_PUBLIC_URL, type TenantFixture, useTestCore } from '../support/core.ts';
import { DeviceSimulator, signedEnrollBody } from '../support/device-simulator.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

const core = useTestCore();
let server: LocalServer;
let f: TenantFixture;
let topic: string;

async function configure(
  enrollmentType: 'USER' | 'DEVICE',
  authMethod: 'MANAGED_APPLE_ACCOUNT' | 'PASSCODE',
) {
  const policy = await asTenant(core(), f, () =>
    core().policies.create({ parentId: f.rootPolicyId, name: `${enrollmentType} devices` }),
  );
  const domain = `${enrollmentType.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}.example`;
  const { item } = await asTenant(core(), f, () =>
    core().adeConfigurations.set({
      policyId: policy.policyId,
      enrollmentType,
      domains: [domain],
      authMethod,
      passcode: authMethod === 'PASSCODE' ? 'six-digits' : undefined,
      enabled: true,
    }),
  );
  return { item, domain, policy };
}

const devicesQuery = `query($t: ID!, $filter: DeviceFilter) { tenant(id: $t) { devices(first: 20, filter: $filter) { nodes { id enrollmentType status managedAppleId platform serialNumber udid enrollmentId osVersion capabilities { appsAndBooks scheduledOsUpdates macosAgent serialNumberVisible } } } } }`;

describe('device enrollment end to end', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Simulated Org');
    const handlers = localHandlers(core(), await wireDeviceCore(core()));
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
    const push = makePushCertificate();
    topic = push.topic;
    const uploaded = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($t: ID!, $c: String!, $k: String!) { uploadPushCertificate(input: { tenantId: $t, certificatePem: $c, privateKeyPem: $k }) { pushCertificate { topic daysLeft } errors { code message } } }`,
      { t: f.tenantId, c: push.certificatePem, k: push.privateKeyPem },
    );
    expect(uploaded.uploadPushCertificate.pushCertificate.topic).toBe(topic);
  });
  afterAll(() => server?.close());

  it('enrolls a BYOD iPhone, checks it in, and unenrolls it', async () => {
    const { item, domain } = await configure('USER', 'MANAGED_APPLE_ACCOUNT');
    const user = `alice@${domain}`;
    const iphone = new DeviceSimulator(server.url, readFileSync(ENROLL_CAPTURE_PATH), 'iPhone');
    const discovered = await iphone.discover(item.discoveryId, user);
    expect(discovered.body.Servers?.[0]?.Version).toBe('mdm-byod');
    const baseUrl = discovered.body.Servers![0]!.BaseURL;

    const challenge = await iphone.enroll(baseUrl);
    expect(challenge.status).toBe(401);
    await iphone.signIn(/url="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1]!, user);
    const response = await iphone.enroll(baseUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-apple-aspen-config');
    const profile = iphone.acceptProfile(Buffer.from(await response.arrayBuffer()));
    expect(profile.mdm).toMatchObject({
      EnrollmentMode: 'BYOD',
      AssignedManagedAppleID: user,
      Topic: topic,
      SignMessage: true,
      CheckOutWhenRemoved: true,
    });
    expect(profile.mdm.AccessRights).toBeUndefined();
    expect(profile.mdm.ServerURL).toBe(`${TEST_PUBLIC_URL}/mdm/t/${f.tenantId.slice(4)}/connect`);
    expect(profile.signerSubject).toContain('MDM profile signing');

    const enrollmentId = crypto.randomUUID().toUpperCase();
    const ids = { EnrollmentID: enrollmentId };
    expect(
      (await iphone.checkIn({ MessageType: 'Authenticate', Topic: topic, ...ids, UDID: 'not-allowed' }))
        .status,
    ).toBe(400);
    core().db.requests.reset();
    expect(
      (
        await iphone.checkIn({
          MessageType: 'Authenticate',
          Topic: topic,
          ...ids,
          OSVersion: '15.7',
          BuildVersion: '19H12',
          ProductName: 'iPhone12,1',
        })
      ).status,
    ).toBe(200);
    expect(core().db.requests.total()).toBeLessThanOrEqual(2);
    expect(
      (
        await iphone.checkIn({
          MessageType: 'TokenUpdate',
          Topic: topic,
          ...ids,
          Token: Buffer.from('a1b2c3', 'hex'),
          PushMagic: crypto.randomUUID(),
        })
      ).status,
    ).toBe(200);
    expect((await iphone.checkIn({ MessageType: 'Bogus', ...ids })).status).toBe(400);

    const listed = await gqlOk(core(), f.tenantAdminKey, devicesQuery, {
      t: f.tenantId,
      filter: { enrollmentType: 'BYOD' },
    });
    const device = listed.tenant.devices.nodes.find(
      (d: { managedAppleId: string }) => d.managedAppleId === user,
    );
    expect(device).toMatchObject({
      status: 'ENROLLED',
      platform: 'iOS',
      enrollmentId,
      serialNumber: null,
      udid: null,
      osVersion: '15.7',
      capabilities: { appsAndBooks: false, scheduledOsUpdates: false },
    });

    const steps = await gqlOk(
      core(),
      f.tenantAdminKey,
      `query($t: ID!, $u: String) { tenant(id: $t) { auditEvents(first: 50, filter: { managedAppleId: $u }) { nodes { action outcome } } } }`,
      { t: f.tenantId, u: user },
    );
    expect(steps.tenant.auditEvents.nodes.map((e: { action: string }) => e.action).reverse()).toEqual([
      'enrollment.authenticate',
      'enrollment.tokenRedeemed',
      'enrollment.profileIssued',
      'checkin.Authenticate',
      'checkin.TokenUpdate',
    ]);
    const unenrolled = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!) { unenrollDevice(input: { id: $id }) { device { status } errors { code } } }`,
      { id: device.id },
    );
    expect(unenrolled.unenrollDevice.device.status).toBe('UNENROLLED');
    const after = await iphone.checkIn({ MessageType: 'Authenticate', Topic: topic, ...ids });
    expect(after.status).toBe(403);
    expect(JSON.parse(after.body).code).toBe('com.apple.unrecognized.device');
  });

  it('enrolls an ADDE Mac with a passcode, sees its serial number, and records its check-out', async () => {
    const { item, domain } = await configure('DEVICE', 'PASSCODE');
    const user = `bob@${domain}`;
    const mac = new DeviceSimulator(
      server.url,
      signedEnrollBody({ PRODUCT: 'Mac15,3', VERSION: '24A335' }),
      'Mac',
    );
    const baseUrl = (await mac.discover(item.discoveryId, user)).body.Servers![0]!.BaseURL;
    expect(baseUrl).toMatch(/\/deviceenroll$/);
    const challenge = await mac.enroll(baseUrl);
    await mac.signIn(
      /url="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1]!,
      user,
      'six-digits',
    );
    const profile = mac.acceptProfile(Buffer.from(await (await mac.enroll(baseUrl)).arrayBuffer()));
    expect(profile.mdm).toMatchObject({
      EnrollmentMode: 'ADDE',
      AccessRights: 8191,
      AssignedManagedAppleID: user,
    });

    const udid = crypto.randomUUID().toUpperCase();
    const serial = `C02${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
    // macOS sends the bearer only on the user channel: the device channel goes without.
    expect(
      (
        await mac.checkIn(
          {
            MessageType: 'Authenticate',
            Topic: topic,
            UDID: udid,
            SerialNumber: serial,
            Model: 'Mac15,3',
            ModelName: 'MacBook Pro',
            OSVersion: '15.0',
            BuildVersion: '24A335',
            DeviceName: 'Bob’s Mac',
          },
          { bearer: false },
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await mac.checkIn(
          {
            MessageType: 'TokenUpdate',
            Topic: topic,
            UDID: udid,
            Token: Buffer.from('0f0e', 'hex'),
            PushMagic: 'magic',
          },
          { bearer: false },
        )
      ).status,
    ).toBe(200);
    let listed = await gqlOk(core(), f.tenantAdminKey, devicesQuery, {
      t: f.tenantId,
      filter: { enrollmentType: 'ADDE', platform: 'macOS', osVersion: '15' },
    });
    expect(listed.tenant.devices.nodes).toMatchObject([
      {
        status: 'ENROLLED',
        serialNumber: serial,
        udid,
        capabilities: {
          appsAndBooks: true,
          scheduledOsUpdates: false, // softwareupdate.enforcement.specific is supervised-only on macOS
          macosAgent: true,
          serialNumberVisible: true,
        },
      },
    ]);

    expect(
      (await mac.checkIn({ MessageType: 'CheckOut', Topic: topic, UDID: udid }, { bearer: false })).status,
    ).toBe(200);
    listed = await gqlOk(core(), f.tenantAdminKey, devicesQuery, {
      t: f.tenantId,
      filter: { status: 'UNENROLLED', enrollmentType: 'ADDE' },
    });
    expect(listed.tenant.devices.nodes).toHaveLength(1);
    expect(
      (await mac.checkIn({ MessageType: 'Authenticate', Topic: topic, UDID: udid }, { bearer: false }))
        .status,
    ).toBe(403);
  });
});
