import { encodeScopedId } from '@ade/core';
import { describe, expect, it } from 'vitest';
import { asTenant, errorOf } from '../support/ade.ts';
import { issueServerToken, useFakeApple } from '../support/apple.ts';
import { createTenantFixture, TEST_PUBLIC_URL, type TenantFixture, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const apple = useFakeApple();
const core = useTestCore({ appleUrl: () => apple().url });
const unique = () => Math.random().toString(36).slice(2, 10);

/** root → region → site, plus an unrelated branch; a configuration on `region`. */
async function setup(f: TenantFixture) {
  return asTenant(core(), f, async () => {
    const region = await core().policies.create({ parentId: f.rootPolicyId, name: 'Region' });
    const site = await core().policies.create({ parentId: region.policyId, name: 'Site' });
    const elsewhere = await core().policies.create({ parentId: f.rootPolicyId, name: 'Elsewhere' });
    const { item: config } = await core().adeConfigurations.set({
      policyId: region.policyId,
      enrollmentType: 'USER',
      domains: [`${unique()}.example`],
      authMethod: 'MANAGED_APPLE_ACCOUNT',
      enabled: false, // registered with Apple only once enabled
    });
    const token = async (name: string, policyId: string | null, options = {}) => {
      const created = await core().adeTokens.create({ name, policyId });
      const issued = issueServerToken(apple(), created.certificatePem, options);
      return { token: await core().adeTokens.upload(created.tokenId, issued.file), server: issued.server };
    };
    return { region, site, elsewhere, config, token };
  });
}

describe('fallback discovery', () => {
  it("refuses tokens not assigned directly to the configuration's policy, naming where they are", async () => {
    const f = await createTenantFixture(core(), 'Rule');
    const s = await setup(f);
    const cases: [string | null, RegExp][] = [
      [f.rootPolicyId, /assigned to "All devices", a parent policy of "Region"/],
      [s.site.policyId, /assigned to "Site", a child policy of "Region"/],
      [s.elsewhere.policyId, /assigned to "Elsewhere", an unrelated policy/],
      [null, /not assigned to any policy/],
    ];
    for (const [policyId, message] of cases) {
      const { token } = await asTenant(core(), f, () => s.token(`On ${policyId}`, policyId));
      const error = await errorOf(
        asTenant(core(), f, () =>
          core().adeConfigurations.setFallbackTokens(s.config.configurationId, [token.tokenId]),
        ),
      );
      expect(error?.code).toBe('FALLBACK_TOKEN_NOT_ON_POLICY');
      expect(error?.message).toMatch(message);
    }
    const { token } = await asTenant(core(), f, () => s.token('Same policy', s.region.policyId));
    const config = await asTenant(core(), f, () =>
      core().adeConfigurations.setFallbackTokens(s.config.configurationId, [token.tokenId]),
    );
    expect(config.fallbackTokenIds).toEqual([token.tokenId]);
  });

  it('registers our discovery URL with Apple when enabled, and removes it when disabled or deleted', async () => {
    const f = await createTenantFixture(core(), 'Register');
    const s = await setup(f);
    const { token, server } = await asTenant(core(), f, () => s.token('Fallback', s.region.policyId));
    const url = `${TEST_PUBLIC_URL}/mdm/enrollment/servicediscovery/${s.config.discoveryId}`;
    await asTenant(core(), f, () =>
      core().adeConfigurations.setFallbackTokens(s.config.configurationId, [token.tokenId]),
    );
    expect(server.profile).toBeUndefined(); // disabled: nothing registered

    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(s.config.configurationId, true));
    expect(server.profile?.url).toBe(url);
    const [registered] = await asTenant(core(), f, () =>
      core().adeConfigurations.registrations(s.config.configurationId),
    );
    expect(registered).toMatchObject({
      tokenId: token.tokenId,
      desired: 'REGISTERED',
      state: 'REGISTERED',
      url,
    });
    expect(registered?.lastSuccessAt).toBeTruthy();

    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(s.config.configurationId, false));
    expect(server.profile).toBeUndefined();
    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(s.config.configurationId, true));
    expect(server.profile?.url).toBe(url);
    await asTenant(core(), f, () => core().adeConfigurations.remove(s.config.configurationId));
    expect(server.profile).toBeUndefined();
  });

  it('brings Apple in line when setAdeConfiguration changes enabled, like enable and disable do', async () => {
    const f = await createTenantFixture(core(), 'Set enabled');
    const s = await setup(f);
    const { token, server } = await asTenant(core(), f, () => s.token('Fallback', s.region.policyId));
    await asTenant(core(), f, () =>
      core().adeConfigurations.setFallbackTokens(s.config.configurationId, [token.tokenId]),
    );
    const set = async (enabled: boolean) => {
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($p: ID!, $d: [String!]!, $e: Boolean) { setAdeConfiguration(input: { policyId: $p, enrollmentType: USER, domains: $d, authMethod: MANAGED_APPLE_ACCOUNT, enabled: $e }) { adeConfiguration { enabled } errors { code } } }`,
        { p: encodeScopedId(f.tenantId, s.region.policyId), d: s.config.domains, e: enabled },
      );
      expect(data.setAdeConfiguration).toEqual({ adeConfiguration: { enabled }, errors: [] });
    };
    await set(true);
    expect(server.profile?.url).toBe(
      `${TEST_PUBLIC_URL}/mdm/enrollment/servicediscovery/${s.config.discoveryId}`,
    );
    await set(false);
    expect(server.profile).toBeUndefined();
  });

  it("records Apple's refusal, retries safely, and never removes another service's URL", async () => {
    const f = await createTenantFixture(core(), 'Failures');
    const s = await setup(f);
    const { token, server } = await asTenant(core(), f, () =>
      s.token('Unsupported org', s.region.policyId, { accountDrivenEnrollment: false }),
    );
    await asTenant(core(), f, () =>
      core().adeConfigurations.setFallbackTokens(s.config.configurationId, [token.tokenId]),
    );
    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(s.config.configurationId, true));
    let [registration] = await asTenant(core(), f, () =>
      core().adeConfigurations.registrations(s.config.configurationId),
    );
    expect(registration).toMatchObject({ state: 'FAILED', lastErrorCode: 'ORG_NOT_SUPPORTED' });
    expect(registration?.lastError).toBeTruthy();

    const okPosts = () =>
      apple().requests.filter(
        (r) => r.method === 'POST' && r.path === '/account-driven-enrollment/profile' && r.status === 200,
      ).length;
    const before = okPosts();
    server.accountDrivenEnrollment = true; // the organisation fixes it in ABM
    await asTenant(core(), f, () => core().adeConfigurations.syncFallback(s.config.configurationId));
    await asTenant(core(), f, () => core().adeConfigurations.syncFallback(s.config.configurationId)); // retrying again is harmless
    [registration] = await asTenant(core(), f, () =>
      core().adeConfigurations.registrations(s.config.configurationId),
    );
    expect(registration).toMatchObject({ state: 'REGISTERED' });
    expect(registration?.lastError).toBeUndefined();
    expect(okPosts() - before).toBe(1);

    // Someone points the organisation at another service; disabling ours must leave it alone.
    server.profile = { url: 'https://other-mdm.example/discovery', lastUpdated: new Date().toISOString() };
    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(s.config.configurationId, false));
    expect(server.profile?.url).toBe('https://other-mdm.example/discovery');
  });

  it('moving the configuration drops fallback tokens left behind and unregisters them', async () => {
    const f = await createTenantFixture(core(), 'Move');
    const s = await setup(f);
    const { token, server } = await asTenant(core(), f, () => s.token('Left behind', s.region.policyId));
    await asTenant(core(), f, () =>
      core().adeConfigurations.setFallbackTokens(s.config.configurationId, [token.tokenId]),
    );
    await asTenant(core(), f, () => core().adeConfigurations.setEnabled(s.config.configurationId, true));
    expect(server.profile).toBeDefined();
    const moved = await asTenant(core(), f, () =>
      core().adeConfigurations.move(s.config.configurationId, s.elsewhere.policyId),
    );
    expect(moved.fallbackTokenIds).toEqual([]);
    expect(server.profile).toBeUndefined();
    const [registration] = await asTenant(core(), f, () =>
      core().adeConfigurations.registrations(s.config.configurationId),
    );
    expect(registration).toMatchObject({ desired: 'REMOVED', state: 'REMOVED' });
  });
});
