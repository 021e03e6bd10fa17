import { decodeScopedId, encodeScopedId, MAX_POLICY_DEPTH, type PolicyItem } from '@ade/core';
import { builder } from '../builder.ts';
import { connectionType, pageArgs } from '../connection.ts';
import { asPayload, payloadType, UserError, type UserErrorShape } from '../errors.ts';
import type { CostExtensions } from '../limits.ts';
import { nameText } from '../plain-text.ts';
import { AdeConfigurationRef, AdeTokenRef, NodeRef, PolicyRef, TenantRef } from '../refs.ts';

export const policyId = (item: PolicyItem) => encodeScopedId(item.tenantId, item.policyId);

PolicyRef.implement({
  description: "A node of a tenant's policy tree. Devices belong to a policy; children inherit payloads.",
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: policyId }),
    name: t.exposeString('name'),
    version: t.exposeInt('version', {
      description: 'Increases on every change; pass it as expectedVersion to avoid lost updates.',
    }),
    isRoot: t.boolean({ resolve: (p) => !p.parentId }),
    parentId: t.id({
      nullable: true,
      resolve: (p) => (p.parentId ? encodeScopedId(p.tenantId, p.parentId) : null),
    }),
    parent: t.field({
      type: PolicyRef,
      nullable: true,
      resolve: (p, _args, ctx) =>
        p.parentId ? ctx.loaders.policy.load({ tenantId: p.tenantId, policyId: p.parentId }) : null,
    }),
    childCount: t.exposeInt('childCount'),
    children: t.field({
      type: PolicyConnection,
      args: pageArgs,
      resolve: async (p, args, ctx) => ({
        page: await ctx.inTenant(p.tenantId, () => ctx.core.policies.children(p.policyId, args)),
        totalCount: async () => p.childCount,
      }),
    }),
    ancestors: t.field({
      type: [PolicyRef],
      description: 'From the root down to the parent (empty for the root).',
      extensions: { listSize: MAX_POLICY_DEPTH } satisfies CostExtensions,
      resolve: (p, _args, ctx) => ctx.inTenant(p.tenantId, () => ctx.core.policies.ancestors(p)),
    }),
    path: t.string({
      description: 'Names from the root, e.g. "All devices / Europe / Paris".',
      resolve: async (p, _args, ctx) => {
        const chain = await ctx.inTenant(p.tenantId, () => ctx.core.policies.ancestors(p));
        return [...chain, p].map((item) => item.name).join(' / ');
      },
    }),
    depth: t.int({
      resolve: async (p, _args, ctx) =>
        (await ctx.inTenant(p.tenantId, () => ctx.core.policies.ancestors(p))).length,
    }),
    tenant: t.field({ type: TenantRef, resolve: (p, _args, ctx) => ctx.core.tenants.get(p.tenantId) }),
    adeConfiguration: t.field({
      type: AdeConfigurationRef,
      nullable: true,
      description: 'The ADE configuration attached to this policy (not inherited).',
      resolve: (p, _args, ctx) =>
        p.adeConfigurationId
          ? ctx.inTenant(p.tenantId, () => ctx.core.adeConfigurations.get(p.adeConfigurationId!))
          : null,
    }),
    adeTokens: t.field({
      type: [AdeTokenRef],
      description: 'ADE tokens assigned directly to this policy (not inherited).',
      resolve: (p, _args, ctx) =>
        p.tokenCount ? ctx.inTenant(p.tenantId, () => ctx.core.adeTokens.listForPolicy(p.policyId)) : [],
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const PolicyConnection = connectionType('Policy', PolicyRef, true);

/** Loads a policy by global id, inside its tenant (NOT_FOUND if the actor cannot see that tenant). */
export function loadPolicy(
  ctx: {
    inTenant: <T>(id: string, fn: () => Promise<T>) => Promise<T>;
    core: { policies: { get(id: string): Promise<PolicyItem> } };
  },
  globalId: string,
) {
  const { tenantId, id } = decodeScopedId('policy', globalId);
  return ctx.inTenant(tenantId, () => ctx.core.policies.get(id));
}

builder.queryField('policy', (t) =>
  t.field({
    type: PolicyRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => loadPolicy(ctx, String(args.id)),
  }),
);

const ChildrenOnDelete = builder.enumType('ChildrenOnDelete', {
  values: {
    REFUSE: { description: 'Refuse to delete a policy that has children (POLICY_HAS_CHILDREN).' },
    MOVE_TO_PARENT: { description: "Move the children to the deleted policy's parent, atomically." },
  },
});

const PolicyPayload = payloadType('PolicyPayload', 'policy', PolicyRef);

/** Runs `fn` in the tenant of a global policy id with the decoded local id. */
function inPolicyTenant<T>(
  ctx: Parameters<typeof loadPolicy>[0],
  globalId: string,
  fn: (policyId: string, tenantId: string) => Promise<T>,
) {
  const { tenantId, id } = decodeScopedId('policy', globalId);
  return ctx.inTenant(tenantId, () => fn(id, tenantId));
}

/** A second policy id of the same mutation must name the same tenant. */
function sameTenant(globalId: string, tenantId: string): string {
  const decoded = decodeScopedId('policy', globalId);
  return decoded.tenantId === tenantId ? decoded.id : `pol_${'0'.repeat(26)}`; // never found: NOT_FOUND
}

builder.mutationFields((t) => ({
  createPolicy: t.field({
    type: PolicyPayload,
    description: 'Creates a policy under a parent.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreatePolicyInput', {
          fields: (f) => ({
            parentId: f.id({ required: true }),
            name: f.string({ required: true, description: nameText() }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        policy: await inPolicyTenant(ctx, String(input.parentId), (parentId) =>
          ctx.core.policies.create({ parentId, name: input.name }),
        ),
      })),
  }),
  renamePolicy: t.field({
    type: PolicyPayload,
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RenamePolicyInput', {
          fields: (f) => ({
            id: f.id({ required: true }),
            name: f.string({ required: true, description: nameText() }),
            expectedVersion: f.int({
              required: false,
              description: 'Refuse (VERSION_MISMATCH) unless the policy is at this version.',
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        policy: await inPolicyTenant(ctx, String(input.id), (id) =>
          ctx.core.policies.rename(id, { name: input.name, expectedVersion: input.expectedVersion }),
        ),
      })),
  }),
  movePolicy: t.field({
    type: PolicyPayload,
    description: 'Moves a policy (with its subtree) under another policy of the same tenant. Idempotent.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('MovePolicyInput', {
          fields: (f) => ({ id: f.id({ required: true }), parentId: f.id({ required: true }) }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        policy: await inPolicyTenant(ctx, String(input.id), (id, tenantId) =>
          ctx.core.policies.move(id, sameTenant(String(input.parentId), tenantId)),
        ),
      })),
  }),
  deletePolicy: t.field({
    type: builder
      .objectRef<{ deletedPolicyId?: string; errors: UserErrorShape[] }>('DeletePolicyPayload')
      .implement({
        fields: (p) => ({
          deletedPolicyId: p.id({ nullable: true, resolve: (r) => r.deletedPolicyId ?? null }),
          errors: p.field({ type: [UserError], resolve: (r) => r.errors }),
        }),
      }),
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('DeletePolicyInput', {
          fields: (f) => ({
            id: f.id({ required: true }),
            children: f.field({ type: ChildrenOnDelete, required: false, defaultValue: 'REFUSE' }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => {
        const deleted = await inPolicyTenant(ctx, String(input.id), (id) =>
          ctx.core.policies.remove(id, input.children ?? 'REFUSE'),
        );
        return { deletedPolicyId: policyId(deleted) };
      }),
  }),
}));
