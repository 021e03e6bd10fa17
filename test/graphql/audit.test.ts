/**
 * Every mutation of the schema writes an audit event naming the actor and the outcome. The list of
 * mutations comes from the schema: a new mutation without a case here fails the first test.
 */

import { decodeScopedId, encodeScopedId, SIGN_IN_LIMITS } from '@ade/core';
import { counterKey, windowAt, windowEnd } from '@ade/core/enrollment/sign-in-limits';
import { schema } from '@ade/graphql';
import type { GraphQLObjectType } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueServerToken, makePushCertificate, useFakeApple } from '../support/apple.ts';
import {
  asSystem,
  createDeviceFixture,
  createTenantFixture,
  type TenantFixture,
  useTestCore,
} from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const apple = useFakeApple();
const core = useTestCore({ appleUrl: () => apple().url });
let f: TenantFixture;
let operatorKey: string;
let rootId: string;

interface Case {
  /** Performs the mutation successfully; returns the key it acted with. */
  run(): Promise<void>;
  action: string;
  /** Where to look: the tenant's log, or the partner's. */
  scope: 'tenant' | 'partner';
}

async function tenantEvents() {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `query($id: ID!) { tenant(id: $id) { auditEvents(first: 100) { nodes { action actorKind actorId outcome targetId at } } } }`,
    { id: f.tenantId },
  );
  return data.tenant.auditEvents.nodes as {
    action: string;
    actorKind: string;
    actorId: string;
    outcome: string;
  }[];
}

async function partnerEvents() {
  const data = await gqlOk(
    core(),
    f.partnerKey,
    `query($id: ID!) { partner(id: $id) { auditEvents(first: 100) { nodes { action actorKind actorId outcome } } } }`,
    { id: f.partnerId },
  );
  return data.partner.auditEvents.nodes as {
    action: string;
    actorKind: string;
    actorId: string;
    outcome: string;
  }[];
}

async function newPolicy(name: string): Promise<string> {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($p: ID!, $n: String!) { createPolicy(input: { parentId: $p, name: $n }) { policy { id } errors { code } } }`,
    { p: rootId, n: name },
  );
  return data.createPolicy.policy.id;
}

let domainCounter = 0;
/** A fresh policy with an ADE configuration on it; returns both global ids. */
/** A disabled configuration, so that enabling it is a change (and registers it with Apple). */
async function newConfiguration(): Promise<{ policyId: string; configurationId: string }> {
  const policyId = await newPolicy(`Configured ${++domainCounter}`);
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($p: ID!, $d: [String!]!) { setAdeConfiguration(input: { policyId: $p, enrollmentType: USER, domains: $d, authMethod: MANAGED_APPLE_ACCOUNT, enabled: false }) { adeConfiguration { id } errors { code message } } }`,
    { p: policyId, d: [`audit-${domainCounter}-${f.tenantId.slice(-6).toLowerCase()}.example`] },
  );
  return { policyId, configurationId: data.setAdeConfiguration.adeConfiguration.id };
}

/** A token on `policyId` with its server token uploaded; returns its global id. */
async function newToken(policyId: string | null, upload = true): Promise<string> {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($t: ID!, $p: ID) { createAdeToken(input: { tenantId: $t, name: "Audited token", policyId: $p }) { adeToken { id certificatePem } errors { code } } }`,
    { t: f.tenantId, p: policyId },
  );
  const { id, certificatePem } = data.createAdeToken.adeToken;
  if (upload) {
    await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!, $f: String!) { uploadAdeServerToken(input: { id: $id, file: $f }) { errors { code } } }`,
      {
        id,
        f: issueServerToken(apple(), certificatePem).file,
      },
    );
  }
  return id;
}

