import type { Actor } from '@ade/core';
import { builder } from '../builder.ts';
import { PartnerRef, TenantRef } from '../refs.ts';
import { RoleEnum } from './api-key.ts';
import { tenantStub } from './tenant.ts';

const ActorKindEnum = builder.enumType('ActorKind', {
  values: ['OPERATOR', 'PARTNER', 'TENANT', 'SYSTEM'] as const,
});

const ViewerRef = builder.objectRef<Actor>('Viewer').implement({
  description: 'Who the API key in this request belongs to.',
  fields: (t) => ({
    kind: t.field({ type: ActorKindEnum, resolve: (a) => a.kind.toUpperCase() as 'TENANT' }),
    role: t.field({ type: RoleEnum, resolve: (a) => a.role }),
    partner: t.field({
      type: PartnerRef,
      nullable: true,
      description: 'The partner of a partner key.',
      resolve: (a, _args, ctx) => (a.kind === 'partner' ? ctx.core.partners.get(a.partnerId) : null),
    }),
    tenant: t.field({
      type: TenantRef,
      nullable: true,
      description: 'The tenant of a tenant key.',
      resolve: (a, _args, ctx) => (a.kind === 'tenant' ? tenantStub(ctx, a.tenantId) : null),
    }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => ctx.actor }));
