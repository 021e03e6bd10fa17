/** AwsKms with the real SDK against the KMS fake (test/fakes/aws-kms.ts) over HTTP. */
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeKms } from '../../../../test/fakes/aws-kms.ts';
import { DATA_KEY_CACHE, DATA_KEY_CACHE_MS } from './envelope.ts';
import { AwsKms, KeyManagementError, type SealedSecret, SecretDecryptionError } from './index.ts';

const PLAINTEXT = 'consumer_secret=CS_5e3f1c9a&access_secret=AS_9b2d7e41';
const context = { tenantId: 'ten_01J0000000000000000000000A', purpose: 'abm-token' };

let fake: FakeKms;
let client: KMSClient;
beforeAll(async () => {
  fake = await FakeKms.start();
  client = new KMSClient({
    endpoint: fake.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
afterAll(async () => {
  client.destroy();
  await fake.close();
});

const kms = (keyId: string) => new AwsKms({ keyId, client });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('AwsKms', () => {
  it('round-trips, recording the key ARN, and sends only data-key requests carrying the context', async () => {
    const { keyId, arn } = fake.createKey();
    const km = kms(keyId);
    const before = fake.requests.length;
    const sealed = await km.encrypt(PLAINTEXT, context);
    expect(sealed).toMatchObject({ version: 1, provider: 'aws-kms', keyId: arn });
    expect(JSON.stringify(sealed)).not.toContain('CS_5e3f1c9a');
    expect((await km.decrypt(sealed, context)).toString()).toBe(PLAINTEXT);

    const [generate, decrypt, ...rest] = fake.requests.slice(before);
    expect(rest).toEqual([]);
    expect(generate).toMatchObject({
      target: 'TrentService.GenerateDataKey',
      status: 200,
      body: { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context },
    });
    expect(generate?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(decrypt).toMatchObject({
      target: 'TrentService.Decrypt',
      status: 200,
      body: { KeyId: keyId, EncryptionContext: context, CiphertextBlob: sealed.wrappedKey },
    });
    // Envelope encryption: the secret itself never travels to KMS.
    for (const request of [generate, decrypt])
      expect(JSON.stringify(request?.body)).not.toContain('CS_5e3f1c9a');
  });

  it('works through an alias, and still opens after the alias is used again', async () => {
    const { arn } = fake.createKey('alias/ade-secrets');
    const km = kms('alias/ade-secrets');
    const sealed = await km.encrypt(PLAINTEXT, context);
    expect(sealed.keyId).toBe(arn);
    expect((await kms(arn).decrypt(sealed, context)).toString()).toBe(PLAINTEXT);
    expect(km.description).toBe('AWS KMS key alias/ade-secrets');
  });

  it('refuses another context at KMS (InvalidCiphertextException → SecretDecryptionError)', async () => {
    const km = kms(fake.createKey().keyId);
    const sealed = await km.encrypt(PLAINTEXT, context);
    const error = await rejection(
      km.decrypt(sealed, { ...context, tenantId: 'ten_01J0000000000000000000000B' }),
    );
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(error.message).toMatch(/copied from another record/);
    expect(fake.requests.at(-1)).toMatchObject({ status: 400, errorType: 'InvalidCiphertextException' });
  });

  it('fails on any tampered field, without quoting it', async () => {
    const { keyId } = fake.createKey();
    const km = kms(keyId);
    const sealed = await km.encrypt(PLAINTEXT, context);
    const flip = (b64: string, i: number) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[i] = (bytes[i] ?? 0) ^ 1;
      return bytes.toString('base64');
    };
    const tampered: SealedSecret[] = [
      { ...sealed, wrappedKey: flip(sealed.wrappedKey, 40) },
      { ...sealed, wrappedKey: flip(sealed.wrappedKey, 3) }, // the key id inside the blob
      { ...sealed, ciphertext: flip(sealed.ciphertext, 0) },
      { ...sealed, tag: flip(sealed.tag, 0) },
      { ...sealed, iv: flip(sealed.iv, 0) },
      { ...sealed, keyId: fake.createKey().arn },
      { ...sealed, provider: 'local-key-file' },
    ];
    for (const bad of tampered) {
      const error = await rejection(km.decrypt(bad, context));
      expect(error).toBeInstanceOf(SecretDecryptionError);
      for (const leak of [PLAINTEXT, sealed.wrappedKey, sealed.ciphertext])
        expect(error.message).not.toContain(leak);
    }
  });

  it('refuses a secret sealed under another key (IncorrectKeyException)', async () => {
    const sealed = await kms(fake.createKey().keyId).encrypt(PLAINTEXT, context);
    const error = await rejection(kms(fake.createKey().keyId).decrypt(sealed, context));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(fake.requests.at(-1)?.errorType).toBe('IncorrectKeyException');
  });

  it('reports key problems as KeyManagementError with what to do', async () => {
    const missing = await rejection(kms('0b6d6c3e-0000-4000-8000-000000000000').encrypt(PLAINTEXT, context));
    expect(missing).toBeInstanceOf(KeyManagementError);
    expect(missing).toMatchObject({ code: 'KEY_NOT_FOUND' });
    expect(missing.message).toMatch(/0b6d6c3e-0000-4000-8000-000000000000 does not exist.*ADE_KMS_KEY_ID/);
    expect(await rejection(kms('alias/nope').encrypt(PLAINTEXT, context))).toMatchObject({
      code: 'KEY_NOT_FOUND',
    });

    const { keyId } = fake.createKey();
    const km = kms(keyId);
    const sealed = await km.encrypt(PLAINTEXT, context);
    fake.disableKey(keyId);
    for (const call of [km.decrypt(sealed, context), km.encrypt(PLAINTEXT, context)]) {
      const disabled = await rejection(call);
      expect(disabled).toMatchObject({ name: 'KeyManagementError', code: 'KEY_DISABLED' });
      expect(disabled.message).toContain(`KMS key ${keyId} is disabled`);
    }
    fake.enableKey(keyId);
    fake.denyAccess(keyId);
    const denied = await rejection(km.decrypt(sealed, context));
    expect(denied).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(denied.message).toContain('kms:Decrypt');
    fake.denyAccess(keyId, false);
    fake.scheduleKeyDeletion(keyId);
    expect(await rejection(km.decrypt(sealed, context))).toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it('reports an unreachable KMS as KMS_FAILED', async () => {
    const dead = new KMSClient({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const error = await rejection(new AwsKms({ keyId: 'k', client: dead }).encrypt(PLAINTEXT, context));
    expect(error).toMatchObject({ name: 'KeyManagementError', code: 'KMS_FAILED' });
    dead.destroy();
  });
});

describe('reusing a data key (DecryptOptions.reuseDataKey)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const decrypts = (from: number) =>
    fake.requests.slice(from).filter((r) => r.target === 'TrentService.Decrypt').length;

  it('asks KMS once for a secret opened many times, only when asked to, and only for the same context', async () => {
    const km = kms(fake.createKey().keyId);
    const sealed = await km.encrypt(PLAINTEXT, context);
    let from = fake.requests.length;
    for (let i = 0; i < 5; i++) expect((await km.decrypt(sealed, context)).toString()).toBe(PLAINTEXT);
    expect(decrypts(from)).toBe(5); // the default: every open is a Decrypt
    from = fake.requests.length;
    for (let i = 0; i < 5; i++)
      expect((await km.decrypt(sealed, context, { reuseDataKey: true })).toString()).toBe(PLAINTEXT);
    expect(decrypts(from)).toBe(1);
    // Requests that miss at the same time share one unwrap.
    const fresh = await km.encrypt(PLAINTEXT, context);
    from = fake.requests.length;
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => km.decrypt(fresh, context, { reuseDataKey: true })),
    );
    expect(opened.map(String)).toEqual(Array(4).fill(PLAINTEXT));
    expect(decrypts(from)).toBe(1);
    // Another context never gets the kept key: KMS is asked, and refuses.
    from = fake.requests.length;
    const other = { ...context, tenantId: 'ten_01J0000000000000000000000B' };
    await expect(km.decrypt(sealed, other, { reuseDataKey: true })).rejects.toThrow(SecretDecryptionError);
    expect(decrypts(from)).toBe(1);
    // A tampered payload under the kept key still fails its tag.
    const tampered = { ...sealed, tag: Buffer.alloc(16).toString('base64') };
    await expect(km.decrypt(tampered, context, { reuseDataKey: true })).rejects.toThrow(/tampered/);
  });

  it('forgets a kept key after DATA_KEY_CACHE_MS (a disabled key then stops it), and keeps at most DATA_KEY_CACHE', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { keyId } = fake.createKey();
    const km = kms(keyId);
    const sealed = await km.encrypt(PLAINTEXT, context);
    await km.decrypt(sealed, context, { reuseDataKey: true });
    fake.disableKey(keyId);
    expect((await km.decrypt(sealed, context, { reuseDataKey: true })).toString()).toBe(PLAINTEXT);
    vi.setSystemTime(Date.now() + DATA_KEY_CACHE_MS + 1);
    await expect(km.decrypt(sealed, context, { reuseDataKey: true })).rejects.toMatchObject({
      code: 'KEY_DISABLED',
    });
    fake.enableKey(keyId);
    const many = await Promise.all(
      Array.from({ length: DATA_KEY_CACHE + 1 }, () => km.encrypt(PLAINTEXT, context)),
    );
    for (const one of many) await km.decrypt(one, context, { reuseDataKey: true });
    const from = fake.requests.length;
    await km.decrypt(many.at(-1)!, context, { reuseDataKey: true }); // the newest is kept
    await km.decrypt(many[0]!, context, { reuseDataKey: true }); // the oldest was pushed out
    expect(decrypts(from)).toBe(1);
  });
});

describe('the KMS fake speaks the wire protocol', () => {
  const post = (target: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...headers },
      body: JSON.stringify(body),
    });
  const signed = {
    authorization: 'AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/kms/aws4_request, Signature=0',
  };

  it('answers errors as HTTP 400 with {"__type","message"}', async () => {
    const res = await post('TrentService.Decrypt', { CiphertextBlob: 'AAAA' }, signed);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toEqual({ __type: 'InvalidCiphertextException', message: expect.any(String) });
    const unsigned = await post('TrentService.Decrypt', {});
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const unknown = await post('TrentService.Nope', {}, signed);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('decrypts without a KeyId (the blob names its key), and treats context order as irrelevant', async () => {
    const { keyId, arn } = fake.createKey();
    const made = (await (
      await post(
        'TrentService.GenerateDataKey',
        { KeyId: keyId, NumberOfBytes: 32, EncryptionContext: { a: '1', b: '2' } },
        signed,
      )
    ).json()) as { CiphertextBlob: string; Plaintext: string };
    const res = await post(
      'TrentService.Decrypt',
      { CiphertextBlob: made.CiphertextBlob, EncryptionContext: { b: '2', a: '1' } },
      signed,
    );
    expect(await res.json()).toEqual({
      KeyId: arn,
      Plaintext: made.Plaintext,
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    });
  });
});