/** A payload on the root policy; returns its and its rollout's global ids. */
async function newPayload(): Promise<{ payloadId: string; rolloutId: string }> {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($p: ID!) { addPayload(input: { policyId: $p, payloadType: "com.apple.applicationaccess", settings: "{\\"allowCamera\\": false}" }) { change { payload { id } rollout { id } } errors { code message } } }`,
    { p: rootId },
  );
  expect(data.addPayload.errors).toEqual([]);
  return { payloadId: data.addPayload.change.payload.id, rolloutId: data.addPayload.change.rollout.id };
}

const adeMutation = (name: string, input: string) =>
  `mutation($id: ID!) { ${name}(input: { id: $id${input} }) { errors { code message } } }`;

const cases: Record<string, Case> = {
  createPartner: {
    action: 'partner.create',
    scope: 'partner',
    run: async () => {
      const data = await gqlOk(
        core(),
        operatorKey,
        `mutation { createPartner(input: { name: "Audited MSP" }) { partner { id } secret errors { code } } }`,
      );
      expect(data.createPartner.secret).toMatch(/^ade_ptn_/);
      // Look in the new partner's own log with its first key.
      const events = await gqlOk(
        core(),
        data.createPartner.secret,
        `query($id: ID!) { partner(id: $id) { auditEvents { nodes { action actorKind outcome } } } }`,
        { id: data.createPartner.partner.id },
      );
      expect(events.partner.auditEvents.nodes).toContainEqual({
        action: 'partner.create',
        actorKind: 'operator',
        outcome: 'SUCCESS',
      });
    },
  },
  createTenant: {
    action: 'tenant.create',
    scope: 'partner',
    run: async () => {
      const data = await gqlOk(
        core(),
        f.partnerKey,
        `mutation { createTenant(input: { name: "Audited" }) { tenant { id } errors { code } } }`,
      );
      const events = await gqlOk(
        core(),
        f.partnerKey,
        `query($id: ID!) { tenant(id: $id) { auditEvents { nodes { action actorKind outcome } } } }`,
        { id: data.createTenant.tenant.id },
      );
      expect(events.tenant.auditEvents.nodes).toContainEqual({
        action: 'tenant.create',
        actorKind: 'partner',
        outcome: 'SUCCESS',
      });
    },
  },
  renameTenant: {
    action: 'tenant.rename',
    scope: 'tenant',
    run: async () => {
      await gqlOk(
        core(),
        f.partnerKey,
        `mutation($id: ID!) { renameTenant(input: { id: $id, name: "Renamed" }) { errors { code } } }`,
        { id: f.tenantId },
      );
    },
  },
  createPolicy: {
    action: 'policy.create',
    scope: 'tenant',
    run: async () => void (await newPolicy('Created')),
  },
  renamePolicy: {
    action: 'policy.rename',
    scope: 'tenant',
    run: async () => {
      const id = await newPolicy('To rename');
      await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!) { renamePolicy(input: { id: $id, name: "Renamed" }) { errors { code } } }`,
        { id },
      );
    },
  },
  movePolicy: {
    action: 'policy.move',
    scope: 'tenant',
    run: async () => {
      const a = await newPolicy('Mover');
      const b = await newPolicy('Destination');
      await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!, $p: ID!) { movePolicy(input: { id: $id, parentId: $p }) { errors { code } } }`,
        { id: a, p: b },
      );
    },
  },
  deletePolicy: {
    action: 'policy.delete',
    scope: 'tenant',
    run: async () => {
      const id = await newPolicy('To delete');
      await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!) { deletePolicy(input: { id: $id }) { deletedPolicyId errors { code } } }`,
        { id },
      );
    },
  },
  createApiKey: {
    action: 'apiKey.create',
    scope: 'tenant',
    run: async () => {
      await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($o: ID!) { createApiKey(input: { ownerId: $o, name: "ci", role: READ_ONLY }) { secret errors { code } } }`,
        { o: f.tenantId },
      );
    },
  },
  setAdeConfiguration: {
    action: 'adeConfiguration.create',
    scope: 'tenant',
    run: async () => void (await newConfiguration()),
  },
  clearSignInLockout: {
    action: 'adeConfiguration.signInLockoutCleared',
    scope: 'tenant',
    run: async () => {
      const { configurationId } = await newConfiguration();
      // A configuration locked as 60 wrong passcodes leave it (test/e2e/sign-in-limits.test.ts makes
      // one the slow way), then cleared through the API.
      const { id } = decodeScopedId('adeConfiguration', configurationId);
      const window = windowAt(SIGN_IN_LIMITS, Date.now());
      await core()
        .service.entities.signInCounter.put({
          ...counterKey(f.tenantId, id, window, 'CONFIGURATION', ''),
          attempts: SIGN_IN_LIMITS.perConfiguration,
          lastAttemptAt: Date.now(),
          expiresAt: Math.floor(windowEnd(SIGN_IN_LIMITS, window) / 1000) + 3600,
        })
        .go();
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        adeMutation('clearSignInLockout', ', scope: CONFIGURATION'),
        { id: configurationId },
      );
      expect(data.clearSignInLockout.errors).toEqual([]);
    },
  },
  enableAdeConfiguration: {
    action: 'adeConfiguration.enable',
    scope: 'tenant',
    run: async () => {
      const { configurationId } = await newConfiguration();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('enableAdeConfiguration', ''), {
        id: configurationId,
      });
    },
  },
  disableAdeConfiguration: {
    action: 'adeConfiguration.disable',
    scope: 'tenant',
    run: async () => {
      const { configurationId } = await newConfiguration();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('enableAdeConfiguration', ''), {
        id: configurationId,
      });
      await gqlOk(core(), f.tenantAdminKey, adeMutation('disableAdeConfiguration', ''), {
        id: configurationId,
      });
    },
  },
  moveAdeConfiguration: {
    action: 'adeConfiguration.move',
    scope: 'tenant',
    run: async () => {
      const { configurationId } = await newConfiguration();
      const target = await newPolicy('Move target');
      await gqlOk(core(), f.tenantAdminKey, adeMutation('moveAdeConfiguration', `, policyId: "${target}"`), {
        id: configurationId,
      });
    },
  },
  deleteAdeConfiguration: {
    action: 'adeConfiguration.delete',
    scope: 'tenant',
    run: async () => {
      const { configurationId } = await newConfiguration();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('deleteAdeConfiguration', ''), {
        id: configurationId,
      });
    },
  },
  setAdeFallbackTokens: {
    action: 'adeConfiguration.setFallbackTokens',
    scope: 'tenant',
    run: async () => {
      const { policyId, configurationId } = await newConfiguration();
      const token = await newToken(policyId);
      await gqlOk(core(), f.tenantAdminKey, adeMutation('setAdeFallbackTokens', `, tokenIds: ["${token}"]`), {
        id: configurationId,
      });
    },
  },
  retryAdeFallbackRegistration: {
    action: 'adeFallback.register',
    scope: 'tenant',
    run: async () => {
      const { policyId, configurationId } = await newConfiguration();
      const token = await newToken(policyId);
      await gqlOk(core(), f.tenantAdminKey, adeMutation('setAdeFallbackTokens', `, tokenIds: ["${token}"]`), {
        id: configurationId,
      });
      apple().failNext('/account-driven-enrollment/profile', 503, 'SERVICE_UNAVAILABLE');
      await gqlOk(core(), f.tenantAdminKey, adeMutation('enableAdeConfiguration', ''), {
        id: configurationId,
      }); // fails at Apple
      await gqlOk(core(), f.tenantAdminKey, adeMutation('retryAdeFallbackRegistration', ''), {
        id: configurationId,
      });
    },
  },
  setAdeBranding: {
    action: 'adeBranding.set',
    scope: 'tenant',
    run: async () => {
      const { configurationId } = await newConfiguration();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('setAdeBranding', ', displayName: "Branded"'), {
        id: configurationId,
      });
    },
  },
  moveDevice: {
    action: 'device.move',
    scope: 'tenant',
    run: async () => {
      const target = await newPolicy('Device destination');
      const device = encodeScopedId(
        f.tenantId,
        await createDeviceFixture(core(), f.tenantId, f.rootPolicyId),
      );
      await gqlOk(core(), f.tenantAdminKey, adeMutation('moveDevice', `, policyId: "${target}"`), {
        id: device,
      });
    },
  },
  unenrollDevice: {
    action: 'device.unenroll',
    scope: 'tenant',
    run: async () => {
      const device = encodeScopedId(
        f.tenantId,
        await createDeviceFixture(core(), f.tenantId, f.rootPolicyId),
      );
      await gqlOk(core(), f.tenantAdminKey, adeMutation('unenrollDevice', ''), { id: device });
    },
  },
  addPayload: {
    action: 'payload.add',
    scope: 'tenant',
    run: async () => void (await newPayload()),
  },
  updatePayload: {
    action: 'payload.update',
    scope: 'tenant',
    run: async () => {
      const { payloadId } = await newPayload();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('updatePayload', `, settings: "{}"`), {
        id: payloadId,
      });
    },
  },
  removePayload: {
    action: 'payload.remove',
    scope: 'tenant',
    run: async () => {
      const { payloadId } = await newPayload();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('removePayload', ''), { id: payloadId });
    },
  },
  resumeRollout: {
    action: 'rollout.resume',
    scope: 'tenant',
    run: async () => {
      const { rolloutId } = await newPayload();
      await gqlOk(core(), f.tenantAdminKey, adeMutation('resumeRollout', ''), { id: rolloutId });
    },
  },
  uploadPushCertificate: {
    action: 'pushCertificate.upload',
    scope: 'tenant',
    run: async () => {
      const push = makePushCertificate();
      await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($t: ID!, $c: String!, $k: String!) { uploadPushCertificate(input: { tenantId: $t, certificatePem: $c, privateKeyPem: $k }) { errors { code message } } }`,
        { t: f.tenantId, c: push.certificatePem, k: push.privateKeyPem },
      );
    },
  },
  createAdeToken: {
    action: 'adeToken.create',
    scope: 'tenant',
    run: async () => void (await newToken(null, false)),
  },
  uploadAdeServerToken: {
    action: 'adeToken.upload',
    scope: 'tenant',
    run: async () => void (await newToken(null)),
  },
  refreshAdeToken: {
    action: 'adeToken.refresh',
    scope: 'tenant',
    run: async () => {
      const id = await newToken(null);
      await gqlOk(core(), f.tenantAdminKey, adeMutation('refreshAdeToken', ''), { id });
    },
  },
  assignAdeToken: {
    action: 'adeToken.assign',
    scope: 'tenant',
    run: async () => {
      const id = await newToken(null, false);
      await gqlOk(core(), f.tenantAdminKey, adeMutation('assignAdeToken', `, policyId: "${rootId}"`), { id });
    },
  },
  deleteAdeToken: {
    action: 'adeToken.delete',
    scope: 'tenant',
    run: async () => {
      const id = await newToken(null, false);
      await gqlOk(core(), f.tenantAdminKey, adeMutation('deleteAdeToken', ''), { id });
    },
  },
  revokeApiKey: {
    action: 'apiKey.revoke',
    scope: 'tenant',
    run: async () => {
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($o: ID!) { createApiKey(input: { ownerId: $o, name: "short-lived", role: READ_ONLY }) { apiKey { id } } }`,
        { o: f.tenantId },
      );
      await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { errors { code } } }`,
        { id: data.createApiKey.apiKey.id },
      );
    },
  },
};

