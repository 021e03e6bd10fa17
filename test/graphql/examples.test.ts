/**
 * Executes every example operation in graphql/operations, in a realistic order, so that the files
 * portal and script authors copy from can never rot. A new file without a step here fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeScopedId, SIGN_IN_LIMITS } from '@ade/core';
import { counterKey, windowAt, windowEnd } from '@ade/core/enrollment/sign-in-limits';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueServerToken, useFakeApple } from '../support/apple.ts';
import { asSystem, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const apple = useFakeApple();
const core = useTestCore({ appleUrl: () => apple().url });
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
      'operator-keys',
      async () => {
        const d = await gqlOk(core(), state.operatorKey, op('operator-keys'));
        expect(d.operator.apiKeys.nodes).toEqual([expect.objectContaining({ name: 'op', revoked: false })]);
        expect(d.operator.auditEvents.nodes).toEqual([
          expect.objectContaining({ action: 'apiKey.create', actorKind: 'system' }),
        ]);
      },
    ],
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
      'set-ade-configuration',
      async () => {
        state.domain = `examples-${state.tenantId.slice(-6).toLowerCase()}.example`;
        const d = await gqlOk(core(), state.tenantKey, op('set-ade-configuration'), {
          policyId: state.rootId,
          domains: [state.domain.toUpperCase()],
          type: 'USER', // $enabled not given: a new configuration is enabled
        });
        const config = d.setAdeConfiguration.adeConfiguration;
        expect(config).toMatchObject({ enrollmentType: 'USER', domains: [state.domain], enabled: true });
        expect(JSON.parse(config.hosting.wellKnownJson).Servers[0].Version).toBe('mdm-byod');
        expect(config.hosting.cloudflareWorkerScript).toContain(config.discoveryUrl);
        state.configId = config.id;
      },
    ],
    [
      'ade-hosting',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('ade-hosting'), { policyId: state.rootId });
        const config = d.policy.adeConfiguration;
        expect(config).toMatchObject({ id: state.configId, domains: [state.domain], enabled: true });
        expect(config.hosting.wellKnownPath).toBe('/.well-known/com.apple.remotemanagement');
        for (const snippet of ['cloudflareWorkerScript', 'nginxSnippet', 'apacheSnippet'])
          expect(config.hosting[snippet]).toContain(config.discoveryUrl);
      },
    ],
    [
      'sign-in-lockouts',
      async () => {
        // A person who used up this hour's passcode attempts, written as the sign-in page leaves it
        // (test/e2e/sign-in-limits.test.ts makes real ones through the page).
        const { tenantId, id: configurationId } = decodeScopedId('adeConfiguration', state.configId);
        const window = windowAt(SIGN_IN_LIMITS, Date.now());
        const user = `pat@${state.domain}`;
        await core()
          .service.entities.signInCounter.upsert({
            ...counterKey(tenantId, configurationId, window, 'USER', user),
            subject: user,
            attempts: SIGN_IN_LIMITS.userBackoffSeconds.length,
            lastAttemptAt: Date.now(),
            expiresAt: Math.floor(windowEnd(SIGN_IN_LIMITS, window) / 1000) + 3600,
          })
          .go();
        const d = await gqlOk(core(), state.tenantKey, op('sign-in-lockouts'), { policyId: state.rootId });
        expect(d.policy.adeConfiguration.signInLockouts).toEqual([
          expect.objectContaining({
            scope: 'USER',
            subject: user,
            attempts: 5,
            limit: 5,
            refusedAttempts: 0,
          }),
        ]);
        state.lockedOut = user;
      },
    ],
    [
      'clear-sign-in-lockout',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('clear-sign-in-lockout'), {
          id: state.configId,
          scope: 'USER',
          subject: state.lockedOut,
        });
        expect(d.clearSignInLockout).toEqual({
          adeConfiguration: { id: state.configId, signInLockouts: [] },
          errors: [],
        });
      },
    ],
    [
      'create-ade-token',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('create-ade-token'), {
          tenantId: state.tenantId,
          name: 'ABM',
          policyId: state.rootId,
        });
        expect(d.createAdeToken.adeToken).toMatchObject({
          state: 'AWAITING_SERVER_TOKEN',
          policy: { id: state.rootId },
        });
        expect(d.createAdeToken.adeToken.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
        state.tokenId = d.createAdeToken.adeToken.id;
        state.certificatePem = d.createAdeToken.adeToken.certificatePem;
      },
    ],
    [
      'upload-ade-server-token',
      async () => {
        const soon = new Date(Date.now() + 10 * 86_400_000 + 3_600_000);
        const file = issueServerToken(apple(), state.certificatePem, {
          expiry: soon,
          serverName: 'Example MDM',
        }).file;
        const d = await gqlOk(core(), state.tenantKey, op('upload-ade-server-token'), {
          id: state.tokenId,
          file,
        });
        expect(d.uploadAdeServerToken.adeToken).toMatchObject({
          state: 'EXPIRING_SOON',
          daysLeft: 10,
          serverName: 'Example MDM',
          organizationName: 'Example Organisation',
        });
      },
    ],
    [
      'set-ade-fallback-tokens',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('set-ade-fallback-tokens'), {
          id: state.configId,
          tokenIds: [state.tokenId],
        });
        const config = d.setAdeFallbackTokens.adeConfiguration;
        expect(config.fallbackRegistrations).toMatchObject([
          { token: { id: state.tokenId }, desired: 'REGISTERED', state: 'REGISTERED' },
        ]);
        expect(config.diagnostics.map((x: any) => x.code)).toEqual(['TOKEN_EXPIRING_SOON']);
      },
    ],
    [
      'set-ade-branding',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('set-ade-branding'), {
          id: state.configId,
          logo: null,
        });
        expect(d.setAdeBranding.adeConfiguration.branding).toMatchObject({
          displayName: 'Example IT',
          privacyNoticeIsDefault: true,
          logo: null,
        });
      },
    ],
    [
      'apply-ade-branding',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('apply-ade-branding'), {
          input: {
            id: state.configId,
            displayName: 'Example Org IT',
            supportUrl: 'https://help.example.com',
          },
        });
        expect(d.setAdeBranding.errors).toEqual([]);
        expect(d.setAdeBranding.adeConfiguration.branding).toMatchObject({
          displayName: 'Example Org IT',
          supportUrl: 'https://help.example.com',
        });
        const refused = await gqlOk(core(), state.tenantKey, op('apply-ade-branding'), {
          input: { id: state.configId, supportUrl: 'http://help.example.com' },
        });
        expect(refused.setAdeBranding.errors).toEqual([
          expect.objectContaining({ code: 'VALIDATION_FAILED', path: ['input', 'supportUrl'] }),
        ]);
      },
    ],
    [
      'ade-setup',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('ade-setup'), { tenantId: state.tenantId });
        expect(d.tenant.adeConfigurations).toHaveLength(1);
        expect(d.tenant.adeTokens).toMatchObject([
          { id: state.tokenId, state: 'EXPIRING_SOON', policy: { id: state.rootId } },
        ]);
      },
    ],
    [
      'add-payload',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('add-payload'), {
          policyId: state.rootId,
          payloadType: 'com.apple.applicationaccess',
          displayName: 'Restrictions',
          settings: JSON.stringify({ allowCamera: false, allowScreenShot: false }),
        });
        expect(d.addPayload.errors).toEqual([]);
        state.payloadId = d.addPayload.change.payload.id;
        const byod = d.addPayload.change.payload.eligibility.find(
          (e: any) => e.platform === 'iOS' && e.enrollmentType === 'BYOD',
        );
        expect(byod).toMatchObject({ status: 'PARTIAL', droppedKeys: ['allowCamera'] });
        const wrong = await gqlOk(core(), state.tenantKey, op('add-payload'), {
          policyId: state.rootId,
          payloadType: 'com.apple.applicationaccess',
          settings: JSON.stringify({ allowCamera: 'no' }),
        });
        expect(wrong.addPayload.errors).toEqual([
          expect.objectContaining({ code: 'WRONG_TYPE', path: ['input', 'settings', 'allowCamera'] }),
        ]);
        const wifi = await gqlOk(core(), state.tenantKey, op('add-payload'), {
          policyId: state.paris,
          payloadType: 'com.apple.wifi.managed',
          displayName: 'Office Wi-Fi',
          settings: JSON.stringify({
            SSID_STR: 'Office',
            EncryptionType: 'WPA2',
            Password: 'office-wpa2-Example',
          }),
        });
        expect(wifi.addPayload.errors).toEqual([]);
        state.wifiId = wifi.addPayload.change.payload.id;
      },
    ],
    [
      'policy-payloads',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('policy-payloads'), { policyId: state.rootId });
        expect(d.policy.payloads).toMatchObject([
          {
            id: state.payloadId,
            payloadType: 'com.apple.applicationaccess',
            displayName: 'Restrictions',
            version: 1,
          },
        ]);
        expect(JSON.parse(d.policy.payloads[0].settings)).toEqual({
          allowCamera: false,
          allowScreenShot: false,
        });
        const paris = await gqlOk(core(), state.tenantKey, op('policy-payloads'), { policyId: state.paris });
        expect(paris.policy.payloads).toMatchObject([
          {
            id: state.wifiId,
            secrets: [
              { path: 'Password', hasValue: true },
              { path: 'ProxyPassword', hasValue: false },
            ],
          },
        ]);
        expect(JSON.parse(paris.policy.payloads[0].settings)).toEqual({
          SSID_STR: 'Office',
          EncryptionType: 'WPA2',
        });
        state.wifiSettings = paris.policy.payloads[0].settings;
      },
    ],
    [
      'payloads-not-applying',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('payloads-not-applying'), {
          policyId: state.paris, // inherits the root's payload
          enrollmentType: 'BYOD',
          platform: 'iOS',
        });
        expect(d.node.payloadsNotApplying).toMatchObject([
          {
            payload: { id: state.payloadId, policy: { name: 'All devices' } },
            eligibility: [{ status: 'PARTIAL' }],
          },
        ]);
      },
    ],
    [
      'deployment-status',
      async () => {
        const d = await gqlOk(core(), state.tenantKey, op('deployment-status'), {
          policyId: state.rootId,
          state: 'UNSUPPORTED',
        });
        expect(d.node.payloads.map((p: any) => p.id)).toEqual([state.payloadId]);
        expect(d.node.deploymentSummary).toEqual([]); // no devices yet: no counters
      },
    ],
    [
      'update-payload',
      async () => {
        const settings = JSON.stringify({ allowCamera: false, allowScreenShot: true });
        const d = await gqlOk(core(), state.tenantKey, op('update-payload'), {
          id: state.payloadId,
          settings,
          expectedVersion: 1,
        });
        expect(d.updatePayload.errors).toEqual([]);
        expect(d.updatePayload.change.payload).toMatchObject({ id: state.payloadId, version: 2 });
        expect(JSON.parse(d.updatePayload.change.payload.settings)).toEqual(JSON.parse(settings));
        const stale = await gqlOk(core(), state.tenantKey, op('update-payload'), {
          id: state.payloadId,
          settings,
          expectedVersion: 1,
        });
        expect(stale.updatePayload.errors.map((e: any) => e.code)).toEqual(['VERSION_MISMATCH']);
        // The settings as read, sent back with a change: the password is kept without being sent.
        const wifi = await gqlOk(core(), state.tenantKey, op('update-payload'), {
          id: state.wifiId,
          settings: JSON.stringify({ ...JSON.parse(state.wifiSettings), AutoJoin: true }),
        });
        expect(wifi.updatePayload.change.payload.secrets).toContainEqual({
          path: 'Password',
          hasValue: true,
        });
        expect(JSON.stringify(wifi)).not.toContain('office-wpa2-Example');
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
