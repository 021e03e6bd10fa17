/**
 * "Set" and "update" mutations change only what they are given: an optional field left out keeps its
 * value, an explicit null clears it. (setAdeBranding: test/ade/branding.test.ts; setAdeConfiguration:
 * test/ade/configurations.test.ts.)
 */
import { encodeScopedId } from '@ade/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const core = useTestCore();
let f: TenantFixture;
let rootId: string;

describe('partial changes', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Partial');
    rootId = encodeScopedId(f.tenantId, f.rootPolicyId);
  });

  it("updatePayload keeps the payload's name when displayName is left out, and resets it on null", async () => {
    const added = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($p: ID!) { addPayload(input: { policyId: $p, payloadType: "com.apple.applicationaccess", displayName: "Camera rules", settings: "{}" }) { change { payload { id } } errors { code } } }`,
      { p: rootId },
    );
    const id = added.addPayload.change.payload.id;
    const update = async (displayName: string) => {
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!) { updatePayload(input: { id: $id, settings: "{\\"allowCamera\\": false}"${displayName} }) { change { payload { displayName settings } } errors { code path } } }`,
        { id },
      );
      expect(data.updatePayload.errors).toEqual([]);
      return data.updatePayload.change.payload;
    };
    expect(await update('')).toEqual({ displayName: 'Camera rules', settings: '{"allowCamera":false}' });
    expect((await update(', displayName: " No camera "')).displayName).toBe('No camera');
    expect((await update(', displayName: null')).displayName).toBe('com.apple.applicationaccess');
  });

  it('assignAdeToken changes nothing when policyId is left out, and unassigns on null', async () => {
    const created = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($t: ID!, $p: ID) { createAdeToken(input: { tenantId: $t, name: "Assigned", policyId: $p }) { adeToken { id } errors { code } } }`,
      { t: f.tenantId, p: rootId },
    );
    const id = created.createAdeToken.adeToken.id;
    const assign = async (policyId: string, variables: Record<string, unknown> = {}) => {
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!, $p: ID) { assignAdeToken(input: { id: $id${policyId} }) { adeToken { policy { id } version } errors { code } } }`,
        { id, ...variables },
      );
      expect(data.assignAdeToken.errors).toEqual([]);
      return data.assignAdeToken.adeToken;
    };
    const before = await assign(', policyId: $p', { p: rootId }); // already there: no change
    // A script that forgot its variable: the token stays where it is.
    expect(await assign(', policyId: $p')).toEqual(before);
    expect(before.policy).toEqual({ id: rootId });
    expect((await assign(', policyId: $p', { p: null })).policy).toBeNull();
  });
});
