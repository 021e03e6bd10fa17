/**
 * The operator's own scope: its API keys (partition OPERATOR) and its events (the same partition:
 * operator keys created by scripts, and revoked). Only operator keys reach it, READ_ONLY ones to
 * read; partner and tenant keys are refused (FORBIDDEN) whatever they ask for.
 */
import type { ApiKeyOperations } from './api-keys.ts';
import type { AuditOperations } from './audit.ts';
import { authorize } from './authz.ts';
import { useActor } from './context.ts';
import type { PageArgs } from './pagination.ts';

export function operatorOperations(apiKeys: ApiKeyOperations, audit: AuditOperations) {
  return {
    /** Checks that the caller may enter the operator's scope at all (Query.operator). */
    enter(): void {
      authorize(useActor(), 'operator:read', { kind: 'global' });
    },
    /** Operator keys, revoked ones included, oldest first. */
    apiKeys: (args: PageArgs) => apiKeys.listFor('op', args),
    /** The operator's events, newest first. */
    auditEvents: (args: PageArgs) => audit.listForOperator(args),
  };
}

export type OperatorOperations = ReturnType<typeof operatorOperations>;
