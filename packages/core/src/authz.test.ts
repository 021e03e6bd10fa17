import { describe, expect, it } from 'vitest';
import { type Action, actions, decide, type Target } from './authz.ts';
import type { Actor } from './context.ts';

const P1 = 'ptn_01JDX0000000000000000000P1';
const P2 = 'ptn_01JDX0000000000000000000P2';
const T1 = 'ten_01JDX0000000000000000000T1';
const T2 = 'ten_01JDX0000000000000000000T2';

const operator: Actor = { kind: 'operator', role: 'ADMIN', keyId: 'key_op' };
const partner1: Actor = { kind: 'partner', role: 'ADMIN', keyId: 'k', partnerId: P1 };
const partner1ReadOnly: Actor = { ...partner1, role: 'READ_ONLY' };
const tenant1: Actor = { kind: 'tenant', role: 'ADMIN', keyId: 'k', partnerId: P1, tenantId: T1 };
const tenant1ReadOnly: Actor = { ...tenant1, role: 'READ_ONLY' };

const ownTenant: Target = { kind: 'tenant', tenantId: T1, partnerId: P1 };
const otherTenantSamePartner: Target = { kind: 'tenant', tenantId: T2, partnerId: P1 };
const otherPartnersTenant: Target = { kind: 'tenant', tenantId: T2, partnerId: P2 };

const outcome = (actor: Actor, action: Action, target: Target) => {
  const d = decide(actor, action, target);
  return d.allowed ? 'allow' : d.error.code;
};

describe('authorization rules', () => {
  it.each([
    // [actor, action, target, expected]
    ['operator', operator, 'partner:create', { kind: 'global' }, 'allow'],
    ['partner', partner1, 'partner:create', { kind: 'global' }, 'FORBIDDEN'],
    ['tenant', tenant1, 'partner:create', { kind: 'global' }, 'FORBIDDEN'],
    ['partner', partner1, 'tenant:create', { kind: 'partner', partnerId: P1 }, 'allow'],
    ['partner (other)', partner1, 'tenant:create', { kind: 'partner', partnerId: P2 }, 'NOT_FOUND'],
    ['partner read-only', partner1ReadOnly, 'tenant:create', { kind: 'partner', partnerId: P1 }, 'FORBIDDEN'],
    ['tenant', tenant1, 'tenant:create', { kind: 'partner', partnerId: P1 }, 'FORBIDDEN'],
    ['partner', partner1, 'policy:write', ownTenant, 'allow'],
    ['partner', partner1, 'policy:write', otherTenantSamePartner, 'allow'],
    ['partner', partner1, 'policy:write', otherPartnersTenant, 'NOT_FOUND'],
    ['tenant', tenant1, 'policy:write', ownTenant, 'allow'],
    ['tenant', tenant1, 'policy:write', otherTenantSamePartner, 'NOT_FOUND'],
    ['tenant read-only', tenant1ReadOnly, 'policy:write', ownTenant, 'FORBIDDEN'],
    ['tenant read-only', tenant1ReadOnly, 'policy:read', ownTenant, 'allow'],
    ['operator', operator, 'policy:read', ownTenant, 'FORBIDDEN'],
    ['tenant', tenant1, 'tenant:rename', ownTenant, 'FORBIDDEN'],
    ['partner', partner1, 'tenant:rename', ownTenant, 'allow'],
    ['tenant', tenant1, 'partner:read', { kind: 'partner', partnerId: P1 }, 'FORBIDDEN'],
    ['partner', partner1, 'partner:read', { kind: 'partner', partnerId: P2 }, 'NOT_FOUND'],
    ['operator', operator, 'partner:read', { kind: 'partner', partnerId: P2 }, 'allow'],
    ['operator', operator, 'operator:read', { kind: 'global' }, 'allow'],
    ['operator', operator, 'operator:manage', { kind: 'global' }, 'allow'],
    [
      'operator read-only',
      { ...operator, role: 'READ_ONLY' },
      'operator:manage',
      { kind: 'global' },
      'FORBIDDEN',
    ],
    ['partner', partner1, 'operator:read', { kind: 'global' }, 'FORBIDDEN'],
    ['partner', partner1, 'operator:manage', { kind: 'global' }, 'FORBIDDEN'],
    ['tenant', tenant1, 'operator:read', { kind: 'global' }, 'FORBIDDEN'],
    ['tenant', tenant1, 'operator:manage', { kind: 'global' }, 'FORBIDDEN'],
  ] as const)('%s → %s', (_label, actor, action, target, expected) => {
    expect(outcome(actor, action, target as Target)).toBe(expected);
  });

  it('never lets a READ_ONLY key perform a write action', () => {
    for (const [action, rule] of Object.entries(actions) as [Action, (typeof actions)[Action]][]) {
      if (!rule.writes) continue;
      for (const actor of [partner1ReadOnly, tenant1ReadOnly, { ...operator, role: 'READ_ONLY' } as Actor]) {
        expect(outcome(actor, action, ownTenant)).not.toBe('allow');
      }
    }
  });

  it('never lets a tenant key reach another tenant, for any action', () => {
    for (const action of Object.keys(actions) as Action[]) {
      expect(outcome(tenant1, action, otherTenantSamePartner)).not.toBe('allow');
      expect(outcome(partner1, action, otherPartnersTenant)).not.toBe('allow');
    }
  });
});
