/**
 * What an unauthenticated party can make us keep: every string it sends is bounded and refused
 * before it is echoed or stored, and a flood of requests — discovery with ever new identifiers,
 * enrollment POSTs of every kind — writes a bounded number of audit items (request-audit.ts), each
 * small (audit.ts). Over HTTP, every route served by its real handler, the device functions on the
 * wire client; what was written is the difference of two scans of this file's table.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import type { DeviceCore } from '@ade/core';
import { INPUT_LIMITS } from '@ade/core/input-limits';
import { DISTINCT_PER_WINDOW } from '@ade/core/request-audit';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant } from '../support/ade.ts';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';
import { added, scanTable } from '../support/database.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';

const core = useTestCore();
const capture = readFileSync(ENROLL_CAPTURE_PATH);
const domain = `flood-${Math.random().toString(36).slice(2, 8)}.example`;
/** 150 KB of one letter: no item we keep may hold even a tenth of it. */
const HUGE = `${'q'.repeat(150_000)}@${domain}`;
const TRACE = 'q'.repeat(1_000);
let server: LocalServer;
let device: DeviceCore;
let f: TenantFixture;
let discoveryId: string;

const base = () => `${server.url}/mdm/enrollment/servicediscovery/${discoveryId}`;
const enroll = (body: Buffer, headers: Record<string, string> = {}) =>
  fetch(`${base()}/userenroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/pkcs7-signature', ...headers },
    body,
  });

/** A sign-in page's address, from a fresh challenge. */
async function signInUrl(): Promise<string> {
  const challenge = await enroll(capture);
  expect(challenge.status).toBe(401);
  const url = /url="([^"]+)"/.exec(challenge.headers.get('www-authenticate')!)![1]!;
  return `${server.url}${new URL(url).pathname}`;
}

/** Everything the requests in `run` wrote, once the audit buffers have written what they hold. */
async function writtenBy(run: () => Promise<void>) {
  await Promise.all([device.discovery.flushAudit(), device.enrollment.flushAudit()]);
  const before = await scanTable(core().db);
  await run();
  await Promise.all([device.discovery.flushAudit(), device.enrollment.flushAudit()]);
  return added(before, await scanTable(core().db));
}

const auditEvents = (items: Record<string, unknown>[]) =>
  items.filter((item) => String(item.sk).startsWith('AUD#'));
/** The requests an audit item stands for: its count, or one. */
const counted = (item: Record<string, unknown>) =>
  Number((item.details as { count?: number } | undefined)?.count ?? 1);

describe('unauthenticated input is bounded', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Flood');
    const { item } = await asTenant(core(), f, () =>
      core().adeConfigurations.set({
        policyId: f.rootPolicyId,
        enrollmentType: 'USER',
        domains: [domain],
        authMethod: 'MANAGED_APPLE_ACCOUNT',
        enabled: true,
      }),
    );
    discoveryId = item.discoveryId;
    device = await wireDeviceCore(core());
    const handlers = localHandlers(core(), device);
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a 150 KB user-identifier on the sign-in form early, neither echoing nor storing it', async () => {
    const url = await signInUrl();
    const written = await writtenBy(async () => {
      const refused = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: 'x', 'user-identifier': HUGE, passcode: '' }).toString(),
      });
      expect(refused.status).toBe(413);
      const page = await refused.text();
      expect(page).toMatch(/more than a sign-in needs/);
      expect(page).not.toContain('qqqqqqqqqq');
    });
    expect(written).toEqual([]);
  });

  it('refuses an identifier over 320 characters in the form, on the page and at discovery, with a clear message', async () => {
    const long = `${'q'.repeat(INPUT_LIMITS.userIdentifier)}@${domain}`;
    const url = await signInUrl();
    const written = await writtenBy(async () => {
      const form = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: 'x', 'user-identifier': long, passcode: '' }).toString(),
      });
      expect(form.status).toBe(400);
      const formPage = await form.text();
      expect(formPage).toMatch(/account name is too long \(at most 320 characters\)/);
      expect(formPage).not.toContain(TRACE.slice(0, 320));

      const page = await fetch(`${url}?user-identifier=${encodeURIComponent(long)}`);
      expect(page.status).toBe(400);
      expect(await page.text()).not.toContain(TRACE.slice(0, 320));

      const discovery = await fetch(
        `${base()}?user-identifier=${encodeURIComponent(long)}&model-family=iPhone`,
      );
      expect(discovery.status).toBe(403);
      const answer = (await discovery.json()) as { description: string };
      expect(answer.description).toBe('The user-identifier is longer than 320 characters.');
      expect(JSON.stringify(answer)).not.toContain(TRACE.slice(0, 320));
    });
    // Discovery's refusal is recorded (who asked is unknown), without any part of the identifier.
    expect(written.map((item) => item.action)).toEqual(['enrollment.discovery']);
    for (const item of written) {
      expect(JSON.stringify(item)).not.toContain(TRACE.slice(0, 320));
      expect(item.actorId).toBe('device:unknown');
    }
  });

  it('writes a bounded number of audit items for a flood of discovery requests, counting every one', async () => {
    const requests = 200;
    const written = await writtenBy(async () => {
      for (let i = 0; i < requests; i++) {
        const who = `${randomBytes(6).toString('hex')}@${i % 2 ? domain : 'elsewhere.example'}`;
        const answer = await fetch(
          `${base()}?user-identifier=${encodeURIComponent(who)}&model-family=iPhone`,
        );
        await answer.arrayBuffer();
      }
    });
    const events = auditEvents(written);
    expect(events.length).toBe(written.length); // discovery writes nothing but its events
    // Two classes (answered, refused for the domain): at most 50 distinct each a minute, plus their
    // aggregates (one per batch written; the test's two flushes at most).
    expect(events.length).toBeLessThanOrEqual(2 * (DISTINCT_PER_WINDOW + 2));
    expect(events.some((item) => (item.details as { aggregated?: boolean }).aggregated)).toBe(true);
    expect(events.reduce((sum, item) => sum + counted(item), 0)).toBe(requests);
  });

  it('writes a bounded number of audit items for a flood of enrollment POSTs, each small', async () => {
    const perKind = 40;
    let challenges = 0;
    const written = await writtenBy(async () => {
      for (let i = 0; i < perKind; i++) {
        const garbage = await enroll(randomBytes(64 + i));
        expect(garbage.status).toBe(400);
        const forged = await enroll(capture, {
          authorization: `Bearer ${randomBytes(24).toString('base64url')}`,
        });
        expect(forged.status).toBe(401);
        const challenge = await enroll(capture);
        expect(challenge.status).toBe(401);
        challenges += 2; // a refused token is answered with a new challenge too
      }
    });
    const events = auditEvents(written);
    // 120 requests: one item per kind of event and batch, not one per request.
    expect(events.length).toBeLessThanOrEqual(12);
    expect(events.reduce((sum, item) => sum + counted(item), 0)).toBe(perKind * 4);
    for (const item of events) expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(2_048);
    // What a challenge costs that is not an event: its sign-in session, which expires (TTL) in 15 minutes.
    expect(written.length - events.length).toBe(challenges);
  });
});
