/**
 * The sign-in page's guessing limits as an attacker meets them: over HTTP through the local runtime
 * (the device functions on the wire client, as in Lambda), DynamoDB Local, many new sign-in
 * sessions and parallel posts, from several source addresses (loopback addresses 127.0.0.x: the
 * runtime takes the address from the socket, as API Gateway's sourceIp). What is asserted is the
 * number of passcode checks actually performed — the verifier at its seam (CoreOptions.verifyPasscode)
 * counts them — not the answers. The clock is the core's: backoff waits pass without sleeping.
 */

import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { encodeScopedId, SIGN_IN_LIMITS } from '@ade/core';
import { verifyPasscode } from '@ade/core/ade/passcode';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

const HOUR = 3_600_000;
const PASSCODE = 'correct horse';
/** The core's clock: a whole hour ahead of real time, moved by the tests only. */
let clock = (Math.floor(Date.now() / HOUR) + 2) * HOUR + 30_000;
const core = useTestCore({ now: () => new Date(clock) });
const capture = readFileSync(ENROLL_CAPTURE_PATH);
let server: LocalServer;
let port: number;

/** Passcode checks performed: every call of the verifier the sign-in page uses. */
let checks = 0;
async function countingVerifier(passcode: string, stored: string) {
  checks++;
  return verifyPasscode(passcode, stored);
}

/** Moves the clock to the start of the next hour (a new counting window), plus 30 s. */
function nextHour() {
  clock = (Math.floor(clock / HOUR) + 1) * HOUR + 30_000;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from a given loopback source address. */
function send(
  method: string,
  path: string,
  options: { from?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: options.headers, localAddress: options.from },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function configure(f: TenantFixture) {
  const domain = `limits-${Math.random().toString(36).slice(2, 8)}.example`;
  const policy = await asTenant(core(), f, () =>
    core().policies.create({ parentId: f.rootPolicyId, name: `Staff ${domain}` }),
  );
  const { item } = await asTenant(core(), f, () =>
    core().adeConfigurations.set({
      policyId: policy.policyId,
      enrollmentType: 'USER',
      domains: [domain],
      authMethod: 'PASSCODE',
      passcode: PASSCODE,
    }),
  );
  return { item, domain };
}

/** A new sign-in session: one unauthenticated enroll POST, answered with the challenge URL's path. */
async function openSession(discoveryId: string, from?: string): Promise<string> {
  const reply = await send('POST', `/mdm/enrollment/servicediscovery/${discoveryId}/userenroll`, {
    from,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: capture,
  });
  expect(reply.status).toBe(401);
  return new URL(/url="([^"]+)"/.exec(String(reply.headers['www-authenticate']))![1]!).pathname;
}

interface Form {
  path: string;
  csrf: string;
  cookie: string;
}

async function openPage(path: string, user: string, from?: string): Promise<Form> {
  const page = await send('GET', `${path}?user-identifier=${encodeURIComponent(user)}`, { from });
  expect(page.status).toBe(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookie = String(page.headers['set-cookie']).split(';')[0]!;
  return { path, csrf, cookie };
}

function post(form: Form, user: string, passcode: string, from?: string): Promise<Reply> {
  return send('POST', form.path, {
    from,
    headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: form.csrf, 'user-identifier': user, passcode }).toString(),
  });
}

/** A person's whole try: a new session, its page, one passcode. */
async function tryPasscode(discoveryId: string, user: string, passcode: string, from?: string) {
  const path = await openSession(discoveryId, from);
  return post(await openPage(path, user, from), user, passcode, from);
}

const refusedAsLocked = (reply: Reply) =>
  reply.status === 429 && reply.body.includes('Too many wrong passcodes');
const refusedHere = (reply: Reply) =>
  reply.status === 429 && reply.body.includes('Too many sign-in attempts here');
const refusedBusy = (reply: Reply) =>
  reply.status === 429 && reply.body.includes('Too many attempts at once');

