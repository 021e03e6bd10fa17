/**
 * The only door into a tenant. `inTenant(tenantId, fn)` checks that the acting key may see that
 * tenant (its own tenant, or a tenant of its partner) and only then runs `fn` with the tenant in
 * context; every tenant-scoped operation builds its keys from that context (`useTenantId()`), which
 * throws anywhere else. A tenant the actor may not see is NOT_FOUND, whether or not it exists.
 */
import { type Action, authorize } from './authz.ts';
import { memo, runInAuthorizedTenant, useActor, useTenant } from './context.ts';
import type { AdeService, TenantItem } from './entities/service.ts';
import { AppError } from './errors.ts';
import { parseId } from './ids.ts';

export function tenancyOperations(service: AdeService) {
  const { tenant } = service.entities;

  /** The tenant item, read at most once per request. */
  function loadTenant(tenantId: string): Promise<TenantItem | null> {
    return memo(`tenant:${tenantId}`, async () => (await tenant.get({ tenantId }).go()).data);
  }

  async function inTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    parseId('tenant', tenantId);
    const actor = useActor();
    let partnerId: string;
    if (actor.kind === 'tenant') {
      // The key itself says which tenant it belongs to: no read needed.
      if (actor.tenantId !== tenantId) throw AppError.notFound(`Tenant ${tenantId}`);
      partnerId = actor.partnerId;
    } else if (actor.kind === 'partner' || actor.kind === 'system') {
      const item = await loadTenant(tenantId);
      if (!item) throw AppError.notFound(`Tenant ${tenantId}`);
      partnerId = item.partnerId;
    } else {
      throw AppError.notFound(`Tenant ${tenantId}`);
    }
    authorize(actor, 'tenant:read', { kind: 'tenant', tenantId, partnerId });
    return runInAuthorizedTenant({ tenantId, partnerId }, fn);
  }

  return { inTenant, loadTenant };
}

/** Inside `inTenant`: may the actor perform `action` here? Returns the tenant id for keys. */
export function authorizeInTenant(action: Action): string {
  const tenant = useTenant();
  authorize(useActor(), action, { kind: 'tenant', ...tenant });
  return tenant.tenantId;
}

export type Tenancy = ReturnType<typeof tenancyOperations>;
