import { encodeScopedId } from '@ade/core';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { asTenant, errorOf } from '../support/ade.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const core = useTestCore();
const unique = () => Math.random().toString(36).slice(2, 10);

async function newPolicy(f: Awaited<ReturnType<typeof createTenantFixture>>, name: string) {
  return asTenant(core(), f, () => core().policies.create({ parentId: f.rootPolicyId, name }));
}

describe('ADE configurations', () => {
  it('sets a configuration idempotently, normalising domains to lower-case punycode', async () => {
    const f = await createTenantFixture(core(), 'Setter');
    const d = unique();
    const input = {
      policyId: f.rootPolicyId,
      enrollmentType: 'USER' as const,
      domains: [`Bücher-${d}.Example`, `${d}.example.COM`, `${d}.example.com`],
      authMethod: 'MANAGED_APPLE_ACCOUNT' as const,
    };
    const { item } = await asTenant(core(), f, () => core().adeConfigurations.set(input));
    // The punycode is computed by WHATWG URL parsing, independently of our normaliser.
    expect(item.domains).toEqual([new URL(`http://bücher-${d}.example`).hostname, `${d}.example.com`]);
    expect(item.domains[0]).toMatch(/^xn--/);
    expect(item.discoveryId).toHaveLength(78);
    expect(item.enabled).toBe(true); // a new configuration answers devices unless told otherwise
    const again = await asTenant(core(), f, () => core().adeConfigurations.set(input));
    expect(again.item.version).toBe(item.version); // nothing written the second time
    const policy = await asTenant(core(), f, () => core().policies.get(f.rootPolicyId));
    expect(policy.adeConfigurationId).toBe(item.configurationId);

    const changed = await asTenant(core(), f, () =>
      core().adeConfigurations.set({
        ...input,
        enrollmentType: 'DEVICE',
        domains: [`${d}.example.com`],
        enabled: false,
      }),
    );
    expect(changed.item).toMatchObject({
      enrollmentType: 'DEVICE',
      domains: [`${d}.example.com`],
      enabled: false,
      version: 2,
    });
    expect(changed.item.configurationId).toBe(item.configurationId); // one configuration per policy
  });

  it('enables a new configuration unless told otherwise; an update keeps what it leaves out', async () => {
    const f = await createTenantFixture(core(), 'First hour');
    const [a, b] = await Promise.all([newPolicy(f, 'A'), newPolicy(f, 'B')]);
    const set = async (policyId: string, fields: string) => {
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($p: ID!) { setAdeConfiguration(input: { policyId: $p${fields} }) { adeConfiguration { id enabled hasPasscode version } errors { code path } } }`,
        { p: encodeScopedId(f.tenantId, policyId) },
      );
      return data.setAdeConfiguration;
    };
    const d = unique();
    const user = `, enrollmentType: USER, authMethod: MANAGED_APPLE_ACCOUNT, domains: ["${d}-a.example"]`;
    const created = await set(a.policyId, user);
    expect(created).toMatchObject({ adeConfiguration: { enabled: true }, errors: [] });
    expect(
      (await set(b.policyId, `${user.replace('-a.', '-b.')}, enabled: false`)).adeConfiguration.enabled,
    ).toBe(false);

    await gqlOk(
      core(),
      f.tenantAdminKey,
      'mutation($id: ID!) { disableAdeConfiguration(input: { id: $id }) { errors { code } } }',
      {
        id: created.adeConfiguration.id,
      },
    );
    const updated = await set(a.policyId, user.replace(']', `, "${d}-c.example"]`));
    expect(updated.adeConfiguration).toMatchObject({ enabled: false }); // left out: as it was

    const passcode = ', enrollmentType: USER, authMethod: PASSCODE';
    expect(
      (await set(a.policyId, `${passcode}, domains: ["${d}-a.example"], passcode: "123456"`)).errors,
    ).toEqual([]);
    const kept = await set(a.policyId, `${passcode}, domains: ["${d}-a.example", "${d}-d.example"]`);
    expect(kept.adeConfiguration.hasPasscode).toBe(true);

    // Neither has a "cleared" state: null is a mistake, said as one, and changes nothing.
    const refused = await set(
      a.policyId,
      `${passcode}, domains: ["${d}-a.example"], enabled: null, passcode: null`,
    );
    expect(refused).toEqual({
      adeConfiguration: null,
      errors: [
        { code: 'VALIDATION_FAILED', path: ['input', 'passcode'] },
        { code: 'VALIDATION_FAILED', path: ['input', 'enabled'] },
      ],
    });
    const now = await gqlOk(
      core(),
      f.tenantAdminKey,
      'query($id: ID!) { node(id: $id) { ... on AdeConfiguration { enabled hasPasscode version } } }',
      { id: kept.adeConfiguration.id },
    );
    expect(now.node).toEqual({ enabled: false, hasPasscode: true, version: kept.adeConfiguration.version });
  });

  it('names the domain at fault in DOMAIN_TAKEN, by its place in the input', async () => {
    const owner = await createTenantFixture(core(), 'Holder');
    const late = await createTenantFixture(core(), 'Late');
    const taken = `${unique()}.example`;
    await asTenant(core(), owner, () =>
      core().adeConfigurations.set({
        policyId: owner.rootPolicyId,
        enrollmentType: 'USER',
        domains: [taken],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
      }),
    );
    const data = await gqlOk(
      core(),
      late.tenantAdminKey,
      `mutation($p: ID!, $d: [String!]!) { setAdeConfiguration(input: { policyId: $p, enrollmentType: USER, domains: $d, authMethod: MANAGED_APPLE_ACCOUNT }) { errors { code message path } } }`,
      {
        p: encodeScopedId(late.tenantId, late.rootPolicyId),
        d: [`free-${taken}`, `FREE-${taken}`, taken.toUpperCase()],
      },
    );
    expect(data.setAdeConfiguration.errors).toEqual([
      {
        code: 'DOMAIN_TAKEN',
        message: `${taken} is already used by another ADE configuration.`,
        path: ['input', 'domains', '2'],
      },
    ]);
  });

  it('refuses bad domains with one error per problem, and changes nothing', async () => {
    const f = await createTenantFixture(core(), 'Bad domains');
    const error = await errorOf(
      asTenant(core(), f, () =>
        core().adeConfigurations.set({
          policyId: f.rootPolicyId,
          enrollmentType: 'USER',
          domains: [
            'https://example.com',
            'example.com:8443',
            'ok.example',
            '*.example.com',
            'localhost',
            '10.0.0.1',
          ],
          authMethod: 'MANAGED_APPLE_ACCOUNT',
        }),
      ),
    );
    expect(error?.code).toBe('VALIDATION_FAILED');
    expect(error?.problems.map((p) => p.path.join('.'))).toEqual([
      'domains.0',
      'domains.1',
      'domains.3',
      'domains.4',
      'domains.5',
    ]);
    const policy = await asTenant(core(), f, () => core().policies.get(f.rootPolicyId));
    expect(policy.adeConfigurationId).toBeUndefined();
  });

  it('gives a domain to one configuration in the whole system, without revealing the owner', async () => {
    const a = await createTenantFixture(core(), 'Owner');
    const b = await createTenantFixture(core(), 'Latecomer');
    const domain = `${unique()}.example`;
    const set = (f: typeof a, domains: string[]) =>
      asTenant(core(), f, () =>
        core().adeConfigurations.set({
          policyId: f.rootPolicyId,
          enrollmentType: 'USER',
          domains,
          authMethod: 'MANAGED_APPLE_ACCOUNT',
        }),
      );
    await set(a, [domain]);
    const error = await errorOf(set(b, [`other-${domain}`, domain]));
    expect(error?.code).toBe('DOMAIN_TAKEN');
    expect(error?.message).toContain(domain);
    expect(error?.message).not.toContain(a.tenantId);
    expect(error?.message).not.toContain('Owner');
    // Nothing of b's attempt was written: its other domain is still free.
    await set(a, [domain, `other-${domain}`]);

    // Releasing a domain frees it for others.
    await set(a, [`other-${domain}`]);
    await set(b, [domain]);
  });

  it('ends two concurrent claims of one domain with exactly one owner', async () => {
    const tenants = await Promise.all([1, 2, 3, 4].map((i) => createTenantFixture(core(), `Racer ${i}`)));
    for (let round = 0; round < 5; round++) {
      const domain = `race-${round}-${unique()}.example`;
      const results = await Promise.allSettled(
        tenants.map((f) =>
          asTenant(core(), f, () =>
            core().adeConfigurations.set({
              policyId: f.rootPolicyId,
              enrollmentType: 'DEVICE',
              domains: [`${f.tenantId.slice(-6).toLowerCase()}-${round}.example`, domain],
              authMethod: 'MANAGED_APPLE_ACCOUNT',
            }),
          ),
        ),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(['DOMAIN_TAKEN', 'CONCURRENT_CHANGE']).toContain(r.reason.code);
      const { Items = [] } = await core().db.client.send(
        new ScanCommand({
          TableName: core().db.tableName,
          FilterExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `DOMAIN#${domain}` } },
        }),
      );
      expect(Items).toHaveLength(1);
      // Tidy up for the next round: the winners release their configuration.
      for (const [i, r] of results.entries()) {
        if (r.status === 'fulfilled') {
          await asTenant(core(), tenants[i]!, () =>
            core().adeConfigurations.remove(r.value.item.configurationId),
          );
        }
      }
    }
  });

  it('moves atomically, keeps one configuration per policy, and guards policy deletion', async () => {
    const f = await createTenantFixture(core(), 'Mover');
    const [p1, p2, p3] = [await newPolicy(f, 'P1'), await newPolicy(f, 'P2'), await newPolicy(f, 'P3')];
    const set = (policyId: string) =>
      asTenant(core(), f, () =>
        core().adeConfigurations.set({
          policyId,
          enrollmentType: 'USER',
          domains: [`${unique()}.example`],
          authMethod: 'MANAGED_APPLE_ACCOUNT',
        }),
      );
    const c1 = (await set(p1!.policyId)).item;
    const c2 = (await set(p2!.policyId)).item;
    expect(
      (
        await errorOf(
          asTenant(core(), f, () => core().adeConfigurations.move(c1.configurationId, p2!.policyId)),
        )
      )?.code,
    ).toBe('CONFIGURATION_EXISTS');
    expect((await errorOf(asTenant(core(), f, () => core().policies.remove(p1!.policyId))))?.code).toBe(
      'POLICY_HAS_CONFIGURATION',
    );

    // Both race for P3: exactly one lands there; the other stays where it was.
    const results = await Promise.allSettled([
      asTenant(core(), f, () => core().adeConfigurations.move(c1.configurationId, p3!.policyId)),
      asTenant(core(), f, () => core().adeConfigurations.move(c2.configurationId, p3!.policyId)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const policies = await asTenant(core(), f, () =>
      core().policies.getMany([p1!.policyId, p2!.policyId, p3!.policyId]),
    );
    const configs = await asTenant(core(), f, () => core().adeConfigurations.list());
    for (const config of configs) {
      const holder = policies.find((p) => p?.policyId === config.policyId);
      expect(holder?.adeConfigurationId).toBe(config.configurationId);
    }
    expect(policies.filter((p) => p?.adeConfigurationId).length).toBe(2);
  });

  it('requires and hashes a passcode for the PASSCODE method', async () => {
    const f = await createTenantFixture(core(), 'Passcode');
    const base = {
      policyId: f.rootPolicyId,
      enrollmentType: 'USER' as const,
      domains: [`${unique()}.example`],
    };
    const missing = await errorOf(
      asTenant(core(), f, () => core().adeConfigurations.set({ ...base, authMethod: 'PASSCODE' })),
    );
    expect(missing?.code).toBe('PASSCODE_REQUIRED');
    const passcode = `Pass-${unique()}`;
    const { item } = await asTenant(core(), f, () =>
      core().adeConfigurations.set({ ...base, authMethod: 'PASSCODE', passcode }),
    );
    expect(item.passcodeHash).toMatch(/^scrypt\$/);
    const kept = await asTenant(core(), f, () =>
      core().adeConfigurations.set({ ...base, authMethod: 'PASSCODE' }),
    );
    expect(kept.item.version).toBe(item.version); // omitted passcode: unchanged, nothing written
    const { Items = [] } = await core().db.client.send(new ScanCommand({ TableName: core().db.tableName }));
    expect(JSON.stringify(Items)).not.toContain(passcode);
  });
});
