/**
 * One simulated device, all the way in: discovery → 401 → sign-in → signed profile → Authenticate →
 * TokenUpdate, over HTTP against a local runtime serving `core`. The ADE configuration on `policyId`
 * is created (or reused: one per policy). `prepare` runs before TokenUpdate, so a device can be told
 * how to answer the commands the first push brings; `onPushToken` sees the token before TokenUpdate
 * is sent (register it with a fake APNs there). `udid` makes an ADDE device enroll as a known one
 * (a re-enrollment); otherwise each device gets a new UDID. `person` names the Managed Apple Account's
 * local part (the same person enrolling again); otherwise each device gets a new person.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Core, runAs } from '@ade/core';
import { DeviceSimulator } from './device-simulator.ts';

export interface SimulatedHardware {
  body: Buffer;
  family: 'iPhone' | 'iPad' | 'Mac';
  product: string;
  os: string;
  build: string;
}

export async function enrollDevice(
  core: Core,
  serverUrl: string,
  tenant: { tenantId: string; tenantActor: Parameters<typeof runAs>[0] },
  options: {
    type: 'USER' | 'DEVICE';
    policyId: string;
    hardware: SimulatedHardware;
    topic: string;
    prepare?: (sim: DeviceSimulator) => void;
    onPushToken?: (tokenHex: string, sim: DeviceSimulator) => void;
    udid?: string;
    person?: string;
  },
): Promise<{ sim: DeviceSimulator; deviceId: string; user: string }> {
  const { type, policyId, hardware, topic } = options;
  const domain = `${type.toLowerCase()}-${tenant.tenantId.slice(-8).toLowerCase()}.example`;
  const { item } = await runAs(tenant.tenantActor, () =>
    core.tenancy.inTenant(tenant.tenantId, () =>
      core.adeConfigurations.set({
        policyId,
        enrollmentType: type,
        domains: [domain],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
        enabled: true,
      }),
    ),
  );
  const sim = new DeviceSimulator(serverUrl, hardware.body, hardware.family);
  options.prepare?.(sim);
  const user = `${options.person ?? `${hardware.family.toLowerCase()}-${randomUUID().slice(0, 6)}`}@${domain}`;
  const discovered = await sim.discover(item.discoveryId, user);
  const baseUrl = discovered.body.Servers?.[0]?.BaseURL;
  if (!baseUrl)
    throw new Error(`discovery answered ${discovered.status}: ${JSON.stringify(discovered.body)}`);
  const challenge = await sim.enroll(baseUrl);
  await sim.signIn(/url="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1]!, user);
  sim.acceptProfile(Buffer.from(await (await sim.enroll(baseUrl)).arrayBuffer()));
  const identity =
    type === 'USER'
      ? { EnrollmentID: randomUUID().toUpperCase() }
      : { UDID: options.udid ?? randomUUID().toUpperCase() };
  const bearer = hardware.family !== 'Mac'; // the macOS device channel sends no bearer
  const authenticated = await sim.checkIn(
    {
      MessageType: 'Authenticate',
      Topic: topic,
      ...identity,
      OSVersion: hardware.os,
      BuildVersion: hardware.build,
      ProductName: hardware.product,
      ...(type === 'DEVICE' ? { SerialNumber: `C02${randomUUID().slice(0, 8).toUpperCase()}` } : {}),
    },
    { bearer },
  );
  if (authenticated.status !== 200) throw new Error(`Authenticate answered ${authenticated.status}`);
  const token = randomBytes(32);
  options.onPushToken?.(token.toString('hex'), sim);
  const update = await sim.checkIn(
    { MessageType: 'TokenUpdate', Topic: topic, ...identity, Token: token, PushMagic: randomUUID() },
    { bearer },
  );
  if (update.status !== 200) throw new Error(`TokenUpdate answered ${update.status}`);
  const { data } = await core.service.entities.device.query
    .byPolicy({ tenantId: tenant.tenantId, policyId })
    .go({
      pages: 'all',
    });
  // This enrollment's record: the person's, with its identifier, still enrolled (a person may enroll
  // again, and a UDID's earlier record is retired by its re-enrollment).
  const enrolled = data.find(
    (d) =>
      d.managedAppleId === user &&
      d.status === 'ENROLLED' &&
      ('EnrollmentID' in identity ? d.enrollmentId === identity.EnrollmentID : d.udid === identity.UDID),
  );
  return { sim, deviceId: enrolled!.deviceId, user };
}
