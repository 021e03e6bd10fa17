/**
 * The fake APNs itself, driven by a bare node:http2 client (not our APNs client), so that its checks
 * are known to hold before the client is tested against them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type ClientHttp2Session, connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApns, type PushCertificateFiles } from './apns.ts';

let fake: FakeApns;
let cert: PushCertificateFiles;
let session: ClientHttp2Session;
const token = randomBytes(32).toString('hex');

beforeAll(async () => {
  fake = await FakeApns.start();
  cert = fake.issuePushCertificate();
  fake.register(token);
  session = connect(fake.url, { cert: cert.certificatePem, key: cert.privateKeyPem, ca: fake.caPem });
});
afterAll(async () => {
  session.close();
  await fake.close();
});

interface Answer {
  status: number;
  apnsId: string | undefined;
  json: Record<string, unknown> | undefined;
}

/** Sends one request; `headers` replace the defaults of a valid MDM push (undefined removes one). */
function send(headers: Record<string, string | undefined>, body: string | Buffer = '{"mdm":"magic"}') {
  const all: Record<string, string> = {};
  const defaults = {
    ':method': 'POST',
    ':path': `/3/device/${token}`,
    'apns-topic': cert.topic,
    'apns-push-type': 'mdm',
  };
  for (const [name, value] of Object.entries({ ...defaults, ...headers })) {
    if (value !== undefined) all[name] = value;
  }
  return new Promise<Answer>((resolve, reject) => {
    const stream = session.request(all, { endStream: false });
    let status = 0;
    let apnsId: string | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      apnsId = typeof h['apns-id'] === 'string' ? h['apns-id'] : undefined;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      resolve({ status, apnsId, json: text ? JSON.parse(text) : undefined });
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

const refusal = (status: number, reason: string) => ({ status, json: { reason } });

describe('fake APNs', () => {
  it('accepts a valid MDM push: 200, empty body, a new apns-id or the one sent', async () => {
    const fresh = await send({});
    expect(fresh).toMatchObject({ status: 200, json: undefined });
    expect(fresh.apnsId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const id = randomUUID();
    expect(await send({ 'apns-id': id })).toMatchObject({ status: 200, apnsId: id });
    // Without apns-topic the certificate's own topic applies.
    expect(await send({ 'apns-topic': undefined })).toMatchObject({ status: 200 });
  });

  it.each([
    ['GET', { ':method': 'GET' }, undefined, refusal(405, 'MethodNotAllowed')],
    ['another path', { ':path': '/3/devices/abc' }, undefined, refusal(404, 'BadPath')],
    ['no token', { ':path': '/3/device/' }, undefined, refusal(400, 'MissingDeviceToken')],
    ['short token', { ':path': '/3/device/abcd' }, undefined, refusal(400, 'BadDeviceToken')],
    ['non-hex token', { ':path': `/3/device/${'zz'.repeat(32)}` }, undefined, refusal(400, 'BadDeviceToken')],
    ['unknown token', { ':path': `/3/device/${'ab'.repeat(32)}` }, undefined, refusal(400, 'BadDeviceToken')],
    [
      'another topic',
      { 'apns-topic': 'com.apple.mgmt.External.other' },
      undefined,
      refusal(400, 'TopicDisallowed'),
    ],
    ['alert push type', { 'apns-push-type': 'alert' }, undefined, refusal(400, 'InvalidPushType')],
    ['no push type', { 'apns-push-type': undefined }, undefined, refusal(400, 'InvalidPushType')],
    ['priority 7', { 'apns-priority': '7' }, undefined, refusal(400, 'BadPriority')],
    [
      'expiration not a number',
      { 'apns-expiration': 'tomorrow' },
      undefined,
      refusal(400, 'BadExpirationDate'),
    ],
    ['apns-id not a UUID', { 'apns-id': 'push-1' }, undefined, refusal(400, 'BadMessageId')],
    ['empty payload', {}, '', refusal(400, 'PayloadEmpty')],
    ['payload not JSON', {}, 'mdm=magic', refusal(400, 'BadPayload')],
    ['payload with another key', {}, '{"mdm":"m","aps":{}}', refusal(400, 'BadPayload')],
    ['mdm not a string', {}, '{"mdm":1}', refusal(400, 'BadPayload')],
    ['payload over 4 KB', {}, JSON.stringify({ mdm: 'x'.repeat(4090) }), refusal(413, 'PayloadTooLarge')],
  ] as const)('%s → refused', async (_name, headers, body, expected) => {
    expect(await send(headers, body)).toMatchObject(expected);
  });

  it('410 Unregistered carries the timestamp; DeviceTokenNotForTopic for a token of another topic', async () => {
    const gone = randomBytes(32).toString('hex');
    const at = new Date('2026-02-01T10:00:00.123Z');
    fake.register(gone);
    fake.unregister(gone, at);
    expect(await send({ ':path': `/3/device/${gone}` })).toMatchObject({
      status: 410,
      json: { reason: 'Unregistered', timestamp: at.getTime() },
    });

    const elsewhere = randomBytes(32).toString('hex');
    fake.register(elsewhere, () => {}, { topic: 'com.apple.mgmt.External.other' });
    expect(await send({ ':path': `/3/device/${elsewhere}` })).toMatchObject(
      refusal(400, 'DeviceTokenNotForTopic'),
    );
  });

  it('calls the device back with the push magic and records what it received', async () => {
    const live = randomBytes(32).toString('hex');
    const received = new Promise<string>((resolve) => fake.register(live, (p) => resolve(p.pushMagic)));
    await send({ ':path': `/3/device/${live.toUpperCase()}` }, '{"mdm":"wake-up"}');
    expect(await received).toBe('wake-up');
    expect(fake.delivered.at(-1)).toMatchObject({ token: live, topic: cert.topic, pushMagic: 'wake-up' });
    expect(fake.requests.at(-1)).toMatchObject({ status: 200, certificateTopic: cert.topic });
  });

  it('injected failures come first, in order', async () => {
    fake.failNext(1, 503);
    fake.failNext(1, 429);
    expect(await send({})).toMatchObject(refusal(503, 'ServiceUnavailable'));
    expect(await send({})).toMatchObject(refusal(429, 'TooManyRequests'));
    expect(await send({})).toMatchObject({ status: 200 });
  });
});
