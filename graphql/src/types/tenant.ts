import type { TenantItem } from '@ade/core';
import { builder } from '../builder.ts';
import { connectionType, pageArgs } from '../connection.ts';
import type { GraphQLContext } from '../context.ts';
import { asPayload, payloadType } from '../errors.ts';
import { nameText } from '../plain-text.ts';
import {
  AdeConfigurationRef,
  AdeTokenRef,
  NodeRef,
  PolicyRef,
  type TenantModel,
  TenantRef,
} from '../refs.ts';
import { ApiKeyConnection } from './api-key.ts';
import { AuditEventConnection } from './audit-event.ts';
import { PolicyConnection } from './policy.ts';

/** The tenant item (read at most once per request: core memoizes it). */
function item(tenant: TenantModel, ctx: GraphQLContext): Promise<TenantItem> {
  return 'stub' in tenant ? ctx.core.tenants.get(tenant.tenantId) : Promise.resolve(tenant);
}

/** A tenant the actor may see, without reading it (fields read it when they need it). */
export function tenantStub(ctx: GraphQLContext, tenantId: string): Promise<TenantModel> {
  return ctx.inTenant(tenantId, async () => ({ tenantId, stub: true as const }));
}

TenantRef.implement({
  description: 'A client organisation of a partner. Owns a policy tree, keys and audit events.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID('tenantId'),
    name: t.string({ resolve: async (tenant, _args, ctx) => (await item(tenant, ctx)).name }),
    version: t.int({ resolve: async (tenant, _args, ctx) => (await item(tenant, ctx)).version }),
    partnerId: t.id({ resolve: async (tenant, _args, ctx) => (await item(tenant, ctx)).partnerId }),
    policyCount: t.int({ resolve: async (tenant, _args, ctx) => (await item(tenant, ctx)).policyCount }),
    rootPolicy: t.field({
      type: PolicyRef,
      resolve: async (tenant, _args, ctx) => {
        const { tenantId, rootPolicyId } = await item(tenant, ctx);
        const root = await ctx.loaders.policy.load({ tenantId, policyId: rootPolicyId });
        if (!root) throw new Error(`tenant ${tenantId} has no root policy`);
        return root;
      },
    }),
    policies: t.field({
      type: PolicyConnection,
      description: 'Every policy of the tenant in creation order (use rootPolicy/children to walk the tree).',
      args: pageArgs,
      resolve: async (tenant, args, ctx) => ({
        page: await ctx.inTenant(tenant.tenantId, () => ctx.core.policies.list(args)),
        totalCount: async () => (await item(tenant, ctx)).policyCount,
      }),
    }),
    adeConfigurations: t.field({
      type: [AdeConfigurationRef],
      description: 'Every ADE configuration of the tenant (at most one per policy).',
      resolve: (tenant, _args, ctx) => ctx.inTenant(tenant.tenantId, () => ctx.core.adeConfigurations.list()),
    }),
    adeTokens: t.field({
      type: [AdeTokenRef],
      resolve: (tenant, _args, ctx) => ctx.inTenant(tenant.tenantId, () => ctx.core.adeTokens.list()),
    }),
    apiKeys: t.field({
      type: ApiKeyConnection,
      args: pageArgs,
      resolve: async (tenant, args, ctx) => ({ page: await ctx.core.apiKeys.listFor(tenant.tenantId, args) }),
    }),
    auditEvents: t.field({
      type: AuditEventConnection,
      description: 'Newest first. Filter by the person (enrollment steps) or the action.',
      args: {
        ...pageArgs,
        filter: t.arg({
          required: false,
          type: builder.inputType('AuditEventFilter', {
            fields: (f) => ({
              managedAppleId: f.string({
                required: false,
                description: 'Enrollment steps of this Managed Apple Account.',
              }),
              action: f.string({
                required: false,
                description: 'e.g. enrollment.authenticate, checkin.Authenticate, policy.move',
              }),
            }),
          }),
        }),
      },
      resolve: async (tenant, { filter, ...args }, ctx) => ({
        page: await ctx.inTenant(tenant.tenantId, () => ctx.core.audit.listForTenant(args, filter ?? {})),
      }),
    }),
    createdAt: t.field({
      type: 'DateTime',
      resolve: async (tenant, _args, ctx) => (await item(tenant, ctx)).createdAt,
    }),
    updatedAt: t.field({
      type: 'DateTime',
      resolve: async (tenant, _args, ctx) => (await item(tenant, ctx)).updatedAt,
    }),
  }),
});

export const TenantConnection = connectionType<TenantModel>('Tenant', TenantRef);

builder.queryField('tenant', (t) =>
  t.field({
    type: TenantRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => tenantStub(ctx, String(args.id)),
  }),
);

const TenantPayload = payloadType('TenantPayload', 'tenant', TenantRef);

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: TenantPayload,
    description: 'Creates a tenant of the calling partner, with its root policy.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreateTenantInput', {
          fields: (f) => ({
            name: f.string({ required: true, description: nameText() }),
            rootPolicyName: f.string({
              required: false,
              description: nameText('The root policy\'s name, default "All devices"'),
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({ tenant: await ctx.core.tenants.create(input) })),
  }),
  renameTenant: t.field({
    type: TenantPayload,
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RenameTenantInput', {
          fields: (f) => ({
            id: f.id({ required: true }),
            name: f.string({ required: true, description: nameText() }),
            expectedVersion: f.int({ required: false }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        tenant: await ctx.core.tenants.rename(String(input.id), {
          name: input.name,
          expectedVersion: input.expectedVersion,
        }),
      })),
  }),
}));
