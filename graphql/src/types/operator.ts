/**
 * The operator's own scope: its keys and its events. Operator keys are made only by
 * `pnpm bootstrap:operator` (audited here); through the API an operator lists and revokes them.
 */
import { builder } from '../builder.ts';
import { pageArgs } from '../connection.ts';
import { ApiKeyConnection } from './api-key.ts';
import { AuditEventConnection } from './audit-event.ts';

const OperatorRef = builder.objectRef<{ kind: 'operator' }>('Operator').implement({
  description:
    'The operator: its own API keys and events. Operator keys are created only by the bootstrap script ' +
    '(pnpm bootstrap:operator), never through the API; revoke them with revokeApiKey.',
  fields: (t) => ({
    apiKeys: t.field({
      type: ApiKeyConnection,
      description: 'Every operator key, revoked ones included, oldest first.',
      args: pageArgs,
      resolve: async (_operator, args, ctx) => ({ page: await ctx.core.operator.apiKeys(args) }),
    }),
    auditEvents: t.field({
      type: AuditEventConnection,
      description: 'Operator keys created (by the bootstrap script) and revoked, newest first.',
      args: pageArgs,
      resolve: async (_operator, args, ctx) => ({ page: await ctx.core.operator.auditEvents(args) }),
    }),
  }),
});

builder.queryField('operator', (t) =>
  t.field({
    type: OperatorRef,
    description: "The operator's own keys and events (operator keys only).",
    resolve: (_root, _args, ctx) => {
      ctx.core.operator.enter();
      return { kind: 'operator' as const };
    },
  }),
);
