/**
 * Tenant isolation, for every root query and mutation field of the schema — enumerated from the
 * schema itself, so a new field is covered (or this test fails asking how to target it):
 * - a tenant key of tenant A (same partner as the victim),
 * - an ADMIN key of another partner,
 * - for mutations, a READ_ONLY key of the victim tenant itself,
 * each try to reach the victim (tenant B, its partner, policies and keys). Every attempt must be
 * refused with a typed error, and the victim's items must be byte-for-byte unchanged afterwards.
 * The operator's scope too: every field that names an API key is tried again with an operator key's
 * id, and `operator { … }` is read, by partner and tenant keys (the victim's own included); the
 * operator's partition (its keys and events) must not change either.
 */

import { encodeKeyId, encodeScopedId, runAs } from '@ade/core';
import { schema } from '@ade/graphql';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  type GraphQLArgument,
  GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputField,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLNonNull,
  type GraphQLObjectType,
  GraphQLScalarType,
  getNamedType,
  isInterfaceType,
  isObjectType,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asSystem,
  createDeviceFixture,
  createTenantFixture,
  type TenantFixture,
  useTestCore,
} from '../support/core.ts';
import { gql } from '../support/graphql.ts';

const core = useTestCore();

interface Victim {
  fixture: TenantFixture;
  policyId: string; // global id of a non-root policy
  rootPolicyId: string;
  keyId: string; // global id of the victim's tenant admin key
  configurationId: string; // global id of an ADE configuration (on the root policy)
  tokenId: string; // global id of an ADE token (on the root policy)
  deviceId: string; // global id of a device (on the root policy)
  payloadId: string; // global id of a payload (on the root policy, deployed to the device)
  rolloutId: string; // global id of that payload's rollout
}

let victim: Victim;
let attackerTenantKey: string;
let otherPartnerKey: string;
let operatorKeyId: string; // global id of an operator key (made as scripts make them)

/** Which victim id an ID argument or input field names, from its name and the type around it. */
function victimId(owner: string, name: string): string {
  const context = `${owner}.${name}`.toLowerCase();
  if (name === 'ownerId' || name === 'tenantId') return victim.fixture.tenantId;
  if (name === 'parentId' || name === 'policyId') return victim.rootPolicyId;
  if (context.includes('rollout')) return victim.rolloutId;
  if (context.includes('payload')) return victim.payloadId;
  if (context.includes('device')) return victim.deviceId;
  if (name === 'tokenIds' || context.includes('adetoken') || context.includes('servertoken'))
    return victim.tokenId;
  if (
    context.includes('adeconfiguration') ||
    context.includes('signinlockout') ||
    context.includes('adefallback') ||
    context.includes('adebranding')
  ) {
    return victim.configurationId;
  }
  if (context.includes('apikey')) return victim.keyId;
  if (context.includes('partner')) return victim.fixture.partnerId;
  if (context.includes('tenant')) return victim.fixture.tenantId;
  if (context.includes('policy') || context.includes('node')) return victim.policyId;
  throw new Error(`isolation matrix: no victim id known for ${owner}.${name}; extend victimId()`);
}

function literal(type: GraphQLInputType, owner: string, name: string): string {
  const named = getNamedType(type);
  if (named instanceof GraphQLInputObjectType) {
    const fields = Object.values(named.getFields()) as GraphQLInputField[];
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, named.name, f.name)}`).join(', ')} }`;
  }
  if (named instanceof GraphQLEnumType) return named.getValues()[0]!.name;
  if (named instanceof GraphQLScalarType) {
    if (named.name === 'ID') return JSON.stringify(victimId(owner, name));
    if (named.name === 'Int') return name === 'first' ? '5' : '1';
    if (named.name === 'Boolean') return 'true';
    return JSON.stringify(name === 'after' ? null : `isolation-${name}`);
  }
  throw new Error(`isolation matrix: cannot build a value for ${owner}.${name}`);
}

