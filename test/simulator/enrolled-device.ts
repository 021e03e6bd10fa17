/**
 * A simulated device enrolled against the stub server: the tenant CA and signer from the Apple package's
 * fixture, an enrollment profile signed like the server signs it, then an accepted Authenticate and
 * TokenUpdate, so the device knows its ids and push token.
 */
import { randomBytes } from 'node:crypto';
import { buildEnrollmentProfile, signProfile } from '@ade/apple';
import { type ProfileFixture, profileFixture } from '@ade/apple/testing/profile-fixtures';
import { DeviceSimulator } from '../support/device-simulator.ts';
import type { StubMdmServer } from './stub-mdm-server.ts';

export const TOPIC = 'com.apple.mgmt.External.1a2b3c4d-0000-4000-8000-000000000001';

let fixture: ProfileFixture | undefined;
/** One tenant PKI per test file (key generation is the slow part). */
export function tenant(): ProfileFixture {
  fixture ??= profileFixture();
  return fixture;
}

export function tenantSigner() {
  const f = tenant();
  return { ...f.signer, chainPems: [f.ca.certificatePem] };
}

export async function enrolledDevice(
  stub: StubMdmServer,
  mode: 'BYOD' | 'ADDE' = 'BYOD',
): Promise<DeviceSimulator> {
  const device = new DeviceSimulator(stub.url, Buffer.alloc(0), mode === 'BYOD' ? 'iPhone' : 'Mac');
  device.token = 'tok_sim';
  device.acceptProfile(signProfile(buildEnrollmentProfile(tenant().input(mode)), tenantSigner()));
  const ids =
    mode === 'BYOD'
      ? { EnrollmentID: crypto.randomUUID().toUpperCase() }
      : { UDID: crypto.randomUUID().toUpperCase() };
  // macOS sends the bearer only on the user channel: the device channel goes without.
  const options = { bearer: mode === 'BYOD' };
  const authenticate = await device.checkIn({ MessageType: 'Authenticate', Topic: TOPIC, ...ids }, options);
  const tokenUpdate = await device.checkIn(
    {
      MessageType: 'TokenUpdate',
      Topic: TOPIC,
      ...ids,
      Token: randomBytes(32), // an APNs device token
      PushMagic: crypto.randomUUID(),
    },
    options,
  );
  if (authenticate.status !== 200 || tokenUpdate.status !== 200)
    throw new Error('the stub refused a check-in');
  return device;
}
