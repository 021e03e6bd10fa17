import type { ApiKeyItem, PartnerItem } from '@ade/core';
import { builder } from '../builder.ts';
import { connectionType, pageArgs } from '../connection.ts';
import { asPayload, UserError, type UserErrorShape } from '../errors.ts';
import { nameText } from '../plain-text.ts';
import { ApiKeyRef, NodeRef, PartnerRef } from '../refs.ts';
import { ApiKeyConnection } from './api-key.ts';
import { AuditEventConnection } from './audit-event.ts';
import { TenantConnection } from './tenant.ts';

PartnerRef.implement({
  description: 'A managed-service provider. Owns tenants.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID('partnerId'),
    name: t.exposeString('name'),
    tenants: t.field({
      type: TenantConnection,
      args: pageArgs,
      resolve: async (partner, args, ctx) => ({
        page: await ctx.core.tenants.listForPartner(partner.partnerId, args),
      }),
    }),
    apiKeys: t.field({
      type: ApiKeyConnection,
      args: pageArgs,
      resolve: async (partner, args, ctx) => ({
        page: await ctx.core.apiKeys.listFor(partner.partnerId, args),
      }),
    }),
    auditEvents: t.field({
      type: AuditEventConnection,
      description: "The partner's own events (its creation, its keys), newest first.",
      args: pageArgs,
      resolve: async (partner, args, ctx) => ({
        page: await ctx.core.audit.listForPartner(partner.partnerId, args),
      }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const PartnerConnection = connectionType<PartnerItem>('Partner', PartnerRef);

builder.queryFields((t) => ({
  partners: t.field({
    type: PartnerConnection,
    description: 'All partners (operator keys only).',
    args: pageArgs,
    resolve: async (_root, args, ctx) => ({ page: await ctx.core.partners.list(args) }),
  }),
  partner: t.field({
    type: PartnerRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.core.partners.get(String(args.id)),
  }),
}));

type CreatePartnerResult = {
  partner?: PartnerItem;
  apiKey?: ApiKeyItem;
  secret?: string;
  errors: UserErrorShape[];
};

builder.mutationField('createPartner', (t) =>
  t.field({
    type: builder.objectRef<CreatePartnerResult>('CreatePartnerPayload').implement({
      fields: (p) => ({
        partner: p.field({ type: PartnerRef, nullable: true, resolve: (r) => r.partner ?? null }),
        apiKey: p.field({ type: ApiKeyRef, nullable: true, resolve: (r) => r.apiKey ?? null }),
        secret: p.string({
          nullable: true,
          description: 'The first ADMIN key of the partner. Shown once: it cannot be read again.',
          resolve: (r) => r.secret ?? null,
        }),
        errors: p.field({ type: [UserError], resolve: (r) => r.errors }),
      }),
    }),
    description: 'Creates a partner and its first ADMIN key (operator keys only).',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreatePartnerInput', {
          fields: (f) => ({
            name: f.string({ required: true, description: nameText() }),
            firstKeyName: f.string({ required: false, description: nameText("The first key's name") }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(() =>
        ctx.core.partners.create({ name: input.name, firstKeyName: input.firstKeyName ?? undefined }),
      ),
  }),
);
