/**
 * The APNs client against the fake APNs (HTTP/2, TLS with client certificates, Apple's answers):
 * what goes on the wire, how each of Apple's answers is reported, retries, GOAWAY, timeouts and
 * concurrency. The fake's own checks are in test/fakes/apns.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DeliveredPush, FakeApns, type PushCertificateFiles } from '../../../test/fakes/apns';
import { makePushCertificate } from '../../../test/support/apple';
import {
  type ApnsClientOptions,
  createApnsClient,
  deviceTokenHex,
  type MdmPush,
  type PushNotifier,
} from './apns';

let fake: FakeApns;
let cert: PushCertificateFiles;
const clients: PushNotifier[] = [];

beforeAll(async () => {
  fake = await FakeApns.start();
  cert = fake.issuePushCertificate();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function client(options: Partial<ApnsClientOptions> = {}): PushNotifier {
  const c = createApnsClient({
    certificatePem: cert.certificatePem,
    privateKeyPem: cert.privateKeyPem,
    endpoint: fake.url,
    ca: fake.caPem,
    retryDelayMs: 5,
    ...options,
  });
  clients.push(c);
  return c;
}

const newToken = () => randomBytes(32).toString('hex');
const newMagic = () => randomUUID().toUpperCase();

/** A registered device and a push for it; `received` fills as the fake "delivers". */
function device(options: { topic?: string } = {}) {
  const token = newToken();
  const received: DeliveredPush[] = [];
  fake.register(token, (p) => received.push(p), options);
  const push: MdmPush = { token, pushMagic: newMagic(), topic: cert.topic };
  return { token, push, received };
}

const statuses = () => fake.requests.map((r) => r.status);

