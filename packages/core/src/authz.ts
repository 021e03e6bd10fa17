/**
 * Authorization by action name, decided in the domain (never in resolvers). An action says which
 * kinds of actor may perform it and whether it writes; `READ_ONLY` keys may only perform reads.
 * Targets are checked for ownership: a partner acts only on itself and its tenants, a tenant only on
 * itself, the operator only on partners (and its own keys and events). A target outside the actor's reach is reported as
 * NOT_FOUND, so that probing ids reveals nothing about other tenants.
 */
import type { Actor, ActorKind } from './context.ts';
import { AppError } from './errors.ts';

interface ActionRule {
  who: readonly ActorKind[];
  writes: boolean;
}

const rule = (who: readonly ActorKind[], writes = false): ActionRule => ({ who, writes });

export const actions = {
  'partner:create': rule(['operator'], true),
  'partner:list': rule(['operator']),
  'partner:read': rule(['operator', 'partner']),
  'tenant:create': rule(['partner'], true),
  'tenant:list': rule(['partner']),
  'tenant:read': rule(['partner', 'tenant']),
  'tenant:rename': rule(['partner'], true),
  'policy:read': rule(['partner', 'tenant']),
  'policy:write': rule(['partner', 'tenant'], true),
  'apiKey:read': rule(['operator', 'partner', 'tenant']),
  'apiKey:manage': rule(['operator', 'partner', 'tenant'], true),
  'audit:read': rule(['operator', 'partner', 'tenant']),
  // The operator's own scope: its keys and its events (partition OPERATOR). Operator keys are never
  // created here: only trusted scripts running as `system` make them (api-keys.ts).
  'operator:read': rule(['operator']),
  'operator:manage': rule(['operator'], true),
  'ade:read': rule(['partner', 'tenant']),
  'ade:write': rule(['partner', 'tenant'], true),
} as const satisfies Record<string, ActionRule>;

export type Action = keyof typeof actions;

/** What the action is performed on. Tenant targets carry the owning partner (from the tenant item). */
export type Target =
  | { kind: 'global' }
  | { kind: 'partner'; partnerId: string }
  | { kind: 'tenant'; tenantId: string; partnerId: string };

export type Decision = { allowed: true } | { allowed: false; error: AppError };

const allow: Decision = { allowed: true };
const deny = (error: AppError): Decision => ({ allowed: false, error });

/** Pure decision: who may do what to which target. */
export function decide(actor: Actor, action: Action, target: Target): Decision {
  if (actor.kind === 'system') return allow;
  const { who, writes } = actions[action];
  if (!(who as readonly ActorKind[]).includes(actor.kind)) {
    return deny(AppError.forbidden(`A ${actor.kind} key cannot perform ${action}.`));
  }
  if (writes && actor.role !== 'ADMIN') {
    return deny(AppError.forbidden(`This API key is READ_ONLY; ${action} needs an ADMIN key.`));
  }
  return ownsTarget(actor, target) ? allow : deny(AppError.notFound(describeTarget(target)));
}

function ownsTarget(actor: Exclude<Actor, { kind: 'system' }>, target: Target): boolean {
  switch (target.kind) {
    case 'global':
      return true;
    case 'partner':
      return actor.kind === 'operator' || (actor.kind === 'partner' && actor.partnerId === target.partnerId);
    case 'tenant':
      if (actor.kind === 'tenant') return actor.tenantId === target.tenantId;
      if (actor.kind === 'partner') return actor.partnerId === target.partnerId;
      return false; // the operator manages partners, never a tenant's data
  }
}

function describeTarget(target: Target): string {
  if (target.kind === 'partner') return `Partner ${target.partnerId}`;
  if (target.kind === 'tenant') return `Tenant ${target.tenantId}`;
  return 'The resource';
}

export function authorize(actor: Actor, action: Action, target: Target): void {
  const decision = decide(actor, action, target);
  if (!decision.allowed) throw decision.error;
}
