/**
 * The demo: an operator key, a partner ("Demo MSP") with an ADMIN key, a tenant ("Demo Organisation")
 * with ADMIN and READ_ONLY keys, and a small policy tree. Idempotent: it finds what exists by name and
 * creates only what is missing, and it reuses the keys of the previous run when they still work
 * (secrets are stored hashed, so a lost key is replaced, never recovered).
 */
import { type Actor, AppError, type Core, runAs } from '@ade/core';

export interface DemoCredentials {
  operatorKey: string;
  partnerKey: string;
  tenantKey: string;
  tenantReadOnlyKey: string;
  partnerId: string;
  tenantId: string;
}

const seeder: Actor = { kind: 'system', role: 'ADMIN', name: 'demo-seed' };
const TREE: Record<string, string[]> = {
  'All devices': ['Europe', 'North America'],
  Europe: ['Paris', 'Berlin'],
};

export async function seedDemo(core: Core, previous?: Partial<DemoCredentials>): Promise<DemoCredentials> {
  return runAs(seeder, async () => {
    const partner =
      (await findPartner(core, 'Demo MSP')) ??
      (await core.partners.create({ name: 'Demo MSP', firstKeyName: null })).partner;
    const partnerId = partner.partnerId;
    const tenant =
      (await findTenant(core, partnerId, 'Demo Organisation')) ??
      (await core.tenants.create({ name: 'Demo Organisation' }, partnerId));
    const tenantId = tenant.tenantId;
    await core.tenancy.inTenant(tenantId, () => ensureTree(core, tenant.rootPolicyId));

    const reuse = async (key: string | undefined, expected: Partial<Actor>) => {
      if (!key) return undefined;
      try {
        const actor = await core.apiKeys.authenticate(key);
        return Object.entries(expected).every(([k, v]) => (actor as Record<string, unknown>)[k] === v)
          ? key
          : undefined;
      } catch (error) {
        if (error instanceof AppError) return undefined;
        throw error;
      }
    };
    const operatorKey =
      (await reuse(previous?.operatorKey, { kind: 'operator' })) ??
      (await core.apiKeys.create({ kind: 'operator' }, { name: 'Demo operator', role: 'ADMIN' })).secret;
    const partnerKey =
      (await reuse(previous?.partnerKey, { kind: 'partner', partnerId })) ??
      (
        await core.apiKeys.create(
          { kind: 'partner', partnerId },
          { name: 'Demo partner admin', role: 'ADMIN' },
        )
      ).secret;
    const tenantKey =
      (await reuse(previous?.tenantKey, { kind: 'tenant', tenantId, role: 'ADMIN' })) ??
      (await core.apiKeys.createFor(tenantId, { name: 'Demo tenant admin', role: 'ADMIN' })).secret;
    const tenantReadOnlyKey =
      (await reuse(previous?.tenantReadOnlyKey, { kind: 'tenant', tenantId, role: 'READ_ONLY' })) ??
      (await core.apiKeys.createFor(tenantId, { name: 'Demo tenant reader', role: 'READ_ONLY' })).secret;
    return { operatorKey, partnerKey, tenantKey, tenantReadOnlyKey, partnerId, tenantId };
  });
}

async function findPartner(core: Core, name: string) {
  for (let after: string | null = null; ; ) {
    const page = await core.partners.list({ first: 100, after });
    const found = page.items.find((item) => item.name === name);
    if (found || !page.hasNextPage) return found;
    after = page.endCursor;
  }
}

async function findTenant(core: Core, partnerId: string, name: string) {
  for (let after: string | null = null; ; ) {
    const page = await core.tenants.listForPartner(partnerId, { first: 100, after });
    const found = page.items.find((item) => item.name === name);
    if (found || !page.hasNextPage) return found;
    after = page.endCursor;
  }
}

/** Creates the missing policies of TREE below the root, by name. */
async function ensureTree(core: Core, rootPolicyId: string): Promise<void> {
  const root = await core.policies.get(rootPolicyId);
  const visit = async (parentId: string, parentName: string) => {
    const existing = (await core.policies.children(parentId, { first: 100 })).items;
    for (const name of TREE[parentName] ?? []) {
      const child =
        existing.find((item) => item.name === name) ?? (await core.policies.create({ parentId, name }));
      await visit(child.policyId, name);
    }
  };
  await visit(root.policyId, 'All devices');
}
