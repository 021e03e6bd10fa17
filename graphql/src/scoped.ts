/** Global ids of tenant-scoped objects: decode, enter their tenant, run. */
import { decodeScopedId, type EntityKind } from '@ade/core';
import type { GraphQLContext } from './context.ts';

/** Runs `fn` with the local id, inside the tenant the global id names (NOT_FOUND if not visible). */
export function inScope<T>(
  ctx: GraphQLContext,
  kind: EntityKind,
  globalId: string,
  fn: (id: string, tenantId: string) => Promise<T>,
) {
  const { tenantId, id } = decodeScopedId(kind, globalId);
  return ctx.inTenant(tenantId, () => fn(id, tenantId));
}

/** The local id of a second global id in the same mutation, which must name the same tenant. */
export function sameTenantId(kind: EntityKind, globalId: string, tenantId: string): string {
  const decoded = decodeScopedId(kind, globalId);
  // Another tenant's id is simply not found here.
  return decoded.tenantId === tenantId ? decoded.id : `${decoded.id.slice(0, 4)}${'0'.repeat(26)}`;
}
