/**
 * Payloads on policies and their delivery, against DynamoDB Local: validation against Apple's
 * schemas (one typed error per key path, over GraphQL), eligibility before anything is sent,
 * inheritance, what a device gets (InstallProfile with keys stripped, UNSUPPORTED never sent),
 * counters kept in step with deployments, removal, device moves, and a rollout stopped half-way and
 * resumed by two runners at once. The command channel itself is driven by simulated devices in
 * test/e2e/payload-delivery.test.ts.
 */
import { parsePlistDict } from '@ade/apple';
import { type DeviceItem, encodeScopedId, ulid } from '@ade/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { openSignedProfile } from '../support/device-crypto.ts';
import { gqlOk } from '../support/graphql.ts';

/** A managed VPN: not for User Enrollment (BYOD), fine for ADDE. */
const VPN_SETTINGS = {
  UserDefinedName: 'VPN',
  VPNType: 'IKEv2',
  IKEv2: {
    RemoteAddress: 'vpn.example',
    RemoteIdentifier: 'vpn.example',
    LocalIdentifier: 'me',
    AuthenticationMethod: 'None',
  },
};
const core = useTestCore();
let f: Awaited<ReturnType<typeof createTenantFixture>>;

async function device(
  policyId: string,
  kind: { enrollmentType: 'BYOD' | 'ADDE'; platform: string; osVersion?: string },
  status: DeviceItem['status'] = 'ENROLLED',
): Promise<DeviceItem> {
  const deviceId = `dev_${Array.from({ length: 26 }, () => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[Math.floor(Math.random() * 32)]).join('')}`;
  const item = {
    tenantId: f.tenantId,
    deviceId,
    policyId,
    configurationId: 'cfg_00000000000000000000000000',
    managedAppleId: `${deviceId.toLowerCase()}@example.com`,
    tokenHash: deviceId,
    identityFingerprint: deviceId,
    status,
    profileIssuedAt: new Date().toISOString(),
    osVersion: kind.osVersion ?? (kind.platform === 'macOS' ? '15.1' : '18.1'),
    ...kind,
  };
  await core()
    .service.entities.enrollmentToken.create({
      tenantId: f.tenantId,
      tokenHash: deviceId,
      configurationId: item.configurationId,
      enrollmentType: kind.enrollmentType === 'BYOD' ? 'USER' : 'DEVICE',
      managedAppleId: item.managedAppleId,
      issuedAt: item.profileIssuedAt,
      redeemBefore: item.profileIssuedAt,
      redeemedAt: item.profileIssuedAt,
    })
    .go();
  await core().service.entities.device.create(item).go();
  return (await core().service.entities.device.get({ tenantId: f.tenantId, deviceId }).go()).data!;
}

const inTenant = <T>(fn: () => Promise<T>) => asTenant(core(), f, fn);

async function queue(d: DeviceItem) {
  return (
    await core().service.entities.command.query.byDevice({ tenantId: f.tenantId, deviceId: d.deviceId }).go()
  ).data;
}

async function deploymentsOf(d: DeviceItem) {
  return (
    await core()
      .service.entities.deployment.query.byDevice({ tenantId: f.tenantId, deviceId: d.deviceId })
      .go()
  ).data;
}

/** The profile inside a queued InstallProfile command, its signature verified against the tenant's CA. */
async function profileOf(body: string) {
  const command = parsePlistDict(Buffer.from(body, 'base64'));
  const signed = (command.Command as Record<string, unknown>).Payload as Buffer;
  const pki = (await core().service.entities.tenantPki.get({ tenantId: f.tenantId }).go()).data!;
  return { command, profile: parsePlistDict(openSignedProfile(signed, [pki.caCertificatePem]).content) };
}

