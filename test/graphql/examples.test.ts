/**
 * Executes every example operation in graphql/operations, in a realistic order, so that the files
 * portal and script authors copy from can never rot. A new file without a step here fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { asSystem, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const core = useTestCore();
const dir = fileURLToPath(new URL('../../graphql/operations', import.meta.url));
const files = readdirSync(dir).filter((name) => name.endsWith('.graphql'));
const op = (name: string) => readFileSync(join(dir, `${name}.graphql`), 'utf8');

describe('example operations', () => {
  const state: Record<string, any> = {};
  beforeAll(async () => {
    state.operatorKey = (
      await asSystem(() => core().apiKeys.create({ kind: 'operator' }, { name: 'op', role: 'ADMIN' }))
    ).secret;
  });

  const steps: [string, () => Promise<void>][] = [
    [
      'create-partner',
      async () => {
        const d = await gqlOk(core(), state.operatorKey, op('create-partner'), { name: 'Example MSP' });
        expect(d.createPartner.errors).toEqual([]);
        state.partnerKey = d.createPartner.secret;
      },
    ],
    [
      'create-tenant',
      async () => {
        const d = await gqlOk(core(), state.partnerKey, op('create-tenant'), { name: 'Example Org' });
        state.tenantId = d.createTenant.tenant.id;
        state.rootId = d.createTenant.tenant.rootPolicy.id;
      },
    ],
    [
      'tenants',
      async () => {
        const d = await gqlOk(core(), state.partnerKey, op('tenants'), { first: 10 });
        expect(d.viewer.partner.tenants.edges.map((e: any) => e.node.id)).toEqual([state.tenantId]);
      },
    ],
    [
      'rename-tenant',
      async () => {
        const d = await gqlOk(core(), state.partnerKey, op('rename-tenant'), {
          id: state.tenantId,
          name: 'Example Organisation',
          expectedVersion: 1,
        });
        expect(d.renameTenant.tenant).toMatchObject({ name: 'Example Organisation', version: 2 });
      },
    ],
    [
      'create-api-key',
      async () => {
        const d = await gqlOk(core(), state.partnerKey, op('create-api-key'), {
          ownerId: state.tenantId,
          name: 'Automation',
          role: 'ADMIN',
        });
        state.tenantKey = d.createApiKey.secret;
        state.tenantKeyId = d.createApiKey.apiKey.id;
      },
    ],
    [
      'viewer',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('viewer'));
        expect(d.viewer).toMatchObject({
          kind: 'TENANT',
          role: 'ADMIN',
          partner: null,
          tenant: { id: state.tenantId },
        });
      },
    ],
    [
      'create-policy',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('create-policy'), {
          parentId: state.rootId,
          name: 'Europe',
        });
        state.europe = d.createPolicy.policy.id;
        const paris = await gqlOk(core(), state.tenantKey, op('create-policy'), {
          parentId: state.europe,
          name: 'Paris',
        });
        state.paris = paris.createPolicy.policy.id;
        expect(paris.createPolicy.policy.path).toBe('All devices / Europe / Paris');
      },
    ],
    [
      'rename-policy',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('rename-policy'), {
          id: state.paris,
          name: 'Paris HQ',
        });
        expect(d.renamePolicy.policy.name).toBe('Paris HQ');
      },
    ],
    [
      'move-policy',
      async () => {
        const cycle = await gqlOk(core(), state.tenantKey, op('move-policy'), {
          id: state.europe,
          parentId: state.paris,
        });
        expect(cycle.movePolicy.errors[0].code).toBe('POLICY_CYCLE');
        const d = await gqlOk(core(), state.tenantKey, op('move-policy'), {
          id: state.paris,
          parentId: state.rootId,
        });
        expect(d.movePolicy.policy.path).toBe('All devices / Paris HQ');
      },
    ],
    [
      'policy',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('policy'), { id: state.rootId });
        expect(d.policy.children.totalCount).toBe(2);
        expect(d.policy.depth).toBe(0);
      },
    ],
    [
      'policy-tree',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('policy-tree'), { tenantId: state.tenantId });
        expect(d.tenant.policies.totalCount).toBe(3);
        expect(d.tenant.policies.edges).toHaveLength(3);
      },
    ],
    [
      'delete-policy',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('delete-policy'), { id: state.europe });
        expect(d.deletePolicy).toEqual({ deletedPolicyId: state.europe, errors: [] });
      },
    ],
    [
      'audit-events',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('audit-events'), {
          tenantId: state.tenantId,
          first: 50,
        });
        expect(d.tenant.auditEvents.nodes.map((e: any) => e.action)).toContain('policy.move');
      },
    ],
    [
      'revoke-api-key',
      async () => {
        const d = await gqlOk(core(), state.partnerKey, op('revoke-api-key'), { id: state.tenantKeyId });
        expect(d.revokeApiKey.apiKey.revoked).toBe(true);
      },
    ],
  ];

  it('has a step for every file', () => {
    expect(steps.map(([name]) => `${name}.graphql`).sort()).toEqual([...files].sort());
  });

  for (const [name, run] of steps) it(name, run);
});
