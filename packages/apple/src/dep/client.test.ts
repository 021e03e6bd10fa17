/**
 * The client against the fake Apple service: the happy path and everything about sessions.
 * Errors, bad credentials and timeouts are in client-errors.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FakeDeviceAssignment,
  type FakeOptions,
  sampleAccountJson,
} from '../../../../test/fakes/apple-device-assignment';
import { listsAccountDrivenEnrollment } from './account';
import { DeviceAssignmentClient, type DeviceAssignmentClientOptions } from './client';

const credentials = {
  consumerKey: 'CK_3a1b2c',
  consumerSecret: 'CS_consumer-secret-value',
  accessToken: 'AT_access-token-value',
  accessSecret: 'AS_access-secret-value',
};
const DISCOVERY = 'https://mdm.example.net/enroll/discovery/7f3a';
const START = Date.parse('2026-03-01T12:00:00Z');
let clockMs = START;
let fake: FakeDeviceAssignment;

async function useFake(options: FakeOptions = {}) {
  await fake?.close();
  fake = await FakeDeviceAssignment.start({ now: () => clockMs, sessionTtlMs: 60_000, ...options });
  fake.addServer({ token: credentials, account: sampleAccountJson() });
}

function client(options: Partial<DeviceAssignmentClientOptions> = {}) {
  return new DeviceAssignmentClient({
    baseUrl: fake.url,
    credentials,
    userAgent: 'ade-cloud-test/1.0',
    now: () => new Date(clockMs),
    ...options,
  });
}

/** What happened on the wire, in order. */
const trail = () => fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
const sessionHeaders = () =>
  fake.requests.filter((r) => r.path !== '/session').map((r) => r.headers['x-adm-auth-session']);

beforeEach(async () => {
  clockMs = START;
  await useFake();
});
afterEach(() => fake.close());

describe('DeviceAssignmentClient happy path', () => {
  it('reads the account and assigns, fetches and removes the discovery URL on one session', async () => {
    const c = client();
    const account = await c.account();
    expect(account).toEqual({
      serverName: 'ADE Cloud',
      serverUuid: '677cd3d8-0f3b-4a4d-9a4c-5d5c8c8ad1e2',
      adminId: 'admin@example.com',
      facilitatorId: 'admin@example.com',
      orgName: 'Example Inc.',
      orgEmail: 'it@example.com',
      orgPhone: '+1 555 0100',
      orgAddress: '1 Infinite Loop, Cupertino',
      orgType: 'org',
      orgVersion: 'v1',
      orgId: '1234567',
      orgIdHash: 'c0ffee',
      urls: [
        { uri: '/account', httpMethods: ['GET'] },
        { uri: '/server/devices', httpMethods: ['POST'], limit: { default: 100, maximum: 1000 } },
        { uri: '/account-driven-enrollment/profile', httpMethods: ['DELETE', 'POST', 'GET'] },
      ],
    });
    expect(listsAccountDrivenEnrollment(account)).toBe(true);

    expect(await c.fetchAccountDrivenEnrollmentProfile()).toBeNull();
    await c.assignAccountDrivenEnrollmentProfile(DISCOVERY);
    expect(await c.fetchAccountDrivenEnrollmentProfile()).toEqual({
      url: DISCOVERY,
      lastUpdated: '2026-03-01T12:00:00.000Z',
    });
    await c.removeAccountDrivenEnrollmentProfile();
    expect(await c.fetchAccountDrivenEnrollmentProfile()).toBeNull();

    const profile = '/account-driven-enrollment/profile';
    expect(trail()).toEqual([
      'GET /session 200',
      'GET /account 200',
      `GET ${profile} 404`,
      `POST ${profile} 200`,
      `GET ${profile} 200`,
      `DELETE ${profile} 200`,
      `GET ${profile} 404`,
    ]);
  });

  it('sends the headers Apple documents on every call, and the JSON body with its media type', async () => {
    const c = client();
    await c.account();
    await c.assignAccountDrivenEnrollmentProfile(DISCOVERY);
    const [session, account, post] = fake.requests;
    expect(session?.headers.authorization).toMatch(/^OAuth realm="ADM", oauth_consumer_key="CK_3a1b2c", /);
    expect(session?.headers['x-adm-auth-session']).toBeUndefined();
    for (const r of fake.requests) {
      expect(r.headers['user-agent']).toBe('ade-cloud-test/1.0');
      expect(r.headers['x-server-protocol-version']).toBe('7');
    }
    expect(account?.headers['x-adm-auth-session']).toMatch(/.+/);
    expect(post?.headers['x-adm-auth-session']).toBe(account?.headers['x-adm-auth-session']);
    expect(account?.headers['content-type']).toBeUndefined();
    expect(post?.headers['content-type']).toBe('application/json;charset=UTF8');
    expect(JSON.parse(post?.body ?? '')).toEqual({ mdm_service_discovery_url: DISCOVERY });
  });
});

describe('sessions', () => {
  it('signs in again transparently when the session times out mid-run', async () => {
    const c = client();
    await c.account();
    clockMs += 61_000; // past the fake's 60 s session lifetime
    await c.account();
    expect(trail()).toEqual([
      'GET /session 200',
      'GET /account 200',
      'GET /account 401',
      'GET /session 200',
      'GET /account 200',
    ]);
  });

  it('retries a POST with its body intact after a forced expiry', async () => {
    const c = client();
    await c.account();
    fake.expireSessions();
    await c.assignAccountDrivenEnrollmentProfile(DISCOVERY);
    expect(trail().slice(2)).toEqual([
      'POST /account-driven-enrollment/profile 401',
      'GET /session 200',
      'POST /account-driven-enrollment/profile 200',
    ]);
    const posts = fake.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.body)).toEqual([posts[0]?.body, posts[0]?.body]);
    expect(await c.fetchAccountDrivenEnrollmentProfile()).toMatchObject({ url: DISCOVERY });
  });

  it("treats depsim's 403 FORBIDDEN for an unknown session like a 401, as nanodep does", async () => {
    await useFake({ staleSession: 'forbidden' });
    const c = client();
    await c.account();
    fake.expireSessions();
    await c.account();
    expect(trail()).toEqual([
      'GET /session 200',
      'GET /account 200',
      'GET /account 403',
      'GET /session 200',
      'GET /account 200',
    ]);
  });

  it('adopts a session token Apple rotates in the X-ADM-Auth-Session response header', async () => {
    const c = client();
    await c.account();
    fake.rotateSessionOnNextCall(); // the fake also invalidates the old token
    await c.account();
    await c.fetchAccountDrivenEnrollmentProfile();
    await c.account();
    expect(trail()).toEqual([
      'GET /session 200',
      'GET /account 200',
      'GET /account 200',
      'GET /account-driven-enrollment/profile 404',
      'GET /account 200',
    ]);
    const [first, second, third, fourth] = sessionHeaders();
    expect(second).toBe(first);
    expect(third).not.toBe(second);
    expect(fourth).toBe(third);
  });

  it('shares one sign-in among concurrent calls, including after an expiry', async () => {
    const c = client();
    await Promise.all([c.account(), c.account(), c.fetchAccountDrivenEnrollmentProfile()]);
    expect(fake.count('GET', '/session')).toBe(1);
    fake.expireSessions();
    await Promise.all([c.account(), c.account(), c.account()]);
    expect(fake.count('GET', '/session')).toBe(2);
    expect(fake.count('GET', '/account')).toBe(2 + 3 + 3);
  });
});
