import { execFileSync } from 'node:child_process';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { asTenant, errorOf } from '../support/ade.ts';
import { encryptTo, issueServerToken, useFakeApple } from '../support/apple.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';

const apple = useFakeApple();
const core = useTestCore({ appleUrl: () => apple().url });

async function dump(): Promise<string> {
  const { Items = [] } = await core().db.client.send(new ScanCommand({ TableName: core().db.tableName }));
  return JSON.stringify(Items);
}

describe('ADE tokens', () => {
  it('makes a certificate for ABM, decrypts the server token, and reads the server from Apple', async () => {
    const f = await createTenantFixture(core(), 'Tokens');
    const token = await asTenant(core(), f, () =>
      core().adeTokens.create({ name: 'Main ABM', policyId: f.rootPolicyId }),
    );
    const text = execFileSync('openssl', ['x509', '-noout', '-subject', '-enddate'], {
      input: token.certificatePem,
    }).toString();
    expect(text).toContain(token.tokenId);
    expect(await dump()).not.toContain('PRIVATE KEY');

    const issued = issueServerToken(apple(), token.certificatePem, {
      serverName: 'Acme MDM',
      serverUuid: 'uuid-acme',
    });
    const uploaded = await asTenant(core(), f, () => core().adeTokens.upload(token.tokenId, issued.file));
    expect(uploaded).toMatchObject({
      serverName: 'Acme MDM',
      serverUuid: 'uuid-acme',
      orgName: 'Example Organisation',
    });
    expect(Date.parse(uploaded.accessTokenExpiry!)).toBe(
      Math.floor(issued.server.token.accessTokenExpiry!.getTime() / 1000) * 1000,
    );
    expect(uploaded.lastSyncError).toBeUndefined();
    const stored = await dump();
    for (const secret of [
      issued.server.token.consumerSecret,
      issued.server.token.accessSecret,
      issued.server.token.accessToken,
    ]) {
      expect(stored).not.toContain(secret);
    }
    const audit = await asTenant(core(), f, () => core().audit.listForTenant({ first: 5 }));
    expect(audit.items[0]).toMatchObject({ action: 'adeToken.upload', outcome: 'SUCCESS' });
  });

  it('refuses the wrong key, a damaged file, an expired token and non-tokens — changing nothing', async () => {
    const f = await createTenantFixture(core(), 'Broken');
    const token = await asTenant(core(), f, () => core().adeTokens.create({ name: 'T' }));
    const other = await asTenant(core(), f, () => core().adeTokens.create({ name: 'Other' }));
    const good = issueServerToken(apple(), token.certificatePem).file;
    const cases: [string, string][] = [
      [issueServerToken(apple(), other.certificatePem).file, 'TOKEN_WRONG_KEY'],
      [good.replace(/[A-Za-z0-9+/]{40}\r?\n/, 'not base64 at all!!\n'), 'TOKEN_CORRUPTED'],
      [good.slice(0, Math.floor(good.length / 2)), 'TOKEN_CORRUPTED'],
      [
        issueServerToken(apple(), token.certificatePem, { expiry: new Date(Date.now() - 86_400_000) }).file,
        'TOKEN_EXPIRED',
      ],
      [encryptTo(token.certificatePem, JSON.stringify({ hello: 'world' })), 'NOT_A_TOKEN'],
      ['just some text', 'NOT_A_TOKEN'],
    ];
    for (const [file, code] of cases) {
      const error = await errorOf(asTenant(core(), f, () => core().adeTokens.upload(token.tokenId, file)));
      expect(error?.code, code).toBe(code);
      expect(error?.message.length).toBeGreaterThan(10);
    }
    const after = await asTenant(core(), f, () => core().adeTokens.get(token.tokenId));
    expect(after.version).toBe(token.version);
    expect(after.sealedCredentials).toBeUndefined();
  });

  it('renews with a new file for the same server, refuses another server, and survives Apple being down', async () => {
    const f = await createTenantFixture(core(), 'Renew');
    const token = await asTenant(core(), f, () => core().adeTokens.create({ name: 'T' }));
    await asTenant(core(), f, () =>
      core().adeTokens.upload(
        token.tokenId,
        issueServerToken(apple(), token.certificatePem, { serverUuid: 'uuid-1' }).file,
      ),
    );
    const renewed = await asTenant(core(), f, () =>
      core().adeTokens.upload(
        token.tokenId,
        issueServerToken(apple(), token.certificatePem, { serverUuid: 'uuid-1', serverName: 'Renamed' }).file,
      ),
    );
    expect(renewed.serverName).toBe('Renamed');
    const wrong = await errorOf(
      asTenant(core(), f, () =>
        core().adeTokens.upload(
          token.tokenId,
          issueServerToken(apple(), token.certificatePem, { serverUuid: 'uuid-2' }).file,
        ),
      ),
    );
    expect(wrong?.code).toBe('TOKEN_FOR_OTHER_SERVER');
    const audit = await asTenant(core(), f, () => core().audit.listForTenant({ first: 3 }));
    expect(audit.items[0]?.action).toBe('adeToken.renew');

    // Apple unreachable at upload: the credentials are kept, the failure recorded, refresh recovers.
    const t2 = await asTenant(core(), f, () => core().adeTokens.create({ name: 'Offline' }));
    const issued = issueServerToken(apple(), t2.certificatePem, { serverName: 'Later' });
    apple().failNext('/account', 503, 'SERVICE_UNAVAILABLE');
    const offline = await asTenant(core(), f, () => core().adeTokens.upload(t2.tokenId, issued.file));
    expect(offline.serverName).toBeUndefined();
    expect(offline.lastSyncError).toBeTruthy();
    expect(offline.sealedCredentials).toBeDefined();
    const refreshed = await asTenant(core(), f, () => core().adeTokens.refresh(t2.tokenId));
    expect(refreshed.serverName).toBe('Later');
    expect(refreshed.lastSyncError).toBeUndefined();
  });

  it('is assigned to exactly one policy, and guards deletion of policies and tokens', async () => {
    const f = await createTenantFixture(core(), 'Assign');
    const p = await asTenant(core(), f, () =>
      core().policies.create({ parentId: f.rootPolicyId, name: 'Site' }),
    );
    const token = await asTenant(core(), f, () =>
      core().adeTokens.create({ name: 'T', policyId: p.policyId }),
    );
    expect((await errorOf(asTenant(core(), f, () => core().policies.remove(p.policyId))))?.code).toBe(
      'POLICY_HAS_TOKENS',
    );
    await asTenant(core(), f, () => core().adeTokens.assign(token.tokenId, f.rootPolicyId));
    const [site, root] = await asTenant(core(), f, () =>
      core().policies.getMany([p.policyId, f.rootPolicyId]),
    );
    expect([site?.tokenCount, root?.tokenCount]).toEqual([0, 1]);
    expect(
      (await asTenant(core(), f, () => core().adeTokens.listForPolicy(f.rootPolicyId))).map((t) => t.tokenId),
    ).toEqual([token.tokenId]);
    await asTenant(core(), f, () => core().adeTokens.assign(token.tokenId, null));
    await asTenant(core(), f, () => core().policies.remove(p.policyId));
    await asTenant(core(), f, () => core().adeTokens.remove(token.tokenId));
    expect((await errorOf(asTenant(core(), f, () => core().adeTokens.get(token.tokenId))))?.code).toBe(
      'NOT_FOUND',
    );
    expect((await asTenant(core(), f, () => core().policies.get(f.rootPolicyId))).tokenCount).toBe(0);
  });
});
