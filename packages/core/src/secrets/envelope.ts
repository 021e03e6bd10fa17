/**
 * The payload half of envelope encryption, shared by every provider: providers only create and
 * unwrap data keys; sealing, parsing and opening a SealedSecret happen here, once.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  canonicalContext,
  type DecryptOptions,
  type EncryptionContext,
  type KeyManagement,
  SECRET_PROVIDERS,
  type SealedSecret,
  SecretDecryptionError,
  type SecretProvider,
} from './key-management.ts';

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Unwrapped data keys kept per process when a caller asks for reuse (DecryptOptions). */
export const DATA_KEY_CACHE = 64;
/** How long one is kept: a revoked KMS grant or disabled key stops opening secrets within this. */
export const DATA_KEY_CACHE_MS = 5 * 60_000;

export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  keyId: string;
}

export abstract class EnvelopeEncryption implements KeyManagement {
  abstract readonly description: string;
  protected abstract readonly provider: SecretProvider;
  /** A fresh data key, and the same key wrapped under `context`. */
  protected abstract generateDataKey(context: EncryptionContext): Promise<DataKey>;
  /** Throws SecretDecryptionError when `wrapped` was not made for `keyId` and `context`. */
  protected abstract unwrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<Buffer>;

  async encrypt(plaintext: Uint8Array | string, context: EncryptionContext): Promise<SealedSecret> {
    const aad = Buffer.from(canonicalContext(context), 'utf8');
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const dataKey = await this.generateDataKey(context);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
      return {
        version: 1,
        provider: this.provider,
        keyId: dataKey.keyId,
        wrappedKey: dataKey.wrapped.toString('base64'),
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        ciphertext: ciphertext.toString('base64'),
      };
    } finally {
      // Best effort: do not leave the data key lying around in memory until GC.
      dataKey.plaintext.fill(0);
    }
  }

  async decrypt(
    sealed: SealedSecret,
    context: EncryptionContext,
    options: DecryptOptions = {},
  ): Promise<Buffer> {
    const bound = canonicalContext(context);
    const aad = Buffer.from(bound, 'utf8');
    const parts = this.#parse(sealed);
    const unwrap = () => this.unwrapDataKey(parts.wrappedKey, sealed.keyId, context);
    // A kept key is never handed out: each use works on its own copy, zeroed after.
    const dataKey = options.reuseDataKey
      ? Buffer.from(await this.#reusedDataKey(`${sealed.keyId}\n${sealed.wrappedKey}\n${bound}`, unwrap))
      : await unwrap();
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, parts.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(parts.tag);
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
    } catch {
      throw new SecretDecryptionError('the payload does not match its data key and context (tampered?)');
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * Kept data keys by key id, wrapped key and context, oldest first (a Map keeps insertion order).
   * The promise is kept, not the key, so requests that miss at the same time share one unwrap.
   */
  readonly #dataKeys = new Map<string, { key: Promise<Buffer>; until: number }>();

  #reusedDataKey(cacheKey: string, unwrap: () => Promise<Buffer>): Promise<Buffer> {
    const entry = this.#dataKeys.get(cacheKey);
    if (entry && entry.until > Date.now()) return entry.key;
    if (entry) this.#forget(cacheKey);
    const key = unwrap();
    this.#dataKeys.set(cacheKey, { key, until: Date.now() + DATA_KEY_CACHE_MS });
    // A refusal is not kept: the next request asks the provider again.
    key.catch(() => {
      if (this.#dataKeys.get(cacheKey)?.key === key) this.#dataKeys.delete(cacheKey);
    });
    while (this.#dataKeys.size > DATA_KEY_CACHE) this.#forget(this.#dataKeys.keys().next().value!);
    return key;
  }

  #forget(cacheKey: string): void {
    const entry = this.#dataKeys.get(cacheKey);
    this.#dataKeys.delete(cacheKey);
    entry?.key.then(
      (key) => key.fill(0),
      () => undefined,
    );
  }

  /** Checks every field before any key is touched: a stored record is untrusted input. */
  #parse(sealed: SealedSecret) {
    const value = sealed as Partial<Record<keyof SealedSecret, unknown>> | null;
    if (typeof value !== 'object' || value === null)
      throw new SecretDecryptionError('it is not a sealed secret');
    if (value.version !== 1) throw new SecretDecryptionError('its version is not supported');
    if (value.provider !== this.provider) {
      const known = SECRET_PROVIDERS.find((p) => p === value.provider);
      throw new SecretDecryptionError(
        known ? `it was sealed by ${known}, not ${this.provider}` : 'its provider is unknown',
      );
    }
    if (typeof value.keyId !== 'string' || value.keyId === '' || value.keyId.length > 2048) {
      throw new SecretDecryptionError('its key id is malformed');
    }
    const iv = base64Field(value.iv, 'iv');
    const tag = base64Field(value.tag, 'tag');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new SecretDecryptionError('its iv or tag is malformed');
    return {
      iv,
      tag,
      wrappedKey: base64Field(value.wrappedKey, 'wrappedKey'),
      ciphertext: base64Field(value.ciphertext, 'ciphertext'),
    };
  }
}

/**
 * Strict base64: Node's decoder ignores stray characters and unused trailing bits, so an edited
 * field could decode to the same bytes; only the canonical encoding is accepted.
 */
function base64Field(value: unknown, name: string): Buffer {
  if (typeof value !== 'string') throw new SecretDecryptionError(`its ${name} is missing`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value)
    throw new SecretDecryptionError(`its ${name} is not canonical base64`);
  return bytes;
}
