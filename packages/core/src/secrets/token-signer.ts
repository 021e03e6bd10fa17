/**
 * The deployment's key for signing access tokens (enrollment/tokens.ts): HMAC-SHA256, verified in
 * constant time. The key is 32 random bytes made on first use and kept in the table sealed under the
 * secrets key (KMS in AWS, the local key file under `pnpm dev`), like every other secret: nothing to
 * configure, nothing in an environment variable. Each container opens it once and keeps it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenSigner {
  sign(data: string): Promise<string>;
  verify(data: string, mac: string): Promise<boolean>;
}

const MIN_KEY_BYTES = 32;

/** A signer over a key that is loaded when first needed (and loaded again if that failed). */
export function hmacTokenSigner(key: Uint8Array | (() => Promise<Uint8Array>)): TokenSigner {
  if (typeof key !== 'function' && key.length < MIN_KEY_BYTES)
    throw new TypeError(`A token signing key has at least ${MIN_KEY_BYTES} bytes.`);
  let loaded: Promise<Buffer> | undefined;
  const secret = () => {
    loaded ??= (typeof key === 'function' ? key() : Promise.resolve(key)).then((bytes) => {
      if (bytes.length < MIN_KEY_BYTES)
        throw new TypeError(`A token signing key has at least ${MIN_KEY_BYTES} bytes.`);
      return Buffer.from(bytes); // held in this closure only: nothing prints or serialises it
    });
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  const sign = async (data: string) =>
    createHmac('sha256', await secret())
      .update(data, 'utf8')
      .digest('base64url');
  return {
    sign,
    async verify(data, mac) {
      const expected = Buffer.from(await sign(data));
      const given = Buffer.from(mac);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

/** 32 fresh random bytes: a new deployment's token key. */
export function newTokenKey(): Buffer {
  return randomBytes(MIN_KEY_BYTES);
}
