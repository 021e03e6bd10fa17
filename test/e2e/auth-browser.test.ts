/**
 * The web-authentication page in a real browser (Debian's Chromium, driven by playwright-core):
 * a person reads it, types the passcode, presses Continue; the browser receives the 308 to
 * Apple's callback scheme with the access token. A screenshot is kept in .artifacts/screenshots.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { createAuthHandler } from '@ade/functions/auth';
import { createEnrollHandler } from '@ade/functions/enroll';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { wireDeviceCore } from '../support/handlers.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = new URL('../../.artifacts/screenshots/', import.meta.url).pathname;
const core = useTestCore();
let server: LocalServer;
let browser: Browser;

describe('web authentication in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error('Chromium is missing: run `bash scripts/test-tools.sh` (pnpm check does).');
    const device = await wireDeviceCore(core()); // as in Lambda: the device core on the wire client
    const enroll = createEnrollHandler(device, async () => Buffer.from('profile'));
    const auth = createAuthHandler(device);
    server = await startLocalServer({
      loadHandler: async (name) => (name === 'auth' ? auth : enroll),
      routes: [
        { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/userenroll', function: 'discovery' },
        { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', function: 'auth' },
        { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', function: 'auth' },
        { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}/logo', function: 'auth' },
      ],
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the branded page, takes the passcode, and ends in the 308 with the token', async () => {
    const f = await createTenantFixture(core(), 'Contoso');
    const domain = `browser-${Math.random().toString(36).slice(2, 8)}.example`;
    const { item } = await asTenant(core(), f, () =>
      core().adeConfigurations.set({
        policyId: f.rootPolicyId,
        enrollmentType: 'USER',
        domains: [domain],
        authMethod: 'PASSCODE',
        passcode: 'open sesame',
        enabled: true,
      }),
    );
    await asTenant(core(), f, () =>
      core().branding.set(item.configurationId, {
        displayName: 'Contoso IT',
        accentColor: '#5B2C83',
        welcomeText: 'Welcome! Sign in to get your work apps and Wi-Fi on your own iPhone.',
        supportEmail: 'help@contoso.example',
        supportPhone: '+44 20 7946 0000',
      }),
    );
    const first = await fetch(
      `${server.url}/mdm/enrollment/servicediscovery/${item.discoveryId}/userenroll`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/pkcs7-signature' },
        body: readFileSync(ENROLL_CAPTURE_PATH),
      },
    );
    const challengeUrl = /url="([^"]+)"/.exec(first.headers.get('www-authenticate') ?? '')![1]!;
    const path = new URL(challengeUrl).pathname;

    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await page.goto(`${server.url}${path}?user-identifier=${encodeURIComponent(`dana@${domain}`)}`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Contoso IT');
    await expect(page.getByText('What Contoso IT can and cannot see').isVisible()).resolves.toBe(true);
    const passcode = page.getByLabel('Enrollment passcode');
    await passcode.fill('open sesame');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}auth-page.png`, fullPage: true });

    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Continue' }).click();
    const post = await response;
    expect(post.status()).toBe(308);
    const location = new URL((await post.headerValue('location'))!);
    expect(location.protocol).toBe('apple-remotemanagement-user-login:');
    expect(location.host).toBe('authentication-results');
    expect(location.searchParams.get('access-token')).toMatch(
      /^[0-9A-Z]{26}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/,
    );
    await page.close();
  });
});
