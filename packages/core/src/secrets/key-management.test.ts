/**
 * The envelope (shared by every provider), exercised through the in-memory local key: what a sealed
 * secret contains, and that every way of getting a secret out of its record fails.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalContext,
  ephemeralKeyManagement,
  LocalKeyFile,
  type SealedSecret,
  SecretDecryptionError,
} from './index.ts';

const PLAINTEXT = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
const context = { tenantId: 'ten_01J0000000000000000000000A', purpose: 'abm-token' };

/** The error, with the guarantee that it does not quote the secret or the sealed fields. */
async function decryptionFailure(promise: Promise<unknown>, sealed: SealedSecret): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretDecryptionError);
  const message = (error as Error).message;
  for (const leak of [PLAINTEXT, 'MIIEvQ', sealed.ciphertext, sealed.wrappedKey, sealed.iv, sealed.tag]) {
    expect(message).not.toContain(leak);
  }
  return message;
}

/** The same bytes with one bit flipped, re-encoded canonically. */
function flip(base64: string, index = 0): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('key management (envelope encryption)', () => {
  it('round-trips strings and bytes', async () => {
    const km = ephemeralKeyManagement();
    const sealed = await km.encrypt(PLAINTEXT, context);
    expect((await km.decrypt(sealed, context)).toString('utf8')).toBe(PLAINTEXT);
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    expect([...(await km.decrypt(await km.encrypt(bytes, context), context))]).toEqual([0, 1, 2, 255]);
    expect((await km.decrypt(await km.encrypt('', context), context)).length).toBe(0);
  });

  it('seals to plain JSON that contains no trace of the plaintext', async () => {
    const km = ephemeralKeyManagement();
    const sealed = await km.encrypt(PLAINTEXT, context);
    const json = JSON.stringify(sealed);
    expect(Object.keys(sealed).sort()).toEqual([
      'ciphertext',
      'iv',
      'keyId',
      'provider',
      'tag',
      'version',
      'wrappedKey',
    ]);
    expect(sealed).toMatchObject({ version: 1, provider: 'local-key-file' });
    for (const form of [PLAINTEXT, 'MIIEvQ', Buffer.from(PLAINTEXT).toString('base64').slice(0, 24)]) {
      expect(json).not.toContain(form);
    }
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    // It survives a storage round trip (DynamoDB map attribute ≈ JSON).
    expect((await km.decrypt(JSON.parse(json), context)).toString()).toBe(PLAINTEXT);
  });

  it('uses a fresh data key and nonce for every secret', async () => {
    const km = ephemeralKeyManagement();
    const [a, b] = await Promise.all([km.encrypt(PLAINTEXT, context), km.encrypt(PLAINTEXT, context)]);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('opens only under the exact context it was sealed with (key order does not matter)', async () => {
    const km = ephemeralKeyManagement();
    const sealed = await km.encrypt(PLAINTEXT, context);
    const reordered = { purpose: context.purpose, tenantId: context.tenantId };
    expect((await km.decrypt(sealed, reordered)).toString()).toBe(PLAINTEXT);
    for (const other of [
      { ...context, tenantId: 'ten_01J0000000000000000000000B' }, // replayed into another tenant
      { ...context, purpose: 'asm-token' }, // reused for another purpose
      { ...context, extra: 'x' },
      { tenantId: context.tenantId },
    ]) {
      await decryptionFailure(km.decrypt(sealed, other), sealed);
    }
  });

  it('refuses an empty or non-string context when sealing and opening', async () => {
    const km = ephemeralKeyManagement();
    await expect(km.encrypt(PLAINTEXT, {})).rejects.toThrow(/at least one entry/);
    const sealed = await km.encrypt(PLAINTEXT, context);
    await expect(km.decrypt(sealed, {})).rejects.toThrow(/at least one entry/);
    await expect(km.encrypt(PLAINTEXT, { tenantId: 1 } as any)).rejects.toThrow(/must be a string/);
  });

  it('fails when any field is tampered with', async () => {
    const km = ephemeralKeyManagement();
    const sealed = await km.encrypt(PLAINTEXT, context);
    const tampered: Record<string, SealedSecret> = {
      wrappedKey: { ...sealed, wrappedKey: flip(sealed.wrappedKey, 20) },
      wrappedKeyIv: { ...sealed, wrappedKey: flip(sealed.wrappedKey, 0) },
      iv: { ...sealed, iv: flip(sealed.iv) },
      tag: { ...sealed, tag: flip(sealed.tag, 15) },
      ciphertext: { ...sealed, ciphertext: flip(sealed.ciphertext, 10) },
      truncated: {
        ...sealed,
        ciphertext: Buffer.from(sealed.ciphertext, 'base64').subarray(1).toString('base64'),
      },
      keyId: { ...sealed, keyId: 'local:0000000000000000' },
      provider: { ...sealed, provider: 'aws-kms' },
      version: { ...sealed, version: 2 as 1 },
      // Same bytes, different text: Node's lenient decoder would accept it; we must not.
      noise: { ...sealed, ciphertext: `${sealed.ciphertext.slice(0, 8)}*${sealed.ciphertext.slice(8)}` },
      missing: { ...sealed, tag: undefined as unknown as string },
    };
    for (const [field, bad] of Object.entries(tampered)) {
      const message = await decryptionFailure(km.decrypt(bad, context), sealed);
      expect(message, field).toMatch(/^The secret could not be decrypted: /);
    }
    await decryptionFailure(km.decrypt(null as unknown as SealedSecret, context), sealed);
    // The untampered original still opens.
    expect((await km.decrypt(sealed, context)).toString()).toBe(PLAINTEXT);
  });

  it('cannot be opened with another master key', async () => {
    const sealed = await LocalKeyFile.inMemory().encrypt(PLAINTEXT, context);
    const other = LocalKeyFile.inMemory();
    expect(await decryptionFailure(other.decrypt(sealed, context), sealed)).toMatch(/another master key/);
    // Even with the key id forged to match, the wrapped key does not unwrap.
    const forged = { ...sealed, keyId: other.keyId };
    expect(await decryptionFailure(other.decrypt(forged, context), sealed)).toMatch(/does not unwrap/);
  });

  it('writes the context as canonical JSON', () => {
    expect(canonicalContext({ purpose: 'p', tenantId: 't' })).toBe('{"purpose":"p","tenantId":"t"}');
    expect(canonicalContext({ tenantId: 't', purpose: 'p' })).toBe('{"purpose":"p","tenantId":"t"}');
    expect(canonicalContext({ 'a"b': 'x\ny' })).toBe('{"a\\"b":"x\\ny"}');
    expect(JSON.parse(canonicalContext(context))).toEqual(context);
  });
});
