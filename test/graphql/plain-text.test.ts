/**
 * Free text is plain text (packages/core/src/plain-text.ts), for every field people read: markup,
 * control characters and bidirectional overrides are refused with NOT_PLAIN_TEXT on the field, and
 * nothing is written. The list of free-text fields comes from the schema: a new name or text field
 * without a case here (or without the rule in its description) fails the first test.
 */
import { encodeScopedId } from '@ade/core';
import { schema } from '@ade/graphql';
import { isInputObjectType, isNonNullType, isScalarType } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { asSystem, createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const core = useTestCore();
let f: TenantFixture;
let operatorKey: string;
let configurationId: string;
let payloadId: string;
let rootId: string;

/** Input fields that hold text people read: names, display names, welcome text, notices, support. */
const FREE_TEXT = /^(name|.+Name|.+Text|privacyNotice.*|support.*)$/;

interface Case {
  /** One line only (CR/LF refused) or several. */
  lines: 'single' | 'multi';
  /** Runs the mutation with `value` in the field; returns its payload's errors. */
  run(value: string): Promise<{ code: string; path: string[] | null }[]>;
}

const mutate = async (key: string, field: string, args: string, value: string) => {
  const data = await gqlOk(
    core(),
    key,
    `mutation($v: String!) { ${field}(input: { ${args} }) { errors { code path } } }`,
    {
      v: value,
    },
  );
  return data[field].errors;
};
const branding = (field: string, lines: Case['lines']): Case => ({
  lines,
  run: (v) => mutate(f.tenantAdminKey, 'setAdeBranding', `id: "${configurationId}", ${field}: $v`, v),
});

const cases: Record<string, Case> = {
  'CreatePartnerInput.name': {
    lines: 'single',
    run: (v) => mutate(operatorKey, 'createPartner', 'name: $v', v),
  },
  'CreatePartnerInput.firstKeyName': {
    lines: 'single',
    run: (v) => mutate(operatorKey, 'createPartner', 'name: "Refused MSP", firstKeyName: $v', v),
  },
  'CreateTenantInput.name': {
    lines: 'single',
    run: (v) => mutate(f.partnerKey, 'createTenant', 'name: $v', v),
  },
  'CreateTenantInput.rootPolicyName': {
    lines: 'single',
    run: (v) => mutate(f.partnerKey, 'createTenant', 'name: "Refused", rootPolicyName: $v', v),
  },
  'RenameTenantInput.name': {
    lines: 'single',
    run: (v) => mutate(f.partnerKey, 'renameTenant', `id: "${f.tenantId}", name: $v`, v),
  },
  'CreatePolicyInput.name': {
    lines: 'single',
    run: (v) => mutate(f.tenantAdminKey, 'createPolicy', `parentId: "${rootId}", name: $v`, v),
  },
  'RenamePolicyInput.name': {
    lines: 'single',
    run: (v) => mutate(f.tenantAdminKey, 'renamePolicy', `id: "${rootId}", name: $v`, v),
  },
  'CreateApiKeyInput.name': {
    lines: 'single',
    run: (v) =>
      mutate(f.tenantAdminKey, 'createApiKey', `ownerId: "${f.tenantId}", name: $v, role: READ_ONLY`, v),
  },
  'CreateAdeTokenInput.name': {
    lines: 'single',
    run: (v) => mutate(f.tenantAdminKey, 'createAdeToken', `tenantId: "${f.tenantId}", name: $v`, v),
  },
  'AddPayloadInput.displayName': {
    lines: 'single',
    run: (v) =>
      mutate(
        f.tenantAdminKey,
        'addPayload',
        `policyId: "${rootId}", payloadType: "com.apple.applicationaccess", displayName: $v, settings: "{}"`,
        v,
      ),
  },
  'UpdatePayloadInput.displayName': {
    lines: 'single',
    run: (v) =>
      mutate(f.tenantAdminKey, 'updatePayload', `id: "${payloadId}", displayName: $v, settings: "{}"`, v),
  },
  'SetAdeBrandingInput.displayName': branding('displayName', 'single'),
  'SetAdeBrandingInput.welcomeText': branding('welcomeText', 'multi'),
  'SetAdeBrandingInput.supportEmail': branding('supportEmail', 'single'),
  'SetAdeBrandingInput.supportPhone': branding('supportPhone', 'single'),
  'SetAdeBrandingInput.supportUrl': branding('supportUrl', 'single'),
  'SetAdeBrandingInput.privacyNoticeUser': branding('privacyNoticeUser', 'multi'),
  'SetAdeBrandingInput.privacyNoticeDevice': branding('privacyNoticeDevice', 'multi'),
};

describe('free text is plain text', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Plain');
    rootId = encodeScopedId(f.tenantId, f.rootPolicyId);
    operatorKey = (
      await asSystem(() => core().apiKeys.create({ kind: 'operator' }, { name: 'op', role: 'ADMIN' }))
    ).secret!;
    const set = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($p: ID!, $d: String!) { setAdeConfiguration(input: { policyId: $p, enrollmentType: USER, domains: [$d], authMethod: MANAGED_APPLE_ACCOUNT }) { adeConfiguration { id } errors { code } } }`,
      { p: rootId, d: `plain-${f.tenantId.slice(-8).toLowerCase()}.example` },
    );
    configurationId = set.setAdeConfiguration.adeConfiguration.id;
    const added = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($p: ID!) { addPayload(input: { policyId: $p, payloadType: "com.apple.applicationaccess", settings: "{}" }) { change { payload { id } } errors { code message } } }`,
      { p: rootId },
    );
    expect(added.addPayload.errors).toEqual([]);
    payloadId = added.addPayload.change.payload.id;
  });

  it('has a case for every free-text input field, and each says the rule in its description', () => {
    const found: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isInputObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const named = isNonNullType(field.type) ? field.type.ofType : field.type;
        if (!isScalarType(named) || named.name !== 'String' || !FREE_TEXT.test(field.name)) continue;
        found.push(`${type.name}.${field.name}`);
        expect(field.description, `${type.name}.${field.name}`).toContain('NOT_PLAIN_TEXT');
      }
    }
    expect(found.sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.entries(cases))(
    '%s refuses markup, bidi overrides and controls, naming the field',
    async (name, c) => {
      const field = name.split('.')[1]!;
      const hostile = [
        '<b>Acme</b>',
        'Acme <img src=x onerror=alert(1)>',
        'IT\u202Epleh',
        '\u2067Acme\u2069',
        'bell\u0007',
        'nul\u0000',
        'c1\u009b',
        ...(c.lines === 'single' ? ['two\nlines', 'two\r\nlines'] : ['lone\rreturn']),
      ];
      for (const value of hostile) {
        expect(await c.run(value), JSON.stringify(value)).toEqual([
          { code: 'NOT_PLAIN_TEXT', path: ['input', field] },
        ]);
      }
    },
  );

  it('changes nothing when it refuses', async () => {
    const before = await gqlOk(
      core(),
      f.tenantAdminKey,
      `query($id: ID!) { tenant(id: $id) { name version rootPolicy { name version } auditEvents(first: 100) { nodes { id } } } }`,
      { id: f.tenantId },
    );
    expect(await cases['RenameTenantInput.name']!.run('<b>Renamed</b>')).toHaveLength(1);
    expect(await cases['RenamePolicyInput.name']!.run('Renamed\u202E')).toHaveLength(1);
    expect(await cases['SetAdeBrandingInput.displayName']!.run('<i>Brand</i>')).toHaveLength(1);
    const after = await gqlOk(
      core(),
      f.tenantAdminKey,
      `query($id: ID!) { tenant(id: $id) { name version rootPolicy { name version } auditEvents(first: 100) { nodes { id } } } }`,
      { id: f.tenantId },
    );
    expect(after).toEqual(before);
  });
});
