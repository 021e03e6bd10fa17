/**
 * Production: AWS KMS wraps the data keys. `GenerateDataKey` returns a fresh key in plaintext and
 * wrapped; `Decrypt` unwraps it. The payload itself never leaves the process. KMS binds the
 * EncryptionContext into the wrapped key (and logs it in CloudTrail), so a wrapped key replayed into
 * another tenant's record fails at KMS, before our own AAD check.
 */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DATA_KEY_BYTES, type DataKey, EnvelopeEncryption } from './envelope.ts';
import { type EncryptionContext, KeyManagementError, SecretDecryptionError } from './key-management.ts';

export interface AwsKmsOptions {
  /** Key id, key ARN, alias name (`alias/…`) or alias ARN. */
  keyId: string;
  client?: KMSClient;
}

export class AwsKms extends EnvelopeEncryption {
  readonly description: string;
  readonly keyId: string;
  protected readonly provider = 'aws-kms';
  readonly #client: KMSClient;

  constructor({ keyId, client }: AwsKmsOptions) {
    super();
    if (!keyId.trim())
      throw new KeyManagementError('NOT_CONFIGURED', 'AwsKms needs a KMS key id, ARN or alias.');
    this.keyId = keyId;
    this.#client = client ?? new KMSClient({});
    this.description = `AWS KMS key ${keyId}`;
  }

  protected async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const command = new GenerateDataKeyCommand({
      KeyId: this.keyId,
      KeySpec: 'AES_256',
      EncryptionContext: context,
    });
    const out = await this.#send('GenerateDataKey', () => this.#client.send(command));
    if (out.Plaintext?.length !== DATA_KEY_BYTES || !out.CiphertextBlob?.length || !out.KeyId) {
      throw new KeyManagementError(
        'KMS_FAILED',
        `KMS GenerateDataKey with ${this.keyId} returned no 256-bit data key.`,
      );
    }
    // KeyId in the answer is the key ARN even when we asked by alias: the stable name to record.
    return { plaintext: view(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob), keyId: out.KeyId };
  }

  protected async unwrapDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    // KeyId pins the key we trust (the blob names its key; without this KMS would use any key we may use).
    const command = new DecryptCommand({
      CiphertextBlob: wrapped,
      KeyId: this.keyId,
      EncryptionContext: context,
    });
    const out = await this.#send('Decrypt', () => this.#client.send(command));
    const plaintext = out.Plaintext ? view(out.Plaintext) : undefined;
    // The key that actually decrypted must be the one recorded at sealing time (catches an edited keyId).
    if (out.KeyId !== keyId || plaintext?.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw new SecretDecryptionError(
        `it names another KMS key than the one that unwrapped it (${this.keyId})`,
      );
    }
    return plaintext;
  }

  async #send<T>(operation: 'GenerateDataKey' | 'Decrypt', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.#translate(operation, error);
    }
  }

  /** KMS errors by name (AccessDeniedException has no SDK class); KMS's own message only when unknown. */
  #translate(operation: string, error: unknown): Error {
    const name = error instanceof Error ? error.name : 'UnknownError';
    const key = `KMS key ${this.keyId}`;
    switch (name) {
      case 'InvalidCiphertextException':
        return new SecretDecryptionError(
          'KMS refused its wrapped data key for this context (tampered, or copied from another record)',
        );
      case 'IncorrectKeyException':
        return new SecretDecryptionError(`it was not sealed under ${key}`);
      case 'NotFoundException':
        return new KeyManagementError(
          'KEY_NOT_FOUND',
          `${key} does not exist in this account and region; check ADE_KMS_KEY_ID.`,
        );
      case 'DisabledException':
        return new KeyManagementError(
          'KEY_DISABLED',
          `${key} is disabled; enable it to seal or open secrets.`,
        );
      case 'KMSInvalidStateException':
        return new KeyManagementError(
          'KEY_UNAVAILABLE',
          `${key} cannot be used in its current state (pending deletion?).`,
        );
      case 'AccessDeniedException':
        return new KeyManagementError(
          'ACCESS_DENIED',
          `This role may not call kms:${operation} on ${key}; allow it in the key policy or IAM policy.`,
        );
      default: {
        const message = error instanceof Error ? error.message.slice(0, 300) : String(error);
        return new KeyManagementError(
          'KMS_FAILED',
          `KMS ${operation} with ${key} failed: ${name}: ${message}`,
        );
      }
    }
  }
}

/** A Buffer over the SDK's bytes (no copy), so zeroing it after use zeroes the only copy. */
const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