describe('payloads on policies', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Payloads');
  });

  it('refuses unknown types and keys, wrong types and missing keys, one error per key path, changing nothing', async () => {
    const policyId = encodeScopedId(f.tenantId, f.rootPolicyId);
    const add = (payloadType: string, settings: unknown) =>
      gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($p: ID!, $t: String!, $s: String!) { addPayload(input: { policyId: $p, payloadType: $t, settings: $s }) { change { payload { id } } errors { code path message } } }`,
        {
          p: policyId,
          t: payloadType,
          s: typeof settings === 'string' ? settings : JSON.stringify(settings),
        },
      );
    expect((await add('com.example.nope', {})).addPayload.errors).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_PAYLOAD_TYPE', path: ['input', 'payloadType'] }),
    ]);
    const vpn = await add('com.apple.vpn.managed', { UserDefinedName: 5, Bogus: 1 });
    const codes = vpn.addPayload.errors.map(
      (e: { code: string; path: string[] }) => `${e.code} ${e.path.join('.')}`,
    );
    expect(codes.sort()).toEqual(
      [
        'MISSING_REQUIRED_KEY input.settings.VPNType',
        'UNKNOWN_KEY input.settings.Bogus',
        'WRONG_TYPE input.settings.UserDefinedName',
      ].sort(),
    );
    expect((await add('com.apple.wifi.managed', '[1,2]')).addPayload.errors[0].code).toBe(
      'VALIDATION_FAILED',
    );
    const listed = await inTenant(() => core().payloads.listForPolicy(f.rootPolicyId));
    expect(listed).toEqual([]);
  });

  it('says before anything is sent what will not apply to BYOD, down to the keys', async () => {
    const policy = await inTenant(() =>
      core().policies.create({ parentId: f.rootPolicyId, name: 'Eligibility' }),
    );
    const child = await inTenant(() => core().policies.create({ parentId: policy.policyId, name: 'Child' }));
    await inTenant(() =>
      core().payloads.add(policy.policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: false, allowAppRemoval: false },
      }),
    );
    await inTenant(() =>
      core().payloads.add(child.policyId, {
        payloadType: 'com.apple.vpn.managed',
        settings: VPN_SETTINGS,
      }),
    );
    // The child inherits its parent's payload.
    const inherited = await inTenant(() => core().payloads.listForPolicy(child.policyId, true));
    expect(inherited.map((p) => p.payloadType).sort()).toEqual([
      'com.apple.applicationaccess',
      'com.apple.vpn.managed',
    ]);

    const byod = await inTenant(() => core().payloads.notApplying(child.policyId, 'BYOD', 'iOS'));
    const byType = Object.fromEntries(byod.map((n) => [n.payload.payloadType, n.eligibility[0]!]));
    expect(byType['com.apple.vpn.managed']).toMatchObject({ status: 'UNSUPPORTED' });
    expect(byType['com.apple.vpn.managed']!.reason).toMatch(/User Enrollment/);
    expect(byType['com.apple.applicationaccess']).toMatchObject({ status: 'PARTIAL' });
    expect(byType['com.apple.applicationaccess']!.droppedKeys).toContain('allowAppRemoval');
    const adde = await inTenant(() => core().payloads.notApplying(child.policyId, 'ADDE', 'iOS'));
    expect(adde.map((n) => n.payload.payloadType)).toEqual(['com.apple.applicationaccess']); // supervised-only key
  });
});

describe('delivery to devices', () => {
  let policyId: string;
  let byod: DeviceItem;
  let adde: DeviceItem;
  let mac: DeviceItem;

  beforeAll(async () => {
    policyId = (await inTenant(() => core().policies.create({ parentId: f.rootPolicyId, name: 'Fleet' })))
      .policyId;
    byod = await device(policyId, { enrollmentType: 'BYOD', platform: 'iOS' });
    adde = await device(policyId, { enrollmentType: 'ADDE', platform: 'iOS' });
    mac = await device(policyId, { enrollmentType: 'ADDE', platform: 'macOS' });
  });

  it('queues signed InstallProfile commands with ineligible keys stripped, and never sends what cannot apply', async () => {
    const { payload, rollout } = await inTenant(() =>
      core().payloads.add(policyId, {
        payloadType: 'com.apple.applicationaccess',
        displayName: 'Restrictions',
        settings: { allowCamera: false, allowAppRemoval: false, allowScreenShot: false },
      }),
    );
    expect(rollout).toMatchObject({ status: 'DONE', processed: 3 });
    const vpn = await inTenant(() =>
      core().payloads.add(policyId, {
        payloadType: 'com.apple.vpn.managed',
        settings: VPN_SETTINGS,
      }),
    );

    const [byodQueue] = [await queue(byod)];
    expect(byodQueue.map((c) => c.requestType)).toEqual(['InstallProfile']); // no VPN for User Enrollment
    const { command, profile } = await profileOf(byodQueue[0]!.body!);
    expect(command.CommandUUID).toBe(byodQueue[0]!.commandId);
    const content = (profile.PayloadContent as Record<string, unknown>[])[0]!;
    expect(content.PayloadType).toBe('com.apple.applicationaccess');
    expect(content.allowScreenShot).toBe(false);
    expect(content).not.toHaveProperty('allowCamera'); // forbidden under User Enrollment
    expect(content).not.toHaveProperty('allowAppRemoval'); // supervised-only

    const deployed = Object.fromEntries((await deploymentsOf(byod)).map((d) => [d.payloadId, d]));
    expect(deployed[payload.payloadId]).toMatchObject({
      state: 'PENDING',
      droppedKeys: ['allowCamera', 'allowAppRemoval'],
    });
    const onAdde = await profileOf((await queue(adde))[0]!.body!);
    expect((onAdde.profile.PayloadContent as Record<string, unknown>[])[0]).toMatchObject({
      allowCamera: false,
      allowScreenShot: false,
    });
    expect(deployed[vpn.payload.payloadId]!.state).toBe('UNSUPPORTED');
    expect(deployed[vpn.payload.payloadId]!.reason).toMatch(/User Enrollment/);
    expect((await queue(adde)).map((c) => c.requestType)).toEqual(['InstallProfile', 'InstallProfile']);

    const summary = await inTenant(() => core().payloads.summary(policyId));
    const counts = Object.fromEntries(summary.map((s) => [s.payloadId, s.counts]));
    expect(counts[payload.payloadId]).toMatchObject({ PENDING: 3, UNSUPPORTED: 0 });
    expect(counts[vpn.payload.payloadId]).toMatchObject({ PENDING: 2, UNSUPPORTED: 1 });
    const unsupported = await inTenant(() =>
      core().payloads.devicesInState(vpn.payload.payloadId, 'UNSUPPORTED', { first: 10 }),
    );
    expect(unsupported.items.map((d) => d.deviceId)).toEqual([byod.deviceId]);
  });

  it('replaces a queued install when the payload changes (never two installs of one payload)', async () => {
    const { payload } = await inTenant(() =>
      core().payloads.add(policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: true },
      }),
    );
    const before = (await queue(mac)).filter((c) => c.payloadId === payload.payloadId);
    expect(before).toHaveLength(1);
    await inTenant(() => core().payloads.update(payload.payloadId, { settings: { allowCamera: false } }));
    const after = (await queue(mac)).filter((c) => c.payloadId === payload.payloadId);
    expect(after).toHaveLength(1);
    expect(after[0]!.commandId).not.toBe(before[0]!.commandId);
    expect(after[0]!.payloadVersion).toBe(2);
    const counts = (await inTenant(() => core().payloads.summary(policyId))).find(
      (s) => s.payloadId === payload.payloadId,
    )!;
    expect(counts.counts.PENDING).toBe(3); // moved from version 1 to 2, not counted twice

    await inTenant(() => core().payloads.remove(payload.payloadId));
    const removal = (await queue(mac)).filter((c) => c.payloadId === payload.payloadId);
    expect(removal.map((c) => c.requestType)).toEqual(['RemoveProfile']);
    const removed = (await inTenant(() => core().payloads.summary(policyId))).find(
      (s) => s.payloadId === payload.payloadId,
    )!;
    expect(removed.counts).toMatchObject({ PENDING: 0, REMOVING: 3 });
  });

  it('saves a change even when its inline rollout races the worker; devices end with the latest version once', async () => {
    const { payload } = await inTenant(() =>
      core().payloads.add(policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: true },
      }),
    );
    for (let version = 2; version <= 4; version++) {
      const [updated] = await Promise.all([
        inTenant(() =>
          core().payloads.update(payload.payloadId, { settings: { allowCamera: version % 2 === 0 } }),
        ),
        core().delivery.resumeAll(Date.now() + 10_000),
      ]);
      expect(updated.payload.version).toBe(version);
    }
    await core().delivery.resumeAll(Date.now() + 10_000);
    for (const d of [byod, adde, mac]) {
      const mine = (await queue(d)).filter((c) => c.payloadId === payload.payloadId);
      expect(mine.map((c) => c.payloadVersion)).toEqual([4]);
    }
  });

  it('gives a device what its new policy holds and takes off what the old one gave, when it moves', async () => {
    const other = await inTenant(() => core().policies.create({ parentId: f.rootPolicyId, name: 'Other' }));
    const { payload } = await inTenant(() =>
      core().payloads.add(other.policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: false },
      }),
    );
    const moving = await device(policyId, { enrollmentType: 'ADDE', platform: 'iOS' });
    await inTenant(() => core().delivery.reconcileDevice(moving));
    const had = (await queue(moving)).length;
    expect(had).toBeGreaterThan(0);
    await inTenant(() => core().devices.move(moving.deviceId, other.policyId));
    const commands = await queue(moving);
    expect(commands.filter((c) => c.payloadId === payload.payloadId).map((c) => c.requestType)).toEqual([
      'InstallProfile',
    ]);
    // Payloads of the old policy that were only queued become removals (their installs are superseded).
    expect(
      commands
        .filter((c) => c.payloadId !== payload.payloadId)
        .every((c) => c.requestType === 'RemoveProfile'),
    ).toBe(true);
  });

  it('retires an unenrolled device: its deployments leave the counts and its queue is emptied', async () => {
    const leaving = await device(policyId, { enrollmentType: 'ADDE', platform: 'iOS' });
    await inTenant(() => core().delivery.reconcileDevice(leaving));
    expect((await queue(leaving)).length).toBeGreaterThan(0);
    const before = await inTenant(() => core().payloads.summary(policyId));
    const live = (await deploymentsOf(leaving)).filter((d) => d.state !== 'REMOVED');
    await inTenant(() => core().devices.unenroll(leaving.deviceId));
    expect(await queue(leaving)).toEqual([]);
    expect((await deploymentsOf(leaving)).every((d) => d.state === 'REMOVED')).toBe(true);
    const after = Object.fromEntries(
      (await inTenant(() => core().payloads.summary(policyId))).map((s) => [s.payloadId, s.counts]),
    );
    for (const d of live) {
      const was = before.find((s) => s.payloadId === d.payloadId)!.counts;
      expect(after[d.payloadId]![d.state]).toBe(was[d.state] - 1);
      expect(after[d.payloadId]!.REMOVED).toBe(was.REMOVED + 1);
    }
  });

  it('does nothing for devices that have not finished enrolling; they get everything at TokenUpdate', async () => {
    const waiting = await device(policyId, { enrollmentType: 'ADDE', platform: 'iOS' }, 'AUTHENTICATED');
    await inTenant(() =>
      core().payloads.add(policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: false },
      }),
    );
    expect(await queue(waiting)).toEqual([]);
    expect(await core().delivery.reconcileDevice({ ...waiting, status: 'ENROLLED' })).toBeGreaterThan(0);
  });
});

describe('a rollout to many devices', () => {
  it('stopped half-way and resumed by two runners at once, loses and doubles nothing', async () => {
    const policy = await inTenant(() => core().policies.create({ parentId: f.rootPolicyId, name: 'Many' }));
    const child = await inTenant(() =>
      core().policies.create({ parentId: policy.policyId, name: 'Many child' }),
    );
    const devices: DeviceItem[] = [];
    for (let i = 0; i < 90; i++)
      devices.push(
        await device(i % 3 === 0 ? child.policyId : policy.policyId, {
          enrollmentType: i % 2 ? 'ADDE' : 'BYOD',
          platform: i % 2 ? 'macOS' : 'iOS',
        }),
      );
    // The payload and its rollout as addPayload writes them, without the mutation's inline run:
    // one batch, then a "crash", then two runners resuming at once.
    const payload = {
      tenantId: f.tenantId,
      payloadId: `pld_${ulid()}`,
      policyId: policy.policyId,
      kind: 'PROFILE' as const,
      payloadType: 'com.apple.applicationaccess',
      displayName: 'Restrictions',
      settingsJson: JSON.stringify({ allowCamera: false }),
      version: 1,
      createdBy: 'test',
    };
    await core().service.entities.payload.create(payload).go();
    const rollout = await core().delivery.newRollout(payload, 'ADD');
    expect(rollout.policyIds).toEqual([policy.policyId, child.policyId]);
    await core().service.entities.rollout.create(rollout).go();
    const first = await core().delivery.runRollout(f.tenantId, rollout.rolloutId, { maxBatches: 1 });
    expect(first).toMatchObject({ status: 'RUNNING', batches: 1 });
    const halfway = (await inTenant(() => core().payloads.summary(policy.policyId))).find(
      (s) => s.payloadId === payload.payloadId,
    )!.counts;
    expect(halfway.PENDING + halfway.UNSUPPORTED).toBe(first.processed);
    const running = async () =>
      (await core().service.entities.rollout.query.running({}).go({ pages: 'all' })).data.map(
        (r) => r.rolloutId,
      );
    expect(await running()).toContain(rollout.rolloutId); // the worker finds it
    // A mutation's own run and the worker's pass resume at once.
    const runs = await Promise.allSettled([
      core().delivery.runRollout(f.tenantId, rollout.rolloutId),
      core().delivery.resumeAll(Date.now() + 60_000),
    ]);
    expect(runs.some((r) => r.status === 'fulfilled')).toBe(true);
    const done = await core().delivery.runRollout(f.tenantId, rollout.rolloutId);
    expect(await running()).not.toContain(rollout.rolloutId); // DONE leaves the sparse index
    expect(done).toMatchObject({ status: 'DONE', processed: 90 });

    let commands = 0;
    for (const d of devices) {
      const mine = (await queue(d)).filter((c) => c.payloadId === payload.payloadId);
      expect(mine.length).toBeLessThanOrEqual(1);
      commands += mine.length;
    }
    const counts = (await inTenant(() => core().payloads.summary(policy.policyId))).find(
      (s) => s.payloadId === payload.payloadId,
    )!.counts;
    expect(counts.PENDING + counts.UNSUPPORTED).toBe(90);
    expect(commands).toBe(counts.PENDING);
  });
});
