/**
 * Keys (issue 13): no API path creates operator keys — only the bootstrap script, audited in the
 * operator's own events; every key creation is audited where its owner reads it; operator keys are
 * listed and revoked by an operator, and that is audited too. Partner and tenant keys reach none of
 * it (also attacked by the isolation matrix).
 */
import { describe, expect, it } from 'vitest';
import { bootstrapOperator } from '../../scripts/bootstrap-operator.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { gql, gqlOk } from '../support/graphql.ts';

const core = useTestCore();

interface Event {
  action: string;
  actorKind: string;
  actorId: string;
  targetId: string;
  details: Record<string, unknown> | null;
}
interface Key {
  id: string;
  name: string;
  role: string;
  ownerKind: string;
  revoked: boolean;
}

const OPERATOR = `{ operator {
  apiKeys(first: 100) { nodes { id name role ownerKind revoked } }
  auditEvents(first: 100) { nodes { action actorKind actorId targetId details } }
} }`;

async function operatorView(key: string): Promise<{ keys: Key[]; events: Event[] }> {
  const data = await gqlOk(core(), key, OPERATOR);
  return { keys: data.operator.apiKeys.nodes, events: data.operator.auditEvents.nodes };
}

const createKey = (key: string, ownerId: string, name: string) =>
  gqlOk(
    core(),
    key,
    `mutation($o: ID!, $n: String!) { createApiKey(input: { ownerId: $o, name: $n, role: ADMIN }) { apiKey { id } secret errors { code message } } }`,
    { o: ownerId, n: name },
  );

/** The key id in audit events (`key_<ULID>`) of a global key id (`key_<owner>_<ULID>`). */
const keyUlid = (globalId: string) => `key_${globalId.slice(globalId.lastIndexOf('_') + 1)}`;

describe('operator keys', () => {
  it('are made only by the bootstrap script, which the operator sees in its events', async () => {
    const made = await bootstrapOperator(core(), 'Ops: bootstrap test');
    expect(made.apiKey).toMatch(/^ade_op_/);
    expect((await gqlOk(core(), made.apiKey, '{ viewer { kind role } }')).viewer).toEqual({
      kind: 'OPERATOR',
      role: 'ADMIN',
    });
    const { keys, events } = await operatorView(made.apiKey);
    expect(keys).toContainEqual({
      id: made.keyId,
      name: 'Ops: bootstrap test',
      role: 'ADMIN',
      ownerKind: 'OPERATOR',
      revoked: false,
    });
    expect(events).toContainEqual({
      action: 'apiKey.create',
      actorKind: 'system',
      actorId: expect.stringMatching(/^bootstrap-operator \(.+@.+\)$/),
      targetId: keyUlid(made.keyId),
      details: { name: 'Ops: bootstrap test', role: 'ADMIN' },
    });
  });

  it('cannot be minted through the API, not even by an operator key', async () => {
    const operator = await bootstrapOperator(core(), 'Ops: minting attempt');
    const before = await operatorView(operator.apiKey);
    const minted = await createKey(operator.apiKey, 'op', 'hidden copy');
    expect(minted.createApiKey.secret).toBeNull();
    expect(minted.createApiKey.errors).toEqual([
      { code: 'FORBIDDEN', message: expect.stringMatching(/bootstrap:operator/) },
    ]);
    const after = await operatorView(operator.apiKey);
    expect(after.keys).toEqual(before.keys);
    expect(after.events).toEqual(before.events);
  });

  it('are listed and revoked by an operator, audited; a READ_ONLY operator key only lists them', async () => {
    const admin = await bootstrapOperator(core(), 'Ops: admin');
    const stolen = await bootstrapOperator(core(), 'Ops: stolen laptop');
    const reader = await bootstrapOperator(core(), 'Ops: auditor', 'READ_ONLY');
    const revoke = (key: string, id: string) =>
      gqlOk(
        core(),
        key,
        `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id revoked } errors { code } } }`,
        { id },
      );

    expect((await operatorView(reader.apiKey)).keys.map((k) => k.id)).toEqual(
      expect.arrayContaining([admin.keyId, stolen.keyId, reader.keyId]),
    );
    expect((await revoke(reader.apiKey, stolen.keyId)).revokeApiKey.errors).toEqual([{ code: 'FORBIDDEN' }]);

    expect((await revoke(admin.apiKey, stolen.keyId)).revokeApiKey).toEqual({
      apiKey: { id: stolen.keyId, revoked: true },
      errors: [],
    });
    expect((await gql(core(), stolen.apiKey, '{ viewer { kind } }')).status).toBe(401);
    const { keys, events } = await operatorView(admin.apiKey);
    expect(keys.find((k) => k.id === stolen.keyId)?.revoked).toBe(true);
    const adminKeyId = keyUlid(admin.keyId);
    expect(events[0]).toEqual({
      action: 'apiKey.revoke',
      actorKind: 'operator',
      actorId: adminKeyId,
      targetId: keyUlid(stolen.keyId),
      details: null,
    });
  });
});

