/**
 * Reading a tenant's policy tree. All functions run inside `inTenant` and build keys from it.
 */
import { memo } from '../context.ts';
import type { AdeService, PolicyItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { isIdOf } from '../ids.ts';
import { type PageArgs, paginate } from '../pagination.ts';
import { authorizeInTenant } from '../tenancy.ts';

/** Deepest level a policy may sit at (root = 0). Bounds the ancestor checks a move puts in its transaction. */
export const MAX_DEPTH = 40;

export function policyReads(service: AdeService) {
  const { policy } = service.entities;

  /** One policy by id; memoized per request so walks and resolvers share reads. */
  function load(tenantId: string, policyId: string): Promise<PolicyItem | null> {
    return memo(
      `policy:${tenantId}:${policyId}`,
      async () => (await policy.get({ tenantId, policyId }).go()).data,
    );
  }

  async function get(policyId: string): Promise<PolicyItem> {
    const tenantId = authorizeInTenant('policy:read');
    if (!isIdOf('policy', policyId)) throw AppError.notFound(`Policy ${policyId}`);
    const item = await load(tenantId, policyId);
    if (!item) throw AppError.notFound(`Policy ${policyId}`);
    return item;
  }

  /** Many policies in one BatchGetItem per 100 ids; missing ones are null, in input order. */
  async function getMany(policyIds: readonly string[]): Promise<(PolicyItem | null)[]> {
    const tenantId = authorizeInTenant('policy:read');
    const valid = [...new Set(policyIds.filter((id) => isIdOf('policy', id)))];
    const found = new Map<string, PolicyItem>();
    for (let i = 0; i < valid.length; i += 100) {
      const keys = valid.slice(i, i + 100).map((policyId) => ({ tenantId, policyId }));
      const { data } = await policy.get(keys).go({ preserveBatchOrder: false });
      for (const item of data) if (item) found.set(item.policyId, item);
    }
    return policyIds.map((id) => found.get(id) ?? null);
  }

  /** From the root down to the parent of `item` (empty for the root). One read per level. */
  async function ancestors(item: PolicyItem): Promise<PolicyItem[]> {
    const chain: PolicyItem[] = [];
    let parentId = item.parentId;
    while (parentId) {
      if (chain.length > MAX_DEPTH + 1)
        throw new Error(`policy tree deeper than ${MAX_DEPTH} at ${item.policyId}`);
      const parent = await get(parentId);
      chain.unshift(parent);
      parentId = parent.parentId;
    }
    return chain;
  }

  function children(policyId: string, args: PageArgs) {
    const tenantId = authorizeInTenant('policy:read');
    return paginate(
      args,
      (item: PolicyItem) => item.policyId,
      (value) => isIdOf('policy', value),
      async (after, limit) => {
        const query = policy.query.childrenOf({ tenantId, parentKey: policyId });
        const { data } = await (after ? query.gt({ policyId: after }) : query).go({ limit });
        return data;
      },
    );
  }

  /** Every policy of the tenant, in creation order. */
  function list(args: PageArgs) {
    const tenantId = authorizeInTenant('policy:read');
    return paginate(
      args,
      (item: PolicyItem) => item.policyId,
      (value) => isIdOf('policy', value),
      async (after, limit) => {
        const query = policy.query.byTenant({ tenantId });
        const { data } = await (after ? query.gt({ policyId: after }) : query).go({ limit });
        return data;
      },
    );
  }

  return { get, getMany, ancestors, children, list, load };
}

export type PolicyReads = ReturnType<typeof policyReads>;