describe('APNs client: success', () => {
  it('POSTs the MDM push as Apple documents and reports the apns-id', async () => {
    const d = device();
    const [outcome] = await client().send([d.push]);

    const request = fake.requests[0]!;
    expect(fake.requests).toHaveLength(1);
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/3/device/${d.token}`);
    expect(request.headers['apns-topic']).toBe(cert.topic);
    expect(request.headers['apns-push-type']).toBe('mdm');
    expect(request.headers['apns-priority']).toBe('10');
    expect(request.headers['apns-expiration']).toBeUndefined();
    expect(request.body).toBe(`{"mdm":"${d.push.pushMagic}"}`);
    expect(request.certificateTopic).toBe(cert.topic);
    expect(request.status).toBe(200);

    expect(outcome).toEqual({ ok: true, apnsId: request.headers['apns-id'] });
    expect(outcome).toMatchObject({ apnsId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await vi.waitFor(() => expect(d.received).toHaveLength(1));
    expect(d.received[0]).toMatchObject({ token: d.token, topic: cert.topic, pushMagic: d.push.pushMagic });
  });

  it('accepts a token from TokenUpdate data and upper-case hex, and sends apns-expiration when asked', async () => {
    const bytes = randomBytes(32);
    const token = deviceTokenHex(bytes);
    fake.register(token);
    const before = Math.floor(Date.now() / 1000);
    const outcomes = await client({ expiresInSeconds: 3600 }).send([
      { token, pushMagic: newMagic(), topic: cert.topic },
      { token: token.toUpperCase(), pushMagic: newMagic(), topic: cert.topic },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(fake.requests.map((r) => r.path)).toEqual([`/3/device/${token}`, `/3/device/${token}`]);
    const expiration = Number(fake.requests[0]!.headers['apns-expiration']);
    expect(expiration).toBeGreaterThanOrEqual(before + 3600);
    expect(expiration).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);
  });
});

describe('APNs client: configuration', () => {
  it("refuses a key that is not the certificate's at once, and sends nothing after close()", async () => {
    const other = makePushCertificate();
    expect(() =>
      createApnsClient({ certificatePem: cert.certificatePem, privateKeyPem: other.privateKeyPem }),
    ).toThrow();
    const c = client();
    await c.close();
    await expect(c.send([device().push])).rejects.toThrow(/closed/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("APNs client: Apple's refusals", () => {
  it('wrong topic → TopicDisallowed, not permanent, nothing delivered', async () => {
    const d = device();
    const other = `com.apple.mgmt.External.${randomUUID()}`;
    const [outcome] = await client().send([{ ...d.push, topic: other }]);
    expect(outcome).toEqual({ ok: false, reason: 'TopicDisallowed', status: 400, permanent: false });
    expect(fake.delivered).toHaveLength(0);
  });

  it('unknown token → BadDeviceToken, permanent, not retried', async () => {
    const [outcome] = await client().send([{ token: newToken(), pushMagic: newMagic(), topic: cert.topic }]);
    expect(outcome).toEqual({ ok: false, reason: 'BadDeviceToken', status: 400, permanent: true });
    expect(statuses()).toEqual([400]);
  });

  it('a token of another topic → DeviceTokenNotForTopic, permanent', async () => {
    const d = device({ topic: `com.apple.mgmt.External.${randomUUID()}` });
    const [outcome] = await client().send([d.push]);
    expect(outcome).toEqual({ ok: false, reason: 'DeviceTokenNotForTopic', status: 400, permanent: true });
  });

  it('unregistered → 410 Unregistered, permanent, with the date APNs gives', async () => {
    const d = device();
    const at = new Date(Date.now() - 3 * 86_400_000 + 123);
    fake.unregister(d.token, at);
    const [outcome] = await client().send([d.push]);
    expect(outcome).toEqual({
      ok: false,
      reason: 'Unregistered',
      status: 410,
      permanent: true,
      unregisteredAt: at,
    });
    expect(d.received).toHaveLength(0);
  });

  it('a malformed token is refused before any request', async () => {
    const [outcome] = await client().send([{ token: 'zz/../1', pushMagic: newMagic(), topic: cert.topic }]);
    expect(outcome).toEqual({ ok: false, reason: 'BadDeviceToken', status: 0, permanent: true });
    expect(fake.requests).toHaveLength(0);
  });

  it('a certificate APNs does not trust: the handshake fails, no push is processed, attempts are bounded', async () => {
    const foreign = makePushCertificate();
    const rejectedBefore = fake.rejectedHandshakes;
    const d = device();
    const [outcome] = await client({
      certificatePem: foreign.certificatePem,
      privateKeyPem: foreign.privateKeyPem,
      maxRetries: 1,
    }).send([{ ...d.push, topic: foreign.topic }]);
    expect(outcome).toEqual({ ok: false, reason: 'ConnectionError', status: 0, permanent: false });
    expect(fake.rejectedHandshakes - rejectedBefore).toBe(2);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('APNs client: transient failures', () => {
  it('retries 503 with backoff, then succeeds; the push is delivered once', async () => {
    const d = device();
    fake.failNext(2, 503);
    const [outcome] = await client().send([d.push]);
    expect(outcome?.ok).toBe(true);
    expect(statuses()).toEqual([503, 503, 200]);
    // The same notification each time: one apns-id.
    expect(new Set(fake.requests.map((r) => r.headers['apns-id'])).size).toBe(1);
    expect(fake.delivered).toHaveLength(1);
  });

  it('gives up after maxRetries and reports the last answer', async () => {
    const d = device();
    fake.failNext(5, 503);
    const [outcome] = await client({ maxRetries: 2 }).send([d.push]);
    expect(outcome).toEqual({ ok: false, reason: 'ServiceUnavailable', status: 503, permanent: false });
    expect(statuses()).toEqual([503, 503, 503]);
  });

  it('429 TooManyRequests and 500 are retried; without retries 429 is reported', async () => {
    const d = device();
    fake.failNext(1, 429);
    fake.failNext(1, 500);
    expect((await client().send([d.push]))[0]?.ok).toBe(true);
    expect(statuses()).toEqual([429, 500, 200]);

    fake.reset();
    fake.failNext(1, 429);
    const [outcome] = await client({ maxRetries: 0 }).send([d.push]);
    expect(outcome).toEqual({ ok: false, reason: 'TooManyRequests', status: 429, permanent: false });
    expect(statuses()).toEqual([429]);
  });

  it('times out a stuck request without retrying it, and keeps the connection', async () => {
    const c = client({ timeoutMs: 150 });
    const first = device();
    expect((await c.send([first.push]))[0]?.ok).toBe(true);
    const connections = fake.connections;

    const stuck = device();
    fake.delayNext(1, 2_000);
    const started = Date.now();
    const [outcome] = await c.send([stuck.push]);
    expect(outcome).toEqual({ ok: false, reason: 'Timeout', status: 0, permanent: false });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(fake.requests.filter((r) => r.path.endsWith(stuck.token))).toHaveLength(1);

    const after = device();
    expect((await c.send([after.push]))[0]?.ok).toBe(true);
    expect(fake.connections).toBe(connections);
  });
});

describe('APNs client: connections', () => {
  it('reconnects after GOAWAY', async () => {
    const c = client();
    const before = fake.connections;
    expect((await c.send([device().push]))[0]?.ok).toBe(true);
    expect(fake.connections).toBe(before + 1);

    fake.goaway();
    const later = device();
    expect((await c.send([later.push]))[0]?.ok).toBe(true);
    expect(fake.connections).toBe(before + 2);
    expect(fake.delivered.map((p) => p.token)).toContain(later.token);
  });

  it('sends refused in-flight pushes again on a new connection after GOAWAY', async () => {
    const c = client();
    const devices = [device(), device(), device()];
    fake.delayNext(3, 5_000);
    const sending = c.send(devices.map((d) => d.push));
    await vi.waitFor(() => expect(fake.inFlight).toBe(3));
    const before = fake.connections;

    fake.goaway({ refuseInFlight: true });
    const outcomes = await sending;

    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(fake.connections).toBe(before + 1);
    // Each device got its push exactly once: the refused streams were never processed.
    expect(devices.map((d) => fake.delivered.filter((p) => p.token === d.token).length)).toEqual([1, 1, 1]);
    expect(statuses().filter((s) => s === 0)).toHaveLength(3);
  });

  it('sends 200 pushes over one connection, never more streams at once than allowed', async () => {
    const c = client({ maxConcurrentStreams: 25 });
    const before = fake.connections;
    const devices = Array.from({ length: 200 }, () => device());
    fake.delayNext(200, 10);

    const outcomes = await c.send(devices.map((d) => d.push));

    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(fake.connections).toBe(before + 1);
    expect(fake.maxInFlight).toBeLessThanOrEqual(25);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    // Every device got its own push magic, and the outcomes are in the order of the pushes.
    await vi.waitFor(() => expect(devices.every((d) => d.received.length === 1)).toBe(true));
    expect(devices.every((d) => d.received[0]?.pushMagic === d.push.pushMagic)).toBe(true);
    const idByToken = new Map(
      fake.requests.map((r) => [r.path.slice('/3/device/'.length), r.headers['apns-id']]),
    );
    expect(outcomes.map((o) => (o.ok ? o.apnsId : ''))).toEqual(devices.map((d) => idByToken.get(d.token)));
  });
});

describe('APNs client: secrets', () => {
  it('sends the push magic only in the body and never logs it or the token', async () => {
    const logged: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      }),
    );
    try {
      const ok = device();
      const gone = device();
      fake.unregister(gone.token);
      const unknown: MdmPush = { token: newToken(), pushMagic: newMagic(), topic: cert.topic };
      const slow = device();
      fake.failNext(1, 503);
      fake.delayNext(2, 0);
      const outcomes = await client({ timeoutMs: 2_000 }).send([ok.push, gone.push, unknown, slow.push]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, true]);

      for (const push of [ok.push, gone.push, unknown, slow.push]) {
        const mine = fake.requests.filter((r) => r.path === `/3/device/${push.token}`);
        expect(mine.length).toBeGreaterThan(0);
        for (const r of mine) {
          expect(r.body).toBe(JSON.stringify({ mdm: push.pushMagic }));
          expect(Object.values(r.headers).join('\n')).not.toContain(push.pushMagic);
          expect(r.path).not.toContain(push.pushMagic);
        }
        // Elsewhere in other requests: never.
        for (const r of fake.requests.filter((x) => !mine.includes(x))) {
          expect(JSON.stringify(r)).not.toContain(push.pushMagic);
        }
        expect(JSON.stringify(outcomes)).not.toContain(push.pushMagic);
        expect(JSON.stringify(outcomes)).not.toContain(push.token);
        expect(logged.join('\n')).not.toContain(push.pushMagic);
        expect(logged.join('\n')).not.toContain(push.token);
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
