/**
 * A fake of AWS KMS on 127.0.0.1, for tests: the JSON 1.1 wire protocol the SDK speaks (POST /,
 * `X-Amz-Target: TrentService.<Operation>`, `application/x-amz-json-1.1`, blobs as base64), so the
 * real `@aws-sdk/client-kms` runs against it unchanged.
 *
 * Faithful where our provider depends on it (KMS API Reference, GenerateDataKey and Decrypt):
 * - keys are addressed by key id, key ARN, alias name (`alias/…`) or alias ARN; responses name the key ARN;
 * - the CiphertextBlob names its key and binds the EncryptionContext (AES-256-GCM, canonical context as
 *   AAD), so Decrypt needs no KeyId, and a different context or any edited byte → InvalidCiphertextException;
 * - Decrypt with a KeyId other than the blob's key → IncorrectKeyException; unknown key → NotFoundException;
 *   disabled → DisabledException; pending deletion → KMSInvalidStateException; `denyAccess` → AccessDeniedException;
 * - errors are HTTP 400 with `{"__type":"…","message":"…"}` (the status KMS documents for these).
 * The blob format is ours (KMS's is opaque), and SigV4 is only checked for presence and scope, not verified.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedKmsRequest {
  /** e.g. `TrentService.Decrypt`. */
  target: string;
  headers: IncomingMessage['headers'];
  body: Record<string, any>;
  status: number;
  errorType?: string;
}

interface Key {
  id: string;
  arn: string;
  material: Buffer;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  denied: boolean;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const JSON_TYPE = 'application/x-amz-json-1.1';
const BLOB_VERSION = 1;

export class FakeKms {
  readonly requests: RecordedKmsRequest[] = [];
  readonly region = 'us-east-1';
  readonly account = '111122223333';
  url = '';
  readonly #keys = new Map<string, Key>();
  readonly #aliases = new Map<string, string>();
  readonly #http = createServer((req, res) => void this.#handle(req, res).catch(() => res.destroy()));

  static async start(): Promise<FakeKms> {
    const fake = new FakeKms();
    await new Promise<void>((resolve) => fake.#http.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#http.address() as AddressInfo).port}`;
    return fake;
  }

  /** A new symmetric key with fresh material; `alias` like `alias/ade-secrets`. */
  createKey(alias?: string): { keyId: string; arn: string } {
    const id = randomUUID();
    const key: Key = {
      id,
      arn: this.#arn(`key/${id}`),
      material: randomBytes(32),
      state: 'Enabled',
      denied: false,
    };
    this.#keys.set(id, key);
    if (alias) this.#aliases.set(alias, id);
    return { keyId: id, arn: key.arn };
  }
  disableKey(keyId: string): void {
    this.#key(keyId).state = 'Disabled';
  }
  enableKey(keyId: string): void {
    this.#key(keyId).state = 'Enabled';
  }
  scheduleKeyDeletion(keyId: string): void {
    this.#key(keyId).state = 'PendingDeletion';
  }
  /** As if the key policy no longer allowed the caller. */
  denyAccess(keyId: string, denied = true): void {
    this.#key(keyId).denied = denied;
  }
  calls(operation: 'GenerateDataKey' | 'Decrypt'): RecordedKmsRequest[] {
    return this.requests.filter((r) => r.target === `TrentService.${operation}`);
  }
  async close(): Promise<void> {
    this.#http.closeAllConnections();
    await new Promise((resolve) => this.#http.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const record: RecordedKmsRequest = { target, headers: req.headers, body: {}, status: 200 };
    this.requests.push(record);
    let answer: unknown;
    try {
      record.body = parseBody(Buffer.concat(chunks).toString('utf8'));
      this.#checkRequest(req);
      answer = this.#route(target, record.body);
    } catch (error) {
      if (!(error instanceof KmsError)) throw error;
      record.status = 400;
      record.errorType = error.type;
      answer = { __type: error.type, message: error.message };
    }
    res
      .writeHead(record.status, { 'content-type': JSON_TYPE, 'x-amzn-requestid': randomUUID() })
      .end(JSON.stringify(answer));
  }

  #checkRequest(req: IncomingMessage): void {
    if (req.method !== 'POST' || req.url !== '/') throw new KmsError('UnknownOperationException', '');
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('AWS4-HMAC-SHA256 Credential=')) {
      throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if (!auth.includes(`/${this.region}/kms/aws4_request`)) {
      throw new KmsError(
        'InvalidSignatureException',
        'Credential should be scoped to a valid region and service.',
      );
    }
  }

  #route(target: string, body: Record<string, any>): unknown {
    if (target === 'TrentService.GenerateDataKey') return this.#generateDataKey(body);
    if (target === 'TrentService.Decrypt') return this.#decrypt(body);
    throw new KmsError('UnknownOperationException', '');
  }

