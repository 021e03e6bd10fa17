import { AppError } from '@ade/core';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { asSystem, createTenantFixture, useTestCore } from '../support/core.ts';
import { gql, gqlOk } from '../support/graphql.ts';

const core = useTestCore();
const VIEWER = '{ viewer { kind role } }';

describe('API keys', () => {
  it('authenticate with one read, and reject unknown, malformed and revoked keys', async () => {
    const f = await createTenantFixture(core(), 'Keys');
    expect(await gqlOk(core(), f.tenantAdminKey, VIEWER)).toEqual({
      viewer: { kind: 'TENANT', role: 'ADMIN' },
    });

    core().db.requests.reset();
    await core().apiKeys.authenticate(f.tenantAdminKey); // lastUsedAt is fresh: no write
    expect(core().db.requests.byCommand).toEqual({ GetItemCommand: 1 });

    const tampered = f.tenantAdminKey.slice(0, -2) + (f.tenantAdminKey.endsWith('AA') ? 'BB' : 'AA');
    const unknownKey = f.tenantAdminKey
      .replace(/_([0-9A-Z]{26})_/, '_01JDX0000000000000000000Z9_')
      .slice(0, f.tenantAdminKey.length);
    for (const key of [tampered, unknownKey, 'ade_nope', 'garbage']) {
      const result = await gql(core(), key, VIEWER);
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await gql(core(), undefined, VIEWER)).status).toBe(401);

    const keys = await gqlOk(
      core(),
      f.tenantAdminKey,
      `query($id: ID!) { tenant(id: $id) { apiKeys { nodes { id name revoked } } } }`,
      { id: f.tenantId },
    );
    const reader = keys.tenant.apiKeys.nodes.find((k: { name: string }) => k.name === 'reader');
    const revoked = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revoked revokedAt } errors { code } } }`,
      { id: reader.id },
    );
    expect(revoked.revokeApiKey.apiKey.revoked).toBe(true);
    const refused = await gql(core(), f.tenantReadOnlyKey, VIEWER);
    expect(refused.status).toBe(401);
    await expect(core().apiKeys.authenticate(f.tenantReadOnlyKey)).rejects.toBeInstanceOf(AppError);
  });

  it('shows a secret once and never stores it', async () => {
    const f = await createTenantFixture(core(), 'Secrets');
    const created = await gqlOk(
      core(),
      f.partnerKey,
      `mutation($o: ID!) { createApiKey(input: { ownerId: $o, name: "automation", role: ADMIN }) { apiKey { id hint lastUsedAt } secret errors { code } } }`,
      { o: f.tenantId },
    );
    const secret: string = created.createApiKey.secret;
    expect(secret.endsWith(created.createApiKey.apiKey.hint)).toBe(true);
    expect(created.createApiKey.apiKey.lastUsedAt).toBeNull();
    await gqlOk(core(), secret, VIEWER);
    const { Items = [] } = await core().db.client.send(new ScanCommand({ TableName: core().db.tableName }));
    const dump = JSON.stringify(Items);
    for (const key of [secret, f.partnerKey, f.tenantAdminKey]) expect(dump).not.toContain(key.slice(-43));
    const listed = await gqlOk(
      core(),
      f.partnerKey,
      `query($id: ID!) { tenant(id: $id) { apiKeys { nodes { id lastUsedAt } } } }`,
      { id: f.tenantId },
    );
    const used = listed.tenant.apiKeys.nodes.find(
      (k: { id: string }) => k.id === created.createApiKey.apiKey.id,
    );
    expect(used.lastUsedAt).not.toBeNull();
  });

  it('lets only the right scopes create keys', async () => {
    const f = await createTenantFixture(core(), 'Scopes');
    const other = await createTenantFixture(core(), 'Elsewhere');
    const create = (key: string, ownerId: string) =>
      gqlOk(
        core(),
        key,
        `mutation($o: ID!) { createApiKey(input: { ownerId: $o, name: "k", role: ADMIN }) { secret errors { code } } }`,
        { o: ownerId },
      );
    expect((await create(f.tenantAdminKey, f.partnerId)).createApiKey.errors[0].code).toBe('NOT_FOUND');
    expect((await create(f.partnerKey, other.tenantId)).createApiKey.errors[0].code).toBe('NOT_FOUND');
    expect((await create(f.partnerKey, f.partnerId)).createApiKey.secret).toMatch(/^ade_ptn_/);

    const made = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($o: ID!) { createApiKey(input: { ownerId: $o, name: "node", role: READ_ONLY }) { apiKey { id } } }`,
      { o: f.tenantId },
    );
    const nodeQuery = `query($id: ID!) { node(id: $id) { id ... on ApiKey { name role } } }`;
    const id = made.createApiKey.apiKey.id;
    expect((await gqlOk(core(), f.partnerKey, nodeQuery, { id })).node).toEqual({
      id,
      name: 'node',
      role: 'READ_ONLY',
    });
    expect((await gql(core(), other.partnerKey, nodeQuery, { id })).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );
    const operator = await asSystem(() =>
      core().apiKeys.create({ kind: 'operator' }, { name: 'op', role: 'ADMIN' }),
    );
    expect(
      (await create(operator.secret, 'ptn_01JDX0000000000000000000Z9')).createApiKey.errors[0].code,
    ).toBe('NOT_FOUND');
  });
});
