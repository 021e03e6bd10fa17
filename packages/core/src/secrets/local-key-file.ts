/**
 * The embedded default: a 32-byte master key in a file (e.g. `<dataDir>/master.key`) wraps the
 * data keys with AES-256-GCM, the encryption context as AAD. The file is the only copy of the key:
 * lose it and every secret sealed under it is gone, so it is created once and then only ever read.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DATA_KEY_BYTES, type DataKey, EnvelopeEncryption } from './envelope.ts';
import {
  canonicalContext,
  type EncryptionContext,
  KeyManagementError,
  SecretDecryptionError,
} from './key-management.ts';

const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_BYTES = IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

export class LocalKeyFile extends EnvelopeEncryption {
  readonly description: string;
  /** `local:` + a fingerprint of the master key, so a secret names the key it needs. Not secret. */
  readonly keyId: string;
  protected readonly provider = 'local-key-file';
  // A private field: not enumerable, not printed by console.log or util.inspect, not in JSON.
  readonly #masterKey: Buffer;

  private constructor(masterKey: Buffer, where: string) {
    super();
    this.#masterKey = masterKey;
    const fingerprint = createHmac('sha256', masterKey).update('ade-local-key-id').digest('hex');
    this.keyId = `local:${fingerprint.slice(0, 16)}`;
    this.description = `local master key ${this.keyId} (${where})`;
  }

  /** The master key at `path`, created (mode 0600) if the file does not exist yet. */
  static open(path: string): LocalKeyFile {
    return new LocalKeyFile(readOrCreateKeyFile(path), path);
  }

  /** A key that lives only in this process, for tests and throwaway runs. */
  static inMemory(masterKey: Uint8Array = randomBytes(MASTER_KEY_BYTES)): LocalKeyFile {
    if (masterKey.length !== MASTER_KEY_BYTES) throw new TypeError('A master key is 32 bytes.');
    return new LocalKeyFile(Buffer.from(masterKey), 'in memory');
  }

  /** A key for another purpose (e.g. signing access tokens), derived with HKDF-SHA256 from the master key. */
  deriveKey(purpose: string, bytes = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#masterKey, 'ade-cloud', purpose, bytes));
  }

  protected async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(DATA_KEY_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#masterKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(canonicalContext(context), 'utf8'));
    const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { plaintext, wrapped, keyId: this.keyId };
  }

  protected async unwrapDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    if (keyId !== this.keyId) {
      // Only echo the id when it looks like one of ours: a stored record is untrusted input.
      const named = /^local:[0-9a-f]{16}$/.test(keyId) ? ` ${keyId}` : '';
      throw new SecretDecryptionError(`it was sealed under another master key${named}, not ${this.keyId}`);
    }
    if (wrapped.length !== WRAPPED_BYTES)
      throw new SecretDecryptionError('its wrapped data key is malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#masterKey, wrapped.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(canonicalContext(context), 'utf8'));
      decipher.setAuthTag(wrapped.subarray(IV_BYTES + DATA_KEY_BYTES));
      const body = wrapped.subarray(IV_BYTES, IV_BYTES + DATA_KEY_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new SecretDecryptionError(
        'its data key does not unwrap under this master key and context (tampered, or copied from another record)',
      );
    }
  }
}

function readOrCreateKeyFile(path: string): Buffer {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx' never overwrites: an existing key (and every secret sealed under it) is kept.
    writeFileSync(path, randomBytes(MASTER_KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw invalid(`The master key file ${path} could not be created: ${(error as Error).message}`);
    }
  }
  const stat = statSync(path);
  if (!stat.isFile()) throw invalid(`The master key file ${path} is not a regular file.`);
  // POSIX permissions only; on Windows the mode bits do not describe who can read the file.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8);
    throw invalid(
      `The master key file ${path} is accessible to group or others (mode ${mode}); ` +
        `it must be private to its owner: chmod 600 ${path}`,
    );
  }
  const raw = readFileSync(path);
  const key = raw.length === MASTER_KEY_BYTES ? raw : fromBase64Line(raw);
  if (key?.length !== MASTER_KEY_BYTES) {
    throw invalid(
      `The master key file ${path} must hold exactly 32 bytes (raw, or base64 on one line) but holds ` +
        `${raw.length} bytes. Restore the original file: secrets sealed under it open with no other key.`,
    );
  }
  return key;
}

/** Also accept `openssl rand -base64 32 > master.key`, which operators reach for first. */
function fromBase64Line(raw: Buffer): Buffer | undefined {
  const text = raw.toString('utf8').trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

const invalid = (message: string) => new KeyManagementError('KEY_FILE_INVALID', message);
