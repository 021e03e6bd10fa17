/** Tenants: a partner's client organisations, each created with its root policy. */
import * as z from 'zod/mini';
import { auditPut } from './audit.ts';
import { authorize } from './authz.ts';
import { describeActor, useActor } from './context.ts';
import type { AdeService, TenantItem } from './entities/service.ts';
import { AppError } from './errors.ts';
import { isIdOf, newId, parseId } from './ids.ts';
import { type PageArgs, paginate } from './pagination.ts';
import type { Tenancy } from './tenancy.ts';
import { commit, failedAt } from './transaction.ts';
import { nameSchema, parseInput, versionSchema } from './validation.ts';

const createSchema = z.object({ name: nameSchema, rootPolicyName: z._default(nameSchema, 'All devices') });
const renameSchema = z.object({ name: nameSchema, expectedVersion: versionSchema });

export function tenantOperations(service: AdeService, tenancy: Tenancy) {
  const { tenant } = service.entities;

  /** The partner acting: a partner key, or a trusted script naming the partner. */
  function actingPartner(partnerId?: string): string {
    const actor = useActor();
    if (actor.kind === 'partner') return actor.partnerId;
    if (actor.kind === 'system' && partnerId) return parseId('partner', partnerId);
    throw AppError.forbidden('Only a partner key can create tenants.');
  }

  /** Reads a tenant the actor may see (inside or outside its context). */
  function get(tenantId: string): Promise<TenantItem> {
    return tenancy.inTenant(tenantId, async () => {
      const item = await tenancy.loadTenant(tenantId);
      if (!item) throw AppError.notFound(`Tenant ${tenantId}`);
      return item;
    });
  }

  return {
    get,

    async create(input: { name: string; rootPolicyName?: string | null }, partnerIdForSystem?: string) {
      const partnerId = actingPartner(partnerIdForSystem);
      authorize(useActor(), 'tenant:create', { kind: 'partner', partnerId });
      const { name, rootPolicyName } = parseInput(createSchema, {
        ...input,
        rootPolicyName: input.rootPolicyName ?? undefined,
      });
      const tenantId = newId('tenant');
      const rootPolicyId = newId('policy');
      const createdBy = describeActor(useActor()).id;
      await commit(
        service,
        (e) => [
          e.partner
            .check({ partnerId })
            .where((a, { exists }) => exists(a.partnerId))
            .commit(),
          e.tenant.create({ tenantId, partnerId, name, rootPolicyId, createdBy }).commit(),
          e.policy
            .create({ tenantId, policyId: rootPolicyId, parentKey: 'ROOT', name: rootPolicyName, createdBy })
            .commit(),
          auditPut(e, {
            scope: { tenantId, partnerId },
            action: 'tenant.create',
            targetType: 'Tenant',
            targetId: tenantId,
            details: { name },
          }),
        ],
        (codes) => (failedAt(codes, 0) ? AppError.notFound(`Partner ${partnerId}`) : undefined),
      );
      return (await tenant.get({ tenantId }).go()).data!;
    },

    async rename(
      tenantId: string,
      input: { name: string; expectedVersion?: number | null },
    ): Promise<TenantItem> {
      return tenancy.inTenant(tenantId, async () => {
        const current = await get(tenantId);
        authorize(useActor(), 'tenant:rename', { kind: 'tenant', tenantId, partnerId: current.partnerId });
        const { name, expectedVersion } = parseInput(renameSchema, {
          ...input,
          expectedVersion: input.expectedVersion ?? undefined,
        });
        if (expectedVersion !== undefined && expectedVersion !== current.version)
          throw AppError.versionMismatch('The tenant', current.version);
        if (current.name === name) return current;
        await commit(
          service,
          (e) => [
            e.tenant
              .patch({ tenantId })
              .set({ name })
              .add({ version: 1 })
              .where((a, { eq }) => eq(a.version, current.version))
              .commit(),
            auditPut(e, {
              scope: { tenantId, partnerId: current.partnerId },
              action: 'tenant.rename',
              targetType: 'Tenant',
              targetId: tenantId,
              details: { from: current.name, to: name },
            }),
          ],
          (codes) =>
            failedAt(codes, 0) ? AppError.versionMismatch('The tenant', current.version + 1) : undefined,
        );
        return { ...current, name, version: current.version + 1 };
      });
    },

    async listForPartner(partnerId: string, args: PageArgs) {
      parseId('partner', partnerId);
      authorize(useActor(), 'tenant:list', { kind: 'partner', partnerId });
      return paginate(
        args,
        (item: TenantItem) => item.tenantId,
        (value) => isIdOf('tenant', value),
        async (after, limit) => {
          const query = tenant.query.byPartner({ partnerId });
          const { data } = await (after ? query.gt({ tenantId: after }) : query).go({ limit });
          return data;
        },
      );
    },
  };
}

export type TenantOperations = ReturnType<typeof tenantOperations>;
