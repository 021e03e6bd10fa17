/**
 * How soon devices see a change to a configuration. Discovery caches what it reads: an answer (a
 * server) for 30 s, a refusal for 5 s, so enabling a configuration or adding a domain takes effect
 * within seconds while a cached answer still costs no read. The clock is the core's (no waiting);
 * reads are counted on the device core's wire client, as a Lambda would make them. The times are the
 * ones the README promises.
 */
import type { DeviceCore } from '@ade/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { wireDeviceCore } from '../support/handlers.ts';

const ANSWER_MS = 30_000;
const REFUSAL_MS = 5_000;

let clock = new Date('2026-12-01T09:00:00Z');
const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};
const core = useTestCore({ now: () => clock });
let f: TenantFixture;
let device: DeviceCore;
const unique = () => Math.random().toString(36).slice(2, 10);

/** Asks discovery as a device would; returns the status and how many items were read for it. */
async function ask(discoveryId: string, userIdentifier: string) {
  const before = core().db.requests.byCommand.GetItemCommand ?? 0;
  const answer = await device.discovery.answer(discoveryId, { userIdentifier, modelFamily: 'iPhone' });
  return { status: answer.status, reads: (core().db.requests.byCommand.GetItemCommand ?? 0) - before };
}

async function configuration(domains: string[], enabled?: boolean) {
  const { item } = await asTenant(core(), f, async () => {
    const policy = await core().policies.create({ parentId: f.rootPolicyId, name: `Cached ${unique()}` });
    return core().adeConfigurations.set({
      policyId: policy.policyId,
      enrollmentType: 'USER',
      domains,
      authMethod: 'MANAGED_APPLE_ACCOUNT',
      ...(enabled === undefined ? {} : { enabled }),
    });
  });
  return item;
}

describe('discovery cache', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Cache');
    device = await wireDeviceCore(core());
  });

  it('answers for a configuration just set up, then from the cache without a read', async () => {
    const domain = `${unique()}.example`;
    const item = await configuration([domain]); // `enabled` left out
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 200, reads: 1 });
    advance(ANSWER_MS - 1);
    expect(await ask(item.discoveryId, `bob@${domain}`)).toEqual({ status: 200, reads: 0 });
    advance(1);
    expect(await ask(item.discoveryId, `bob@${domain}`)).toEqual({ status: 200, reads: 1 });
  });

  it(`reaches devices within ${REFUSAL_MS / 1000} s of enabling, not after the answer's 30 s`, async () => {
    const domain = `${unique()}.example`;
    const item = await configuration([domain], false);
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 403, reads: 1 });
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 403, reads: 0 }); // cached refusal

    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(item.configurationId, true));
    advance(REFUSAL_MS - 1);
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 403, reads: 0 }); // still held here
    advance(1);
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 200, reads: 1 });
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 200, reads: 0 });

    // The other way round, an answer is trusted for its 30 s: disabling reaches devices within that.
    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(item.configurationId, false));
    advance(ANSWER_MS - 1);
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 200, reads: 0 });
    advance(1);
    expect(await ask(item.discoveryId, `alice@${domain}`)).toEqual({ status: 403, reads: 1 });
  });

  it('sees a domain added within the refusal time, while answers for the others stay cached', async () => {
    const first = `${unique()}.example`;
    const added = `${unique()}.example`;
    const item = await configuration([first]);
    expect(await ask(item.discoveryId, `alice@${first}`)).toEqual({ status: 200, reads: 1 });
    expect(await ask(item.discoveryId, `carol@${added}`)).toEqual({ status: 403, reads: 0 });
    await asTenant(core(), f, () =>
      core().adeConfigurations.set({
        policyId: item.policyId,
        enrollmentType: 'USER',
        domains: [first, added],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
      }),
    );
    advance(REFUSAL_MS);
    expect(await ask(item.discoveryId, `alice@${first}`)).toEqual({ status: 200, reads: 0 });
    expect(await ask(item.discoveryId, `carol@${added}`)).toEqual({ status: 200, reads: 1 });
    expect(await ask(item.discoveryId, `carol@${added}`)).toEqual({ status: 200, reads: 0 });
  });
});