  #generateDataKey(body: Record<string, any>): unknown {
    const key = this.#usable(this.#resolve(body.KeyId), 'GenerateDataKey');
    const { KeySpec: spec, NumberOfBytes: count } = body;
    if ((spec === undefined) === (count === undefined)) {
      throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
    }
    if (spec !== undefined && spec !== 'AES_256' && spec !== 'AES_128') {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
      );
    }
    if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 1024)) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${count}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024`,
      );
    }
    const plaintext = randomBytes(spec === 'AES_128' ? 16 : spec === 'AES_256' ? 32 : Number(count));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(contextAad(body.EncryptionContext));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const header = Buffer.concat([Buffer.of(BLOB_VERSION), Buffer.from(key.id.replaceAll('-', ''), 'hex')]);
    const blob = Buffer.concat([header, iv, cipher.getAuthTag(), sealed]);
    return {
      CiphertextBlob: blob.toString('base64'),
      Plaintext: plaintext.toString('base64'),
      KeyId: key.arn,
    };
  }

  #decrypt(body: Record<string, any>): unknown {
    const blob = Buffer.from(String(body.CiphertextBlob ?? ''), 'base64');
    const invalid = new KmsError(
      'InvalidCiphertextException',
      'The ciphertext is invalid or was not encrypted under this encryption context.',
    );
    if (blob.length < 1 + 16 + 12 + 16 + 1 || blob[0] !== BLOB_VERSION) throw invalid;
    const blobKey = this.#keys.get(uuid(blob.subarray(1, 17)));
    if (!blobKey) throw invalid;
    const key = body.KeyId === undefined ? blobKey : this.#resolve(body.KeyId);
    this.#usable(key, 'Decrypt');
    if (key !== blobKey) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a KMS key that can perform this operation.',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, blob.subarray(17, 29));
      decipher.setAAD(contextAad(body.EncryptionContext));
      decipher.setAuthTag(blob.subarray(29, 45));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(45)), decipher.final()]);
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    } catch {
      throw invalid;
    }
  }

  #resolve(keyId: unknown): Key {
    if (typeof keyId !== 'string' || keyId === '') {
      throw new KmsError(
        'ValidationException',
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
      );
    }
    const prefix = this.#arn('');
    const local = keyId.startsWith(prefix) ? keyId.slice(prefix.length) : keyId;
    const id = local.startsWith('alias/') ? this.#aliases.get(local) : local.replace(/^key\//, '');
    const key = id === undefined ? undefined : this.#keys.get(id);
    if (key) return key;
    throw new KmsError(
      'NotFoundException',
      local.startsWith('alias/')
        ? `Alias ${this.#arn(local)} is not found.`
        : `Key '${this.#arn(`key/${local}`)}' does not exist`,
    );
  }

  #usable(key: Key, operation: string): Key {
    if (key.denied) {
      throw new KmsError(
        'AccessDeniedException',
        `User: arn:aws:iam::${this.account}:user/test is not authorized to perform: kms:${operation} on resource: ${key.arn} because no resource-based policy allows the kms:${operation} action`,
      );
    }
    if (key.state === 'Disabled') throw new KmsError('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion')
      throw new KmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    return key;
  }

  #key(keyId: string): Key {
    const key = this.#keys.get(keyId);
    if (!key) throw new Error(`FakeKms: no key ${keyId}`);
    return key;
  }

  #arn(resource: string): string {
    return `arn:aws:kms:${this.region}:${this.account}:${resource}`;
  }
}

function parseBody(text: string): Record<string, any> {
  try {
    const body = JSON.parse(text || '{}');
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body;
  } catch {}
  throw new KmsError('SerializationException', 'Start of structure or map found where not expected.');
}

/** The context as sorted pairs: KMS treats `{a,b}` and `{b,a}` as the same context. */
function contextAad(context: unknown): Buffer {
  const entries = Object.entries((context ?? {}) as Record<string, unknown>);
  if (entries.some(([, v]) => typeof v !== 'string'))
    throw new KmsError('SerializationException', 'EncryptionContext values must be strings.');
  return Buffer.from(JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

const uuid = (bytes: Buffer) =>
  bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