describe('every key creation is audited where its owner reads it', () => {
  it("a partner's first key, the operator's partner keys, and a partner's tenant keys", async () => {
    const operator = await bootstrapOperator(core(), 'Ops: partners');
    const operatorKeyId = keyUlid(operator.keyId);
    const created = await gqlOk(
      core(),
      operator.apiKey,
      `mutation { createPartner(input: { name: "Keyed MSP", firstKeyName: "first" }) { partner { id } apiKey { id } secret } }`,
    );
    const partnerId: string = created.createPartner.partner.id;
    const partnerKey: string = created.createPartner.secret;
    const second = await createKey(operator.apiKey, partnerId, 'minted by the operator');
    const partnerEvents = async () =>
      (
        await gqlOk(
          core(),
          partnerKey,
          `query($id: ID!) { partner(id: $id) { auditEvents(first: 100) { nodes { action actorKind actorId targetId details } } } }`,
          { id: partnerId },
        )
      ).partner.auditEvents.nodes as Event[];
    const events = await partnerEvents();
    expect(events).toContainEqual({
      action: 'apiKey.create',
      actorKind: 'operator',
      actorId: operatorKeyId,
      targetId: keyUlid(created.createPartner.apiKey.id),
      details: { name: 'first', role: 'ADMIN' },
    });
    expect(events).toContainEqual({
      action: 'apiKey.create',
      actorKind: 'operator',
      actorId: operatorKeyId,
      targetId: keyUlid(second.createApiKey.apiKey.id),
      details: { name: 'minted by the operator', role: 'ADMIN' },
    });

    // Every key the partner holds has its creation in the partner's events.
    const keys = await gqlOk(
      core(),
      partnerKey,
      `query($id: ID!) { partner(id: $id) { apiKeys(first: 100) { nodes { id } } } }`,
      { id: partnerId },
    );
    const createdKeys = events.filter((e) => e.action === 'apiKey.create').map((e) => e.targetId);
    for (const key of keys.partner.apiKeys.nodes as { id: string }[])
      expect(createdKeys).toContain(keyUlid(key.id));

    // A tenant key the partner makes is in the tenant's events, read with a tenant key.
    const f = await createTenantFixture(core(), 'Keyed tenant');
    const tenantKey = await createKey(f.partnerKey, f.tenantId, 'automation');
    const tenantEvents = await gqlOk(
      core(),
      f.tenantReadOnlyKey,
      `query($id: ID!) { tenant(id: $id) { auditEvents(first: 100) { nodes { action actorKind targetId } } } }`,
      { id: f.tenantId },
    );
    expect(tenantEvents.tenant.auditEvents.nodes).toContainEqual({
      action: 'apiKey.create',
      actorKind: 'partner',
      targetId: keyUlid(tenantKey.createApiKey.apiKey.id),
    });
  });
});

describe('partner and tenant keys', () => {
  it('can neither list, read, mint nor revoke operator keys, nor read their events', async () => {
    const operator = await bootstrapOperator(core(), 'Ops: target');
    const before = await operatorView(operator.apiKey);
    const f = await createTenantFixture(core(), 'Outsider');
    for (const key of [f.partnerKey, f.tenantAdminKey, f.tenantReadOnlyKey]) {
      for (const query of [
        '{ operator { __typename } }',
        '{ operator { apiKeys { nodes { id } } } }',
        '{ operator { auditEvents { nodes { id } } } }',
      ]) {
        const result = await gql(core(), key, query);
        expect(
          result.errors?.map((e) => e.extensions?.code),
          query,
        ).toEqual(['FORBIDDEN']);
      }
      const node = await gql(core(), key, 'query($id: ID!) { node(id: $id) { id } }', { id: operator.keyId });
      expect(node.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const revoked = await gqlOk(
        core(),
        key,
        'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { errors { code } } }',
        { id: operator.keyId },
      );
      expect(revoked.revokeApiKey.errors).toEqual([{ code: 'FORBIDDEN' }]);
      expect((await createKey(key, 'op', 'sneaky')).createApiKey.errors[0].code).toBe('FORBIDDEN');
    }
    expect(await operatorView(operator.apiKey)).toEqual(before);
  });
});
