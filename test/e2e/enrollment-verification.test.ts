/**
 * Enrollment bodies must verify: a body whose signature does not verify over its content is refused
 * with a plain 400 and writes nothing but (at most) one bounded audit record; whether the signer's
 * chain reaches Apple's device CAs is recorded on the device as `appleVerifiedDevice`, and a
 * configuration that requires it refuses other devices with a message the device shows. Over HTTP,
 * every route served by its real handler, the device functions on the wire client.
 */
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH, makeCert, type Workdir, workdir } from '@ade/apple/testing/tools';
import type { DeviceCore } from '@ade/core';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadPushCertificate } from '../support/ade.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { added, scanTable } from '../support/database.ts';
import { DeviceSimulator } from '../support/device-simulator.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

const core = useTestCore();
const capture = readFileSync(ENROLL_CAPTURE_PATH);
let server: LocalServer;
let device: DeviceCore;
let f: TenantFixture;
let w: Workdir;
/** Signed by openssl under a test root → "Apple iPhone Device CA" (O=Apple Inc.) → leaf: verifies, not Apple's. */
let lookalike: Buffer;
/** The tenant's root policy, by its GraphQL id. */
let rootPolicyId: string;

const SET = `mutation($p: ID!, $d: [String!]!, $t: EnrollmentType!, $r: Boolean) {
  setAdeConfiguration(input: { policyId: $p, enrollmentType: $t, domains: $d, authMethod: MANAGED_APPLE_ACCOUNT, requireAppleVerifiedDevice: $r }) {
    adeConfiguration { discoveryId requireAppleVerifiedDevice }
    errors { code message }
  }
}`;

async function configure(name: string, requireAppleVerifiedDevice?: boolean) {
  const { createPolicy } = await gqlOk(
    core(),
    f.tenantAdminKey,
    'mutation($p: ID!, $n: String!) { createPolicy(input: { parentId: $p, name: $n }) { policy { id } errors { code message } } }',
    { p: rootPolicyId, n: name },
  );
  expect(createPolicy.errors).toEqual([]);
  const domain = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}.example`;
  const { setAdeConfiguration } = await gqlOk(core(), f.tenantAdminKey, SET, {
    p: createPolicy.policy.id,
    d: [domain],
    t: 'USER',
    r: requireAppleVerifiedDevice,
  });
  expect(setAdeConfiguration.errors).toEqual([]);
  return { ...setAdeConfiguration.adeConfiguration, domain, policyId: createPolicy.policy.id as string };
}

function enroll(discoveryId: string, body: Buffer) {
  return fetch(`${server.url}/mdm/enrollment/servicediscovery/${discoveryId}/userenroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/pkcs7-signature' },
    body,
  });
}

