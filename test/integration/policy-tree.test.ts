import { AppError, runAs } from '@ade/core';
import { describe, expect, it } from 'vitest';
import { createTenantFixture, useTestCore } from '../support/core.ts';

const core = useTestCore();

async function expectError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

describe('policy tree', () => {
  it('creates, lists and walks a tree', async () => {
    const f = await createTenantFixture(core());
    await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, async () => {
        const europe = await core().policies.create({ parentId: f.rootPolicyId, name: 'Europe' });
        const paris = await core().policies.create({ parentId: europe.policyId, name: 'Paris' });
        const path = await core().policies.ancestors(paris);
        expect(path.map((p) => p.name)).toEqual(['All devices', 'Europe']);
        const page = await core().policies.list({ first: 2 });
        expect(page.items).toHaveLength(2);
        expect(page.hasNextPage).toBe(true);
        const next = await core().policies.list({ first: 2, after: page.endCursor });
        expect(next.items.map((p) => p.name)).toEqual(['Paris']);
        expect(next.hasNextPage).toBe(false);
        const kids = await core().policies.children(f.rootPolicyId, {});
        expect(kids.items.map((p) => p.name)).toEqual(['Europe']);
        const root = await core().policies.get(f.rootPolicyId);
        expect(root.childCount).toBe(1);
      }),
    );
  });

  it('refuses a cycle and moves atomically', async () => {
    const f = await createTenantFixture(core());
    await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, async () => {
        const a = await core().policies.create({ parentId: f.rootPolicyId, name: 'A' });
        const b = await core().policies.create({ parentId: a.policyId, name: 'B' });
        await expectError(core().policies.move(a.policyId, b.policyId), 'POLICY_CYCLE');
        await expectError(core().policies.move(f.rootPolicyId, a.policyId), 'POLICY_IS_ROOT');
        await core().policies.move(b.policyId, f.rootPolicyId);
        expect((await core().policies.get(a.policyId)).childCount).toBe(0);
        expect((await core().policies.get(f.rootPolicyId)).childCount).toBe(2);
      }),
    );
  });
});