/**
 * An attack on one person: `sessions` new sessions, 25 parallel posts on the first and one on each
 * other, all at once, then one more post alone (so that a window the parallel ones left unused
 * because DynamoDB cancelled them for contention is used now: the total is then exact).
 */
async function burst(discoveryId: string, user: string, sessions: number) {
  const paths = await Promise.all(Array.from({ length: sessions }, () => openSession(discoveryId)));
  const [first, ...others] = await Promise.all(paths.map((path) => openPage(path, user)));
  const replies = await Promise.all([
    ...Array.from({ length: 25 }, (_, i) => post(first!, user, `guess ${i}`)),
    ...others.map((form, i) => post(form, user, `other ${i}`)),
  ]);
  replies.push(await tryPasscode(discoveryId, user, 'one more'));
  return replies;
}

/** The configuration's audit events of one action (newest first). */
async function audited(f: TenantFixture, configurationId: string, action: string) {
  const page = await asTenant(core(), f, () => core().audit.listForTenant({ first: 100 }, { action }));
  return page.items.filter((event) => event.targetId === configurationId);
}

describe('sign-in guessing limits', () => {
  let f: TenantFixture;
  beforeAll(async () => {
    const device = await wireDeviceCore(core(), { verifyPasscode: countingVerifier });
    const handlers = localHandlers(core(), device);
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
    port = Number(new URL(server.url).port);
    f = await createTenantFixture(core(), 'Limits');
  });
  afterAll(() => server?.close());

  it('unlimited new sessions plus 25 parallel posts get at most the allowed number of checks', async () => {
    nextHour();
    const { item, domain } = await configure(f);
    const user = `bob@${domain}`;
    const start = checks;
    const replies: Reply[] = [];

    // Three at once: 25 parallel posts on one session, 11 more sessions, then one alone.
    replies.push(...(await burst(item.discoveryId, user, 12)));
    expect(checks - start).toBe(3);
    // 200: checked and wrong; 429: refused unchecked; 403: the page was shown again meanwhile (each view
    // renews the session's CSRF token), so a post made with the old one is refused before counting.
    for (const reply of replies) expect([200, 403, 429]).toContain(reply.status);

    // Too soon for the fourth: new sessions change nothing.
    clock += 30_000;
    replies.push(...(await burst(item.discoveryId, user, 4)));
    expect(checks - start).toBe(3);

    // A minute after the third: one more, however many try at once; five minutes later, the fifth.
    clock += 31_000;
    replies.push(...(await burst(item.discoveryId, user, 6)));
    expect(checks - start).toBe(4);
    clock += 301_000;
    replies.push(...(await burst(item.discoveryId, user, 6)));
    expect(checks - start).toBe(5);

    // Locked for the rest of the hour, the right passcode included, whatever the session.
    clock += 20 * 60_000;
    replies.push(...(await burst(item.discoveryId, user, 6)));
    const right = await tryPasscode(item.discoveryId, user, PASSCODE);
    expect(refusedAsLocked(right)).toBe(true);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(30 * 60);
    expect(checks - start).toBe(SIGN_IN_LIMITS.userBackoffSeconds.length);

    // Refusals are one counter's count, audited at 1, 10, 100: not one row per attempt.
    const refused = replies.filter((r) => r.status === 429 && !refusedBusy(r)).length + 1;
    const refusalEvents = await audited(f, item.configurationId, 'enrollment.signInRefused');
    expect(refusalEvents.length).toBe(String(refused).length); // 1, 10, 100, … up to `refused`
    expect(await audited(f, item.configurationId, 'enrollment.signInLocked')).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        details: expect.objectContaining({ scope: 'USER', subject: user, attempts: 5, limit: 5 }),
      }),
    ]);
    const failures = await audited(f, item.configurationId, 'enrollment.authenticate');
    expect(failures.filter((e) => e.outcome === 'FAILURE')).toHaveLength(5); // one per check, none per refusal

    // The next hour is a new window.
    nextHour();
    expect((await tryPasscode(item.discoveryId, user, PASSCODE)).status).toBe(308);
  }, 90_000);

  it('an admin sees the lock-out and clears it (audited), and the person signs in again', async () => {
    nextHour();
    const { item, domain } = await configure(f);
    const user = `erin@${domain}`;
    for (const wait of SIGN_IN_LIMITS.userBackoffSeconds) {
      clock += wait * 1000;
      expect((await tryPasscode(item.discoveryId, user, 'not it')).status).toBe(200);
    }
    expect(refusedAsLocked(await tryPasscode(item.discoveryId, user, PASSCODE))).toBe(true);

    const id = encodeScopedId(f.tenantId, item.configurationId);
    const query = `query($id: ID!) { node(id: $id) { ... on AdeConfiguration {
      signInLockouts { scope subject attempts limit refusedAttempts lastAttemptAt lockedUntil } } } }`;
    const seen = await gqlOk(core(), f.tenantReadOnlyKey, query, { id });
    expect(seen.node.signInLockouts).toEqual([
      {
        scope: 'USER',
        subject: user,
        attempts: 5,
        limit: 5,
        refusedAttempts: 1,
        lastAttemptAt: new Date(clock).toISOString(),
        lockedUntil: new Date((Math.floor(clock / HOUR) + 1) * HOUR).toISOString(),
      },
    ]);

    const clear = `mutation($id: ID!, $subject: String) { clearSignInLockout(input: { id: $id, scope: USER, subject: $subject }) {
      adeConfiguration { signInLockouts { subject } } errors { code } } }`;
    const readOnly = await gqlOk(core(), f.tenantReadOnlyKey, clear, { id, subject: user });
    expect(readOnly.clearSignInLockout.errors).toEqual([{ code: 'FORBIDDEN' }]);
    const cleared = await gqlOk(core(), f.tenantAdminKey, clear, { id, subject: user.toUpperCase() });
    expect(cleared.clearSignInLockout).toEqual({ adeConfiguration: { signInLockouts: [] }, errors: [] });
    const again = await gqlOk(core(), f.tenantAdminKey, clear, { id, subject: user });
    expect(again.clearSignInLockout.errors).toEqual([{ code: 'NOT_FOUND' }]);

    expect(await audited(f, item.configurationId, 'adeConfiguration.signInLockoutCleared')).toEqual([
      expect.objectContaining({
        actorKind: 'tenant', // the ADMIN key that cleared it
        actorId: (f.tenantActor as { keyId: string }).keyId,
        outcome: 'SUCCESS',
        details: { scope: 'USER', subject: user, attempts: 5, refused: 1 },
      }),
    ]);

    const before = checks;
    expect((await tryPasscode(item.discoveryId, user, PASSCODE)).status).toBe(308);
    expect(checks - before).toBe(1);
  });

  it('a different person of the same configuration is held by the per-configuration bound', async () => {
    nextHour();
    const { item, domain } = await configure(f);
    const start = checks;
    // 25 people, three passcodes each at once, from five addresses (15 each, under the address bound).
    await Promise.all(
      Array.from({ length: 25 }, async (_, person) => {
        const from = `127.0.0.${11 + (person % 5)}`;
        const user = `p${person}@${domain}`;
        const form = await openPage(await openSession(item.discoveryId, from), user, from);
        await Promise.all([1, 2, 3].map((n) => post(form, user, `guess ${n}`, from)));
      }),
    );
    expect(checks - start).toBeLessThanOrEqual(SIGN_IN_LIMITS.perConfiguration);
    // New people one after another (attempts DynamoDB cancelled for contention above are made now).
    let last: Reply | undefined;
    for (let person = 0; person < 80 && !(last && refusedHere(last)); person++) {
      last = await tryPasscode(
        item.discoveryId,
        `q${person}@${domain}`,
        'guess',
        `127.0.0.${21 + (person % 10)}`,
      );
    }
    expect(checks - start).toBe(SIGN_IN_LIMITS.perConfiguration);

    // Someone new, from an address never seen, with the right passcode: refused unchecked.
    const newcomer = await tryPasscode(item.discoveryId, `dave@${domain}`, PASSCODE, '127.0.0.99');
    expect(refusedHere(newcomer)).toBe(true);
    expect(checks - start).toBe(SIGN_IN_LIMITS.perConfiguration);

    const lockouts = await asTenant(core(), f, () =>
      core().adeConfigurations.signInLockouts(item.configurationId),
    );
    expect(lockouts).toContainEqual(
      expect.objectContaining({ scope: 'CONFIGURATION', subject: null, attempts: 60, limit: 60 }),
    );
    const locks = await audited(f, item.configurationId, 'enrollment.signInLocked');
    expect(locks.filter((e) => e.details?.scope === 'CONFIGURATION')).toHaveLength(1);
  }, 90_000);

  it('another source address is held by the per-address bound, and other addresses are not', async () => {
    nextHour();
    const { item, domain } = await configure(f);
    const from = '127.0.0.40';
    const start = checks;
    await Promise.all(
      Array.from({ length: 12 }, async (_, person) => {
        const user = `a${person}@${domain}`;
        const form = await openPage(await openSession(item.discoveryId, from), user, from);
        await Promise.all([1, 2, 3].map((n) => post(form, user, `guess ${n}`, from)));
      }),
    );
    expect(checks - start).toBeLessThanOrEqual(SIGN_IN_LIMITS.perSourceAddress);
    let last: Reply | undefined;
    for (let person = 0; person < 40 && !(last && refusedHere(last)); person++) {
      last = await tryPasscode(item.discoveryId, `b${person}@${domain}`, 'guess', from);
    }
    expect(checks - start).toBe(SIGN_IN_LIMITS.perSourceAddress);

    const user = `frank@${domain}`;
    expect(refusedHere(await tryPasscode(item.discoveryId, user, PASSCODE, from))).toBe(true);
    expect(checks - start).toBe(SIGN_IN_LIMITS.perSourceAddress);
    expect((await tryPasscode(item.discoveryId, user, PASSCODE, '127.0.0.41')).status).toBe(308);

    const lockouts = await asTenant(core(), f, () =>
      core().adeConfigurations.signInLockouts(item.configurationId),
    );
    expect(lockouts).toEqual([
      expect.objectContaining({ scope: 'SOURCE_ADDRESS', subject: from, attempts: 30 }),
    ]);
  }, 60_000);

  it('the right person with the right passcode after a few typos gets in, and starts afresh', async () => {
    nextHour();
    const { item, domain } = await configure(f);
    const user = `grace@${domain}`;
    const first = await tryPasscode(item.discoveryId, user, 'correct hose');
    expect(first.body).toContain('That passcode is not right. 4 attempts left.');
    expect((await tryPasscode(item.discoveryId, user, 'Correct horse')).status).toBe(200);
    expect((await tryPasscode(item.discoveryId, user, PASSCODE)).status).toBe(308);

    // Her counter went with the success: three more typos at once (a second device), a minute's wait, in.
    for (const left of [4, 3]) {
      expect((await tryPasscode(item.discoveryId, user, 'typo')).body).toContain(`${left} attempts left.`);
    }
    expect((await tryPasscode(item.discoveryId, user, 'typo')).body).toContain(
      '2 attempts left; wait 1 minute before the next.',
    );
    clock += 60_000;
    expect((await tryPasscode(item.discoveryId, user, PASSCODE)).status).toBe(308);
    const lockouts = await asTenant(core(), f, () =>
      core().adeConfigurations.signInLockouts(item.configurationId),
    );
    expect(lockouts).toEqual([]);
  });
});