function selection(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (isObjectType(type) && 'errors' in type.getFields()) return '{ __typename errors { code } }';
  if (isObjectType(type) || isInterfaceType(type)) return '{ __typename }';
  return '';
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args
    .filter((arg: GraphQLArgument) => arg.type instanceof GraphQLNonNull || arg.name === 'first')
    .map((arg) => `${arg.name}: ${literal(arg.type, field.name, arg.name)}`);
  return `${kind} { ${field.name}${args.length ? `(${args.join(', ')})` : ''} ${selection(field)} }`;
}

/** Whether the field names a victim object at all (e.g. viewer and createTenant do not). */
function targetsVictim(operation: string): boolean {
  return [
    victim.fixture.tenantId,
    victim.fixture.partnerId,
    victim.policyId,
    victim.rootPolicyId,
    victim.keyId,
    victim.configurationId,
    victim.tokenId,
    victim.deviceId,
    victim.payloadId,
    victim.rolloutId,
  ].some((id) => operation.includes(id));
}

async function snapshotVictim(): Promise<string[]> {
  const { Items = [] } = await core().db.client.send(new ScanCommand({ TableName: core().db.tableName }));
  const partitions = new Set([`T#${victim.fixture.tenantId}`, `P#${victim.fixture.partnerId}`, 'OPERATOR']);
  // Tenant items, and the per-device partitions (deployments, command queues) under the tenant.
  const devicePartition = `T#${victim.fixture.tenantId}#`;
  return Items.filter(
    (item) => partitions.has(item.pk?.S ?? '') || (item.pk?.S ?? '').startsWith(devicePartition),
  )
    .map((item) => {
      const { lastUsedAt: _ignored, ...rest } = item; // bookkeeping of key use, not data
      return JSON.stringify(rest, Object.keys(rest).sort());
    })
    .sort();
}

/** The refusal code of a result: the top-level error, or the first payload error. */
function refusal(result: Awaited<ReturnType<typeof gql>>, fieldName: string): string | undefined {
  const topLevel = result.errors?.[0]?.extensions?.code;
  if (topLevel) return topLevel;
  const payload = (result.data as Record<string, { errors?: { code: string }[] } | null> | undefined)?.[
    fieldName
  ];
  return payload?.errors?.[0]?.code;
}

const queryFields = Object.values((schema.getQueryType() as GraphQLObjectType).getFields());
const mutationFields = Object.values((schema.getMutationType() as GraphQLObjectType).getFields());

