import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacTokenSigner } from '../secrets/token-signer.ts';
import { newAccessToken, readAccessToken, sha256 } from './tokens.ts';

const signer = hmacTokenSigner(randomBytes(32));
const tenantId = 'ten_01JD0000000000000000000000';
const claims = {
  configurationId: 'cfg_01JD0000000000000000000001',
  enrollmentType: 'DEVICE' as const,
  managedAppleId: 'alice@example.com',
  redeemBefore: new Date('2026-11-24T10:00:00Z'),
};

describe('signed access tokens', () => {
  it('carries its binding and keys its row by a hash of the secret only', async () => {
    const { token, hash } = await newAccessToken(signer, tenantId, claims);
    expect(await readAccessToken(signer, token)).toEqual({ tenantId, hash, claims });
    const secret = token.split('.')[2]!;
    expect(hash).toBe(sha256(secret));
    expect(hash).not.toContain(secret);
  });

  it('refuses every altered part, another key, and junk', async () => {
    const { token } = await newAccessToken(signer, tenantId, claims);
    const parts = token.split('.');
    for (let i = 0; i < parts.length; i++) {
      const flipped = [...parts];
      const chars = [...flipped[i]!];
      chars[5] = chars[5] === 'A' ? 'B' : 'A';
      flipped[i] = chars.join('');
      expect(await readAccessToken(signer, flipped.join('.'))).toBeNull();
    }
    expect(await readAccessToken(hmacTokenSigner(randomBytes(32)), token)).toBeNull();
    for (const junk of ['', 'a.b.c.d', `${token}.`, token.replace(/\./g, '')])
      expect(await readAccessToken(signer, junk)).toBeNull();
  });

  it('refuses short signing keys, given or loaded', async () => {
    expect(() => hmacTokenSigner(randomBytes(16))).toThrow(/at least 32 bytes/);
    await expect(hmacTokenSigner(async () => randomBytes(16)).sign('x')).rejects.toThrow(/at least 32 bytes/);
  });
});
