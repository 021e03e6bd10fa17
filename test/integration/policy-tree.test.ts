import { type AppError, runAs } from '@ade/core';
import { describe, expect, it } from 'vitest';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { expectValidTree } from '../support/tree.ts';

const core = useTestCore();

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: AppError) => e.code ?? String(e),
  );
}

/** Runs `fn` as the fixture's tenant admin, inside the tenant — a request of its own. */
function asTenant<T>(f: TenantFixture, fn: () => Promise<T>): Promise<T> {
  return runAs(f.tenantActor, () => core().tenancy.inTenant(f.tenantId, fn));
}

describe('policy tree', () => {
  it('creates, pages, walks and counts', async () => {
    const f = await createTenantFixture(core());
    await asTenant(f, async () => {
      const europe = await core().policies.create({ parentId: f.rootPolicyId, name: 'Europe' });
      const paris = await core().policies.create({ parentId: europe.policyId, name: 'Paris' });
      expect((await core().policies.ancestors(paris)).map((p) => p.name)).toEqual(['All devices', 'Europe']);
      const page = await core().policies.list({ first: 2 });
      expect(page.items.map((p) => p.name)).toEqual(['All devices', 'Europe']);
      expect(page.hasNextPage).toBe(true);
      const next = await core().policies.list({ first: 2, after: page.endCursor });
      expect(next.items.map((p) => p.name)).toEqual(['Paris']);
      expect(next.hasNextPage).toBe(false);
      expect((await core().policies.children(f.rootPolicyId, {})).items.map((p) => p.name)).toEqual([
        'Europe',
      ]);
      await expectValidTree(core(), f.tenantId);
    });
  });

  it('refuses cycles, moving the root, and bad page arguments', async () => {
    const f = await createTenantFixture(core());
    await asTenant(f, async () => {
      const a = await core().policies.create({ parentId: f.rootPolicyId, name: 'A' });
      const b = await core().policies.create({ parentId: a.policyId, name: 'B' });
      const c = await core().policies.create({ parentId: b.policyId, name: 'C' });
      expect(await errorCode(core().policies.move(a.policyId, c.policyId))).toBe('POLICY_CYCLE');
      expect(await errorCode(core().policies.move(a.policyId, a.policyId))).toBe('POLICY_CYCLE');
      expect(await errorCode(core().policies.move(f.rootPolicyId, a.policyId))).toBe('POLICY_IS_ROOT');
      expect(await errorCode(core().policies.list({ first: 101 }))).toBe('PAGE_SIZE_TOO_LARGE');
      expect(await errorCode(core().policies.list({ first: 5, after: 'bm90LWEtY3Vyc29y' }))).toBe(
        'INVALID_CURSOR',
      );
      await core().policies.move(c.policyId, f.rootPolicyId);
      await core().policies.move(c.policyId, f.rootPolicyId); // idempotent
      await expectValidTree(core(), f.tenantId);
    });
  });

  it('keeps a tree when concurrent moves would together form a cycle', async () => {
    const f = await createTenantFixture(core());
    let bothSucceeded = 0;
    for (let round = 0; round < 15; round++) {
      const [a, b, c] = await asTenant(f, async () =>
        Promise.all(
          ['A', 'B', 'C'].map((name) =>
            core().policies.create({ parentId: f.rootPolicyId, name: `${name}${round}` }),
          ),
        ),
      ).catch(async () =>
        // Concurrent creates under one parent contend on its childCount; create one by one instead.
        asTenant(f, async () => [
          await core().policies.create({ parentId: f.rootPolicyId, name: `A${round}` }),
          await core().policies.create({ parentId: f.rootPolicyId, name: `B${round}` }),
          await core().policies.create({ parentId: f.rootPolicyId, name: `C${round}` }),
        ]),
      );
      // A under B and B under A at once; and a three-way ring A→B→C→A.
      const pair = await Promise.allSettled([
        asTenant(f, () => core().policies.move(a!.policyId, b!.policyId)),
        asTenant(f, () => core().policies.move(b!.policyId, a!.policyId)),
      ]);
      if (pair.every((r) => r.status === 'fulfilled')) bothSucceeded++;
      for (const r of pair)
        if (r.status === 'rejected') expect(['CONCURRENT_CHANGE', 'POLICY_CYCLE']).toContain(r.reason.code);
      await Promise.allSettled([
        asTenant(f, () => core().policies.move(c!.policyId, a!.policyId)),
        asTenant(f, () => core().policies.move(a!.policyId, c!.policyId)),
        asTenant(f, () => core().policies.move(b!.policyId, c!.policyId)),
      ]);
      await asTenant(f, () => expectValidTree(core(), f.tenantId));
    }
    expect(bothSucceeded).toBe(0);
  });

  it('deletes leaves, refuses parents, and moves children to the parent on request', async () => {
    const f = await createTenantFixture(core());
    await asTenant(f, async () => {
      const region = await core().policies.create({ parentId: f.rootPolicyId, name: 'Region' });
      const site1 = await core().policies.create({ parentId: region.policyId, name: 'Site 1' });
      const site2 = await core().policies.create({ parentId: region.policyId, name: 'Site 2' });
      expect(await errorCode(core().policies.remove(region.policyId))).toBe('POLICY_HAS_CHILDREN');
      expect(await errorCode(core().policies.remove(f.rootPolicyId))).toBe('POLICY_IS_ROOT');
      await core().policies.remove(site2.policyId);
      await core().policies.remove(region.policyId, 'MOVE_TO_PARENT');
      expect((await core().policies.get(site1.policyId)).parentId).toBe(f.rootPolicyId);
      expect(await errorCode(core().policies.get(region.policyId))).toBe('NOT_FOUND');
      await expectValidTree(core(), f.tenantId);
    });
  });

  it('refuses a create under a policy deleted meanwhile, and a stale rename', async () => {
    const f = await createTenantFixture(core());
    await asTenant(f, async () => {
      const doomed = await core().policies.create({ parentId: f.rootPolicyId, name: 'Doomed' });
      const results = await Promise.allSettled([
        asTenant(f, () => core().policies.remove(doomed.policyId)),
        asTenant(f, () => core().policies.create({ parentId: doomed.policyId, name: 'Child' })),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
      await expectValidTree(core(), f.tenantId);

      const p = await core().policies.create({ parentId: f.rootPolicyId, name: 'Before' });
      await core().policies.rename(p.policyId, { name: 'After', expectedVersion: p.version });
      expect(
        await errorCode(core().policies.rename(p.policyId, { name: 'Lost', expectedVersion: p.version })),
      ).toBe('VERSION_MISMATCH');
      expect((await core().policies.get(p.policyId)).name).toBe('After');
    });
  });
});