/** Enrolls a simulated iPhone with `body` to the end, and reads the device's appleVerifiedDevice. */
async function enrolledDeviceFact(config: { discoveryId: string; domain: string }, body: Buffer) {
  const sim = new DeviceSimulator(server.url, body, 'iPhone', { verifyProfileSignature: false });
  const user = `dev-${Math.random().toString(36).slice(2, 8)}@${config.domain}`;
  const baseUrl = (await sim.discover(config.discoveryId, user)).body.Servers![0]!.BaseURL;
  const challenge = await sim.enroll(baseUrl);
  expect(challenge.status).toBe(401);
  await sim.signIn(/url="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1]!, user);
  const profile = await sim.enroll(baseUrl);
  expect(profile.status).toBe(200);
  const { tenant } = await gqlOk(
    core(),
    f.tenantAdminKey,
    'query($t: ID!) { tenant(id: $t) { devices(first: 50) { nodes { managedAppleId appleVerifiedDevice product } } } }',
    { t: f.tenantId },
  );
  return tenant.devices.nodes.find((d: { managedAppleId: string }) => d.managedAppleId === user);
}

describe('enrollment bodies must verify', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Verification');
    await uploadPushCertificate(core(), f);
    const { tenant } = await gqlOk(
      core(),
      f.tenantAdminKey,
      'query($t: ID!) { tenant(id: $t) { rootPolicy { id } } }',
      {
        t: f.tenantId,
      },
    );
    rootPolicyId = tenant.rootPolicy.id;
    device = await wireDeviceCore(core());
    const handlers = localHandlers(core(), device);
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
    w = workdir();
    makeCert(w, 'root', '/O=Test/CN=Test Root', { ca: true });
    makeCert(w, 'deviceca', '/C=US/O=Apple Inc./OU=Apple iPhone/CN=Apple iPhone Device CA', {
      ca: true,
      issuer: 'root',
    });
    makeCert(w, 'leaf', '/CN=6F1C2D3E-0000-4000-8000-000000000001/O=Apple Inc./OU=iPhone', {
      issuer: 'deviceca',
    });
    w.write(
      'device.plist',
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>LANGUAGE</key><string>en-US</string>' +
        '<key>PRODUCT</key><string>iPhone17,2</string><key>VERSION</key><string>22B83</string></dict></plist>\n',
    );
    lookalike = w.openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-in',
      'device.plist',
      '-signer',
      'leaf.pem',
      '-inkey',
      'leaf.key',
      '-certfile',
      'deviceca.pem',
      '-md',
      'sha1',
      '-outform',
      'DER',
    ]);
  });
  afterAll(async () => {
    await server?.close();
    w?.remove();
  });

  it('records the real capture as an Apple-verified device, and a test CA body as not', async () => {
    const config = await configure('Facts');
    expect(config.requireAppleVerifiedDevice).toBe(false);
    expect(await enrolledDeviceFact(config, capture)).toMatchObject({
      product: 'iPhone12,1',
      appleVerifiedDevice: true,
    });
    expect(await enrolledDeviceFact(config, lookalike)).toMatchObject({
      product: 'iPhone17,2',
      appleVerifiedDevice: false,
    });
  });

  it('refuses a body altered after signing with 400, writing at most one bounded audit record', async () => {
    const config = await configure('Tampered');
    const tampered = Buffer.from(capture);
    tampered[tampered.indexOf('iPhone12,1') + 7] = '3'.charCodeAt(0); // iPhone13,1: the content changed
    await device.enrollment.flushAudit(); // events of the earlier enrollments are not this test's
    const before = await scanTable(core().db);
    for (let i = 0; i < 5; i++) {
      const refused = await enroll(config.discoveryId, tampered);
      expect(refused.status).toBe(400);
      expect(refused.headers.get('www-authenticate')).toBeNull();
      expect(await refused.text()).toMatch(/does not verify/);
    }
    await device.enrollment.flushAudit(); // what a refusal left to write, written now
    const written = added(before, await scanTable(core().db));
    expect(written.length).toBeLessThanOrEqual(1);
    for (const item of written) {
      expect(item.action).toBe('enrollment.request');
      expect(JSON.stringify(item).length).toBeLessThan(4_096);
    }
  });

  it('lets a configuration require Apple-verified devices, with a message the device shows', async () => {
    const config = await configure('Strict', true);
    expect(config.requireAppleVerifiedDevice).toBe(true);
    const refused = await enroll(config.discoveryId, lookalike);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/could not be verified as an Apple device/);
    expect((await enroll(config.discoveryId, capture)).status).toBe(401);
    // Left out on a later set, the requirement stays; false turns it off.
    const { setAdeConfiguration } = await gqlOk(core(), f.tenantAdminKey, SET, {
      p: config.policyId,
      d: [config.domain],
      t: 'USER',
    });
    expect(setAdeConfiguration.adeConfiguration.requireAppleVerifiedDevice).toBe(true);
    const off = await gqlOk(core(), f.tenantAdminKey, SET, {
      p: config.policyId,
      d: [config.domain],
      t: 'USER',
      r: false,
    });
    expect(off.setAdeConfiguration.adeConfiguration.requireAppleVerifiedDevice).toBe(false);
    expect((await enroll(config.discoveryId, lookalike)).status).toBe(401);
  });
});
