/**
 * The deployment's key for signing access tokens (enrollment/tokens.ts): HMAC-SHA256, verified in
 * constant time. In AWS it is a 32-byte secret in `ADE_TOKEN_SIGNING_KEY` (base64, an SST secret);
 * locally it is derived from the master key file, so `pnpm dev` needs nothing more. Like key
 * management it fails closed: without a key, no token is issued or accepted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LocalKeyFile } from './local-key-file.ts';

export interface TokenSigner {
  sign(data: string): string;
  verify(data: string, mac: string): boolean;
}

const MIN_KEY_BYTES = 32;

export function hmacTokenSigner(key: Uint8Array): TokenSigner {
  if (key.length < MIN_KEY_BYTES)
    throw new TypeError(`A token signing key has at least ${MIN_KEY_BYTES} bytes.`);
  // Held in the closure only: nothing prints or serialises it.
  const secret = Buffer.from(key);
  const sign = (data: string) => createHmac('sha256', secret).update(data, 'utf8').digest('base64url');
  return {
    sign,
    verify(data, mac) {
      const expected = Buffer.from(sign(data));
      const given = Buffer.from(mac);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export const unconfiguredTokenSigner: TokenSigner = {
  sign() {
    throw new Error('Access-token signing is not configured (ADE_TOKEN_SIGNING_KEY or ADE_LOCAL_KEY_FILE).');
  },
  verify: () => false,
};

/**
 * `ADE_TOKEN_SIGNING_KEY` (base64, ≥ 32 bytes) wins; else a key derived (HKDF-SHA256) from the local
 * master key file in `ADE_LOCAL_KEY_FILE`; else the unconfigured signer.
 */
export function tokenSignerFromEnv(env: NodeJS.ProcessEnv = process.env): TokenSigner {
  const configured = env.ADE_TOKEN_SIGNING_KEY?.trim();
  if (configured) {
    const key = Buffer.from(configured, 'base64');
    if (key.length < MIN_KEY_BYTES)
      throw new Error(`ADE_TOKEN_SIGNING_KEY must be base64 of at least ${MIN_KEY_BYTES} random bytes.`);
    return hmacTokenSigner(key);
  }
  const keyFile = env.ADE_LOCAL_KEY_FILE?.trim();
  if (keyFile) return hmacTokenSigner(LocalKeyFile.open(keyFile).deriveKey('access-token signing'));
  return unconfiguredTokenSigner;
}
