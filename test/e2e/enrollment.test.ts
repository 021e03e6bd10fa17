/**
 * A device's enrollment up to the access token, over HTTP through the local runtime: the real
 * iPhone capture POSTed to BaseURL → 401 `apple-as-web` → the web-authentication page →
 * (passcode, with lock-out) → 308 to Apple's callback with a token → the same POST with the bearer
 * redeems it, once.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import type { RedeemedToken } from '@ade/core';
import { hmacTokenSigner } from '@ade/core/secrets/index';
import { createAuthHandler } from '@ade/functions/auth';
import { createEnrollHandler } from '@ade/functions/enroll';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, errorOf } from '../support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL, useTestCore } from '../support/core.ts';
import { wireDeviceCore } from '../support/handlers.ts';

const core = useTestCore();
const capture = readFileSync(ENROLL_CAPTURE_PATH);
const redeemed: RedeemedToken[] = [];
let server: LocalServer;

async function configure(
  authMethod: 'MANAGED_APPLE_ACCOUNT' | 'PASSCODE',
  enrollmentType: 'USER' | 'DEVICE' = 'USER',
) {
  const f = await createTenantFixture(core(), `Enroll ${authMethod}`);
  const domain = `enroll-${Math.random().toString(36).slice(2, 8)}.example`;
  const { item } = await asTenant(core(), f, () =>
    core().adeConfigurations.set({
      policyId: f.rootPolicyId,
      enrollmentType,
      domains: [domain],
      authMethod,
      passcode: authMethod === 'PASSCODE' ? 'correct horse' : undefined,
      enabled: true,
    }),
  );
  return { f, item, domain };
}

/** The device's POST to BaseURL (the capture, as iOS 15 labelled it). */
function enroll(discoveryId: string, bearer?: string, route = 'userenroll') {
  return fetch(`${server.url}/mdm/enrollment/servicediscovery/${discoveryId}/${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'DeviceManagementClient/1.0',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: capture,
  });
}

/** ASWebAuthenticationSession: open the challenge URL with ?user-identifier, keep cookies, post the form. */
async function authenticate(challengeUrl: string, user: string, passcode?: string) {
  const path = new URL(challengeUrl).pathname;
  const page = await fetch(`${server.url}${path}?user-identifier=${encodeURIComponent(user)}`);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
  const form = new URLSearchParams({ csrf, 'user-identifier': user, ...(passcode ? { passcode } : {}) });
  const post = await fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return { page, html, post, csrf, cookie, path };
}

describe('enrollment up to the access token', () => {
  beforeAll(async () => {
    const device = await wireDeviceCore(core()); // as in Lambda: the device core on the wire client
    const enrollHandler = createEnrollHandler(device, async (r) => {
      redeemed.push(r);
      return Buffer.from('profile');
    });
    const auth = createAuthHandler(device);
    server = await startLocalServer({
      loadHandler: async (name) => (name === 'auth' ? auth : enrollHandler),
      routes: [
        { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/userenroll', function: 'discovery' },
        { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/deviceenroll', function: 'discovery' },
        { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', function: 'auth' },
        { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', function: 'auth' },
      ],
    });
  });
  afterAll(() => server?.close());

  it('challenges, authenticates with the Managed Apple Account, and redeems the token once', async () => {
    const { item, domain } = await configure('MANAGED_APPLE_ACCOUNT');
    const first = await enroll(item.discoveryId);
    expect(first.status).toBe(401);
    const challenge = first.headers.get('www-authenticate') ?? '';
    const url = /^Bearer method="apple-as-web", url="([^"]+)"$/.exec(challenge)?.[1];
    expect(url).toMatch(
      new RegExp(
        `^${TEST_PUBLIC_URL}/mdm/enrollment/servicediscovery/${item.discoveryId}/auth/[0-9A-Z]{32}$`,
      ),
    );

    const user = `alice@${domain}`;
    const { page, html, post } = await authenticate(url!, user);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain(
      "form-action 'self' apple-remotemanagement-user-login:",
    );
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax/);
    expect(html).toContain('What Enroll MANAGED_APPLE_ACCOUNT can and cannot see');
    expect(post.status).toBe(308);
    const location = new URL(post.headers.get('location')!);
    expect(`${location.protocol}//${location.host}`).toBe(
      'apple-remotemanagement-user-login://authentication-results',
    );
    const token = location.searchParams.get('access-token')!;

    expect((await enroll(item.discoveryId, token)).status).toBe(200);
    expect(redeemed.at(-1)).toMatchObject({ token: { managedAppleId: user, enrollmentType: 'USER' } });
    expect(redeemed.at(-1)!.request.product).toBe('iPhone12,1');
    const again = await enroll(item.discoveryId, token); // the same token cannot be redeemed twice
    expect(again.status).toBe(401);
    const onDevice = await enroll(item.discoveryId, token, 'deviceenroll'); // nor used on another route
    expect(onDevice.status).toBe(404);
  });

  it('refuses a token whose claims were altered, or signed by another key, before any read', async () => {
    const { item, domain } = await configure('MANAGED_APPLE_ACCOUNT');
    const first = await enroll(item.discoveryId);
    const url = /url="([^"]+)"/.exec(first.headers.get('www-authenticate') ?? '')![1]!;
    const { post } = await authenticate(url, `carol@${domain}`);
    const token = new URL(post.headers.get('location')!).searchParams.get('access-token')!;
    const [tenant, claims, secret, mac] = token.split('.') as [string, string, string, string];
    const wire = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
    expect(wire).toMatchObject({ c: item.configurationId.slice(4), t: 'U', u: `carol@${domain}` });
    const altered = Buffer.from(JSON.stringify({ ...wire, u: `mallory@${domain}` })).toString('base64url');
    const foreignMac = await hmacTokenSigner(randomBytes(32)).sign(`${tenant}.${claims}.${secret}`);
    for (const forged of [
      `${tenant}.${altered}.${secret}.${mac}`,
      `${tenant}.${claims}.${secret}.${foreignMac}`,
    ]) {
      core().db.requests.reset();
      const response = await enroll(item.discoveryId, forged);
      expect(response.status).toBe(401); // a new challenge, as for no token
      // The configuration read and the new session; the forged token itself cost nothing.
      expect(core().db.requests.byCommand.GetItemCommand).toBe(1);
    }
    expect((await enroll(item.discoveryId, token)).status).toBe(200); // the real one still works
  });

  it('counts wrong passcodes per person: three at once, then a wait a new session does not skip', async () => {
    const { item, domain } = await configure('PASSCODE');
    const user = `bob@${domain}`;
    const challenge = (await enroll(item.discoveryId)).headers.get('www-authenticate')!;
    const url = /url="([^"]+)"/.exec(challenge)![1]!;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { post } = await authenticate(url, user, `wrong ${attempt}!`);
      expect(post.status).toBe(200);
      expect(await post.text()).toContain(`${5 - attempt} attempts left`);
    }
    // The fourth must wait a minute after the third: refused unchecked, even the right passcode.
    const early = await authenticate(url, user, 'correct horse');
    expect(early.post.status).toBe(429);
    expect(Number(early.post.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(await early.post.text()).toContain('Wait 1 minute before trying again.');

    const fresh = /url="([^"]+)"/.exec(
      (await enroll(item.discoveryId)).headers.get('www-authenticate')!,
    )![1]!;
    expect((await authenticate(fresh, user, 'correct horse')).post.status).toBe(429); // a new session skips nothing
    expect((await authenticate(fresh, `BOB@${domain}`, 'correct horse')).post.status).toBe(429); // nor does case
    expect((await authenticate(fresh, `carol@${domain}`, 'correct horse')).post.status).toBe(308); // others go on
  });

  it('refuses a forged CSRF token, a foreign account, and shows only plain text', async () => {
    const { f, item, domain } = await configure('MANAGED_APPLE_ACCOUNT');
    // Markup and invisible characters are refused where they are saved...
    const refused = await errorOf(
      asTenant(core(), f, () =>
        core().branding.set(item.configurationId, { displayName: '<script>alert(1)</script>' }),
      ),
    );
    expect(refused?.problems).toEqual([
      { path: ['displayName'], code: 'NOT_PLAIN_TEXT', message: expect.stringContaining('markup') },
    ]);
    // ...and text saved before that rule (written straight into the table here) is shown escaped,
    // without its control and bidirectional characters: "exe.png" must not display as "gnp.exe".
    await core()
      .service.entities.branding.put({
        tenantId: f.tenantId,
        configurationId: item.configurationId,
        displayName: '<script>alert(1)</script> IT\u202Egnp.exe',
        welcomeText: '"><img src=x onerror=alert(1)>\u0007\r\n\r\nSecond\u2066 paragraph',
      })
      .go();
    const url = /url="([^"]+)"/.exec((await enroll(item.discoveryId)).headers.get('www-authenticate')!)![1]!;
    const { html, path, cookie } = await authenticate(url, 'eve@elsewhere.example');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt; ITgnp.exe</h1>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('<p>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>\n<p>Second paragraph</p>');
    const hidden = [...html].filter(
      (c) => /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(c) && !'\n\t'.includes(c),
    );
    expect(hidden).toEqual([]);
    const forged = await fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'forged', 'user-identifier': `alice@${domain}` }),
    });
    expect(forged.status).toBe(403);
    const foreign = await authenticate(url, 'eve@elsewhere.example');
    expect(foreign.post.status).toBe(403);
  });

  it('refuses garbage bodies and unknown configurations plainly', async () => {
    const { item } = await configure('MANAGED_APPLE_ACCOUNT');
    const garbage = await fetch(
      `${server.url}/mdm/enrollment/servicediscovery/${item.discoveryId}/userenroll`,
      { method: 'POST', body: 'not cms' },
    );
    expect(garbage.status).toBe(400);
    expect((await enroll('0'.repeat(78))).status).toBe(404);
  });
});
