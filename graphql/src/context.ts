/**
 * A fresh context per request: the core, the authenticated actor, and dataloaders that batch the
 * reads of one request (e.g. every policy's parent on a page in one BatchGetItem).
 */
import type { Actor, Core, PolicyItem } from '@ade/core';
import DataLoader from 'dataloader';

export interface GraphQLContext {
  core: Core;
  actor: Actor;
  requestId: string;
  loaders: ReturnType<typeof createLoaders>;
  /** Runs `fn` inside `tenantId` after checking the actor may see it (core's only door into a tenant). */
  inTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T>;
}

export function createContext(core: Core, actor: Actor, requestId: string): GraphQLContext {
  return {
    core,
    actor,
    requestId,
    loaders: createLoaders(core),
    inTenant: (tenantId, fn) => core.tenancy.inTenant(tenantId, fn),
  };
}

type PolicyKey = { tenantId: string; policyId: string };

function createLoaders(core: Core) {
  return {
    policy: new DataLoader<PolicyKey, PolicyItem | null, string>(
      async (keys) => {
        const groups = new Map<string, string[]>();
        for (const { tenantId, policyId } of keys)
          groups.set(tenantId, [...(groups.get(tenantId) ?? []), policyId]);
        const found = new Map<string, PolicyItem | null>();
        for (const [tenantId, ids] of groups) {
          const items = await core.tenancy.inTenant(tenantId, () => core.policies.getMany(ids));
          for (const [index, id] of ids.entries()) found.set(`${tenantId}|${id}`, items[index] ?? null);
        }
        return keys.map((key) => found.get(`${key.tenantId}|${key.policyId}`) ?? null);
      },
      { cacheKeyFn: (key) => `${key.tenantId}|${key.policyId}` },
    ),
  };
}