describe('tenant isolation matrix', () => {
  beforeAll(async () => {
    const f = await createTenantFixture(core(), 'Victim');
    const child = await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, () =>
        core().policies.create({ parentId: f.rootPolicyId, name: 'Target' }),
      ),
    );
    const key = await asSystem(() =>
      core().apiKeys.createFor(f.tenantId, { name: 'victim key', role: 'ADMIN' }),
    );
    const { configuration, token } = await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, async () => ({
        configuration: (
          await core().adeConfigurations.set({
            policyId: f.rootPolicyId,
            enrollmentType: 'USER',
            domains: [`victim-${f.tenantId.slice(-8).toLowerCase()}.example`],
            authMethod: 'MANAGED_APPLE_ACCOUNT',
          })
        ).item,
        token: await core().adeTokens.create({ name: 'Victim token', policyId: f.rootPolicyId }),
      })),
    );
    victim = {
      fixture: f,
      policyId: encodeScopedId(f.tenantId, child.policyId),
      rootPolicyId: encodeScopedId(f.tenantId, f.rootPolicyId),
      keyId: encodeKeyId(key.item),
      configurationId: encodeScopedId(f.tenantId, configuration.configurationId),
      tokenId: encodeScopedId(f.tenantId, token.tokenId),
      deviceId: encodeScopedId(f.tenantId, await createDeviceFixture(core(), f.tenantId, f.rootPolicyId)),
      payloadId: '',
      rolloutId: '',
    };
    const added = await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, () =>
        core().payloads.add(f.rootPolicyId, {
          payloadType: 'com.apple.applicationaccess',
          settings: { allowCamera: false },
        }),
      ),
    );
    expect(added.rollout.status).toBe('DONE'); // the device has its deployment and queued command
    victim.payloadId = encodeScopedId(f.tenantId, added.payload.payloadId);
    victim.rolloutId = encodeScopedId(f.tenantId, added.rollout.rolloutId);
    // Tenant A: another tenant of the SAME partner, so only the tenant check can stop it.
    attackerTenantKey = (
      await asSystem(async () => {
        const other = await core().tenants.create({ name: 'Attacker' }, f.partnerId);
        return core().apiKeys.createFor(other.tenantId, { name: 'attacker', role: 'ADMIN' });
      })
    ).secret;
    otherPartnerKey = (await createTenantFixture(core(), 'Other')).partnerKey;
    operatorKeyId = encodeKeyId(
      (await asSystem(() => core().apiKeys.create({ kind: 'operator' }, { name: 'operator', role: 'ADMIN' })))
        .item,
    );
  });

  it('covers every root field of the schema', () => {
    expect(queryFields.length + mutationFields.length).toBeGreaterThan(10);
    for (const field of [...queryFields, ...mutationFields]) {
      expect(() => operationFor('query', field)).not.toThrow();
    }
  });

  const attackers = () => [
    { label: "tenant A's ADMIN key", key: attackerTenantKey, mutationsOnly: false },
    { label: "another partner's ADMIN key", key: otherPartnerKey, mutationsOnly: false },
    { label: "the victim's own READ_ONLY key", key: victim.fixture.tenantReadOnlyKey, mutationsOnly: true },
  ];

  for (const [kind, fields] of [
    ['query', queryFields],
    ['mutation', mutationFields],
  ] as const) {
    for (const field of fields) {
      it(`${kind} ${field.name}`, async () => {
        const before = await snapshotVictim();
        const operation = operationFor(kind, field);
        for (const attacker of attackers()) {
          if (attacker.mutationsOnly && kind === 'query') continue;
          const result = await gql(core(), attacker.key, operation);
          const code = refusal(result, field.name);
          const readOnlyWrite = attacker.mutationsOnly;
          if (readOnlyWrite) {
            expect(code, `${attacker.label}: ${operation}`).toBe('FORBIDDEN');
          } else if (targetsVictim(operation)) {
            expect(
              ['FORBIDDEN', 'NOT_FOUND'],
              `${attacker.label}: ${operation} → ${JSON.stringify(result)}`,
            ).toContain(code);
          }
          // Untargeted fields (viewer, createTenant) may succeed for the attacker's own scope;
          // what matters is that the victim's data below is unchanged.
        }
        expect(await snapshotVictim()).toEqual(before);
      });
    }
  }

  it('operator scope: no partner or tenant key lists, reads, mints or revokes operator keys', async () => {
    const before = await snapshotVictim();
    const operations = [
      '{ operator { __typename } }',
      '{ operator { apiKeys { nodes { id } } } }',
      '{ operator { auditEvents { nodes { id } } } }',
      `{ node(id: "${operatorKeyId}") { id } }`,
      'mutation { createApiKey(input: { ownerId: "op", name: "copy", role: ADMIN }) { secret errors { code } } }',
    ].map((operation) => ({ operation, field: /\{\s*(\w+)/.exec(operation)![1]! }));
    for (const [kind, fields] of [
      ['query', queryFields],
      ['mutation', mutationFields],
    ] as const) {
      for (const field of fields) {
        const operation = operationFor(kind, field);
        if (operation.includes(victim.keyId))
          operations.push({
            operation: operation.replaceAll(victim.keyId, operatorKeyId),
            field: field.name,
          });
      }
    }
    expect(operations.map((o) => o.field)).toContain('revokeApiKey');
    const keys = [
      attackerTenantKey,
      otherPartnerKey,
      victim.fixture.partnerKey,
      victim.fixture.tenantAdminKey,
      victim.fixture.tenantReadOnlyKey,
    ];
    for (const key of keys) {
      for (const { operation, field } of operations) {
        const result = await gql(core(), key, operation);
        expect(['FORBIDDEN', 'NOT_FOUND'], `${operation} → ${JSON.stringify(result)}`).toContain(
          refusal(result, field),
        );
      }
    }
    expect(await snapshotVictim()).toEqual(before);
  });
});
