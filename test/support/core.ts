/** Fluent fixtures over a real (local) database: a partner with tenants and keys, in one call. */
import { type Actor, type Core, createCore, runAs } from '@ade/core';
import { useTestDatabase } from './database.ts';

export const system: Actor = { kind: 'system', role: 'ADMIN', name: 'test' };

export function asSystem<T>(fn: () => Promise<T>): Promise<T> {
  return runAs(system, fn);
}

/** Registers this file's table and returns a getter for a core bound to it. */
export function useTestCore(): () => Core {
  const db = useTestDatabase();
  let core: Core | undefined;
  return () => {
    core ??= createCore(db());
    return core;
  };
}

export interface TenantFixture {
  partnerId: string;
  tenantId: string;
  rootPolicyId: string;
  partnerKey: string;
  tenantAdminKey: string;
  tenantReadOnlyKey: string;
  partnerActor: Actor;
  tenantActor: Actor;
  readOnlyActor: Actor;
}

/** A partner, one tenant, an ADMIN partner key and ADMIN/READ_ONLY tenant keys. */
export async function createTenantFixture(core: Core, name = 'Acme'): Promise<TenantFixture> {
  return asSystem(async () => {
    const { partner, secret: partnerKey } = await core.partners.create({ name: `${name} MSP` });
    const tenant = await core.tenants.create({ name }, partner.partnerId);
    const tenantOwner = { kind: 'tenant', tenantId: tenant.tenantId, partnerId: partner.partnerId } as const;
    const admin = await core.tenancy.inTenant(tenant.tenantId, () =>
      core.apiKeys.create(tenantOwner, { name: 'admin', role: 'ADMIN' }),
    );
    const readOnly = await core.tenancy.inTenant(tenant.tenantId, () =>
      core.apiKeys.create(tenantOwner, { name: 'reader', role: 'READ_ONLY' }),
    );
    const partnerActor = await core.apiKeys.authenticate(partnerKey!);
    return {
      partnerId: partner.partnerId,
      tenantId: tenant.tenantId,
      rootPolicyId: tenant.rootPolicyId,
      partnerKey: partnerKey!,
      tenantAdminKey: admin.secret,
      tenantReadOnlyKey: readOnly.secret,
      partnerActor,
      tenantActor: await core.apiKeys.authenticate(admin.secret),
      readOnlyActor: await core.apiKeys.authenticate(readOnly.secret),
    };
  });
}
