import type { Core, PolicyItem } from '@ade/core';
import { expect } from 'vitest';

/** Every policy of the current tenant (inside inTenant). */
export async function allPolicies(core: Core): Promise<PolicyItem[]> {
  const items: PolicyItem[] = [];
  for (let after: string | null = null; ; ) {
    const page = await core.policies.list({ first: 100, after });
    items.push(...page.items);
    if (!page.hasNextPage) return items;
    after = page.endCursor;
  }
}

/**
 * Asserts the tenant's policies form one tree: one root, every parent exists, every node reaches
 * the root (no cycle), and the kept counters (childCount, the tenant's policyCount) are exact.
 */
export async function expectValidTree(core: Core, tenantId: string): Promise<PolicyItem[]> {
  const items = await allPolicies(core);
  const byId = new Map(items.map((item) => [item.policyId, item]));
  const roots = items.filter((item) => !item.parentId);
  expect(roots).toHaveLength(1);
  for (const item of items) {
    const seen = new Set<string>();
    let current: PolicyItem | undefined = item;
    while (current?.parentId) {
      expect(seen.has(current.policyId), `cycle through ${current.policyId}`).toBe(false);
      seen.add(current.policyId);
      current = byId.get(current.parentId);
      expect(current, `parent of ${item.policyId} exists`).toBeDefined();
    }
    expect(current?.policyId).toBe(roots[0]!.policyId);
    const children = items.filter((other) => other.parentId === item.policyId).length;
    expect(item.childCount, `childCount of ${item.name}`).toBe(children);
  }
  const tenant = await core.tenancy.loadTenant(tenantId);
  expect(tenant?.policyCount).toBe(items.length);
  return items;
}
