import { type ApiKeyItem, encodeKeyId } from '@ade/core';
import { builder } from '../builder.ts';
import { connectionType } from '../connection.ts';
import { asPayload, payloadType, UserError, type UserErrorShape } from '../errors.ts';
import { nameText } from '../plain-text.ts';
import { ApiKeyRef, NodeRef } from '../refs.ts';

export const RoleEnum = builder.enumType('Role', {
  values: {
    ADMIN: { description: 'May read and change everything in its scope.' },
    READ_ONLY: { description: 'May only read.' },
  },
});

const ApiKeyOwnerKind = builder.enumType('ApiKeyOwnerKind', {
  values: ['OPERATOR', 'PARTNER', 'TENANT'] as const,
});

ApiKeyRef.implement({
  description: 'An API key. Its secret is shown once, at creation, and only a hash is stored.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (key) => encodeKeyId(key) }),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (key) => key.role }),
    ownerKind: t.field({ type: ApiKeyOwnerKind, resolve: (key) => key.ownerKind.toUpperCase() as 'TENANT' }),
    ownerId: t.id({ nullable: true, resolve: (key) => key.tenantId ?? key.partnerId ?? null }),
    hint: t.string({ description: 'The last four characters of the secret.', resolve: (key) => key.hint }),
    revoked: t.boolean({ resolve: (key) => Boolean(key.revokedAt) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Updated at most once a minute.',
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const ApiKeyConnection = connectionType<ApiKeyItem>('ApiKey', ApiKeyRef);

type CreateApiKeyResult = { apiKey?: ApiKeyItem; secret?: string; errors: UserErrorShape[] };

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: builder.objectRef<CreateApiKeyResult>('CreateApiKeyPayload').implement({
      fields: (p) => ({
        apiKey: p.field({ type: ApiKeyRef, nullable: true, resolve: (r) => r.apiKey ?? null }),
        secret: p.string({
          nullable: true,
          description: 'Shown once: store it now.',
          resolve: (r) => r.secret ?? null,
        }),
        errors: p.field({ type: [UserError], resolve: (r) => r.errors }),
      }),
    }),
    description:
      "Creates a key for a partner (ptn_…) or a tenant (ten_…), audited in its owner's auditEvents. Operator keys are made only by the bootstrap script (pnpm bootstrap:operator).",
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreateApiKeyInput', {
          fields: (f) => ({
            ownerId: f.id({ required: true }),
            name: f.string({ required: true, description: nameText() }),
            role: f.field({ type: RoleEnum, required: true }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => {
        const draft = await ctx.core.apiKeys.createFor(String(input.ownerId), {
          name: input.name,
          role: input.role,
        });
        return { apiKey: draft.item, secret: draft.secret };
      }),
  }),
  revokeApiKey: t.field({
    type: payloadType('RevokeApiKeyPayload', 'apiKey', ApiKeyRef),
    description:
      "Revokes a key at once (operator keys too, by an operator), audited in its owner's auditEvents. Revoking a revoked key changes nothing.",
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RevokeApiKeyInput', { fields: (f) => ({ id: f.id({ required: true }) }) }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({ apiKey: await ctx.core.apiKeys.revokeById(String(input.id)) })),
  }),
}));
