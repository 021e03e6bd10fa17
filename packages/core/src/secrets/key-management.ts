/**
 * Secrets at rest (ABM/ASM OAuth credentials, RSA private keys, later CA and push keys) are sealed
 * with envelope encryption: a fresh 256-bit data key per secret encrypts the payload (AES-256-GCM),
 * and a provider wraps that data key — AWS KMS in production, a local master key file on a laptop.
 *
 * Both layers bind the encryption context (always at least `{ tenantId, purpose }`) as additional
 * authenticated data, so a sealed secret copied into another tenant's record, or used for another
 * purpose, does not decrypt. The context is never stored in the sealed secret: the caller rebuilds
 * it from where the secret is being read, which is what makes replay fail.
 */

/** Names what a secret belongs to and is for, e.g. `{ tenantId, purpose: 'abm-token' }`. */
export type EncryptionContext = Record<string, string>;

export type SecretProvider = 'local-key-file' | 'aws-kms';
export const SECRET_PROVIDERS: readonly SecretProvider[] = ['local-key-file', 'aws-kms'];

/**
 * A sealed secret: plain JSON (strings and one number) so it can be stored as a DynamoDB map
 * attribute as is. Binary fields are base64. Nothing in it is usable without the provider's key.
 */
export interface SealedSecret {
  version: 1;
  provider: SecretProvider;
  /** The key that wrapped the data key: a KMS key ARN, or `local:<fingerprint>`. Not secret. */
  keyId: string;
  /** The data key, encrypted by the provider under the same context. */
  wrappedKey: string;
  /** AES-256-GCM nonce (12 bytes) and tag (16 bytes) of the payload. */
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface DecryptOptions {
  /**
   * Keep the unwrapped data key in this process for a while (envelope.ts: at most DATA_KEY_CACHE
   * keys, each for DATA_KEY_CACHE_MS) and open the next secret with the same wrapped key and context
   * without asking the provider again. For secrets opened on a device's request, where one sealed
   * value serves many devices (a payload's secrets, a rollout's signed profile): one KMS Decrypt per
   * container instead of one per request. Leave it off for secrets opened once per container anyway.
   */
  reuseDataKey?: boolean;
}

export interface KeyManagement {
  encrypt(plaintext: Uint8Array | string, context: EncryptionContext): Promise<SealedSecret>;
  /** Throws SecretDecryptionError unless `context` is exactly the one the secret was sealed with. */
  decrypt(sealed: SealedSecret, context: EncryptionContext, options?: DecryptOptions): Promise<Buffer>;
  /** Which key this is, for logs and health output; never contains key material. */
  readonly description: string;
}

/**
 * A sealed secret that cannot be opened: tampered with, replayed under another context, sealed
 * under another key, or malformed. Messages are fixed phrases — they never quote plaintext, keys or
 * ciphertext, and deliberately do not say which check failed beyond what an operator needs.
 */
export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`The secret could not be decrypted: ${reason}.`);
    this.name = 'SecretDecryptionError';
  }
}

export type KeyManagementErrorCode =
  | 'NOT_CONFIGURED' // no provider configured, or configured wrongly
  | 'KEY_FILE_INVALID' // the local master key file is unsafe or unreadable
  | 'KEY_NOT_FOUND'
  | 'KEY_DISABLED'
  | 'KEY_UNAVAILABLE' // e.g. pending deletion
  | 'ACCESS_DENIED'
  | 'KMS_FAILED'; // anything else KMS (or the network to it) answered

/** The key itself is missing, unusable or misconfigured: an operator must act, retrying won't help. */
export class KeyManagementError extends Error {
  readonly code: KeyManagementErrorCode;

  constructor(code: KeyManagementErrorCode, message: string) {
    super(message);
    this.name = 'KeyManagementError';
    this.code = code;
  }
}

/**
 * The context as canonical JSON (keys sorted by UTF-16 code units, JSON string escaping), so the
 * same context always yields the same AAD whatever order its keys were written in.
 */
export function canonicalContext(context: EncryptionContext): string {
  const entries = Object.entries(context);
  // An empty context would bind nothing, silently allowing replay: that is a programming error.
  if (entries.length === 0) {
    throw new TypeError('An encryption context needs at least one entry, e.g. { tenantId, purpose }.');
  }
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw new TypeError(`Encryption context value "${key}" must be a string.`);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
}