describe('audit events', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Audited');
    operatorKey = (
      await asSystem(() => core().apiKeys.create({ kind: 'operator' }, { name: 'op', role: 'ADMIN' }))
    ).secret;
    const data = await gqlOk(
      core(),
      f.tenantAdminKey,
      `query($id: ID!) { tenant(id: $id) { rootPolicy { id } } }`,
      { id: f.tenantId },
    );
    rootId = data.tenant.rootPolicy.id;
  });

  it('has a case for every mutation of the schema', () => {
    const mutations = Object.keys((schema.getMutationType() as GraphQLObjectType).getFields()).sort();
    expect(Object.keys(cases).sort()).toEqual(mutations);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name} records ${c.action}`, async () => {
      const before = c.scope === 'tenant' ? await tenantEvents() : await partnerEvents();
      await c.run();
      if (name === 'createPartner' || name === 'createTenant') return; // asserted in run(): the event lives in the new scope
      const after = await tenantEvents();
      const added = after.slice(0, after.length - before.length);
      expect(added.map((e) => e.action)).toContain(c.action);
      const event = added.find((e) => e.action === c.action)!;
      expect(event.outcome).toBe('SUCCESS');
      expect(event.actorId).toMatch(/^key_/);
    });
  }

  it('writes no event when a change is refused, and none for a no-op', async () => {
    const before = await tenantEvents();
    await gqlOk(
      core(),
      f.tenantReadOnlyKey,
      `mutation($p: ID!) { createPolicy(input: { parentId: $p, name: "Nope" }) { errors { code } } }`,
      { p: rootId },
    );
    const id = await newPolicy('Same name');
    await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!) { renamePolicy(input: { id: $id, name: "Same name" }) { errors { code } } }`,
      { id },
    );
    const after = await tenantEvents();
    expect(after.length - before.length).toBe(1); // only the createPolicy of "Same name"
  });
});
