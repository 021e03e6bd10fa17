import { AppError } from '@ade/core';
import { builder } from '../builder.ts';
import { NodeRef } from '../refs.ts';
import { inScope } from '../scoped.ts';
import { loadPolicy } from './policy.ts';

builder.queryField('node', (t) =>
  t.field({
    type: NodeRef,
    description: 'Any object by its global id (ptn_…, ten_…, pol_…, key_…, cfg_…, tok_…, dev_…, pld_…).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      const id = String(args.id);
      if (id.startsWith('ptn_')) return ctx.core.partners.get(id);
      if (id.startsWith('ten_')) return ctx.core.tenants.get(id);
      if (id.startsWith('pol_')) return loadPolicy(ctx, id);
      if (id.startsWith('key_')) return ctx.core.apiKeys.getById(id);
      if (id.startsWith('cfg_'))
        return inScope(ctx, 'adeConfiguration', id, (local) => ctx.core.adeConfigurations.get(local));
      if (id.startsWith('tok_'))
        return inScope(ctx, 'adeToken', id, (local) => ctx.core.adeTokens.get(local));
      if (id.startsWith('dev_')) return inScope(ctx, 'device', id, (local) => ctx.core.devices.get(local));
      if (id.startsWith('pld_')) return inScope(ctx, 'payload', id, (local) => ctx.core.payloads.get(local));
      throw new AppError(
        'validation',
        'INVALID_ID',
        'Unknown id type; ids start with ptn_, ten_, pol_, key_, cfg_, tok_, dev_ or pld_.',
      );
    },
  }),
);
