/**
 * The device functions' own DynamoDB client. Discovery, enrollment and check-in must cold-start in
 * under 80 ms and 400 KB; the AWS SDK's DynamoDB client alone is about 220 KB and 50 ms of import.
 * ElectroDB accepts an AWS SDK v2-shaped DocumentClient (`get`, `put`, … each returning a request
 * with `promise()`), so this module is exactly that: DocumentClient-style params marshalled the
 * way `@aws-sdk/lib-dynamodb` does it (same key paths, `removeUndefinedValues`, no class
 * instances), DynamoDB's JSON 1.0 protocol over `node:https` with a keep-alive agent, SigV4 on
 * `node:crypto`, and the SDK's standard retry rules (throttling, 500/502/503/504, network errors,
 * timeouts; exponential backoff with full jitter). Errors carry the SDK's `name`, `message`,
 * `$metadata` and `$fault`, so `error.name === 'ConditionalCheckFailedException'` means the same;
 * as on the SDK client (db/client.ts), a database that cannot be reached once retries are spent
 * (refused, reset, timed out) surfaces as the domain's StoreUnavailableError (db/unavailable.ts).
 * GraphQL, scripts and tests keep the SDK (db/client.ts). Deliberately left out: endpoint
 * discovery (DynamoDB never requires it; the SDK leaves it off too), the SDK's retry quota and
 * clock-skew correction (a Lambda's clock is synchronised; a skew error surfaces as itself),
 * credential providers other than the environment Lambda sets, and PartiQL/control-plane
 * operations. The response's `x-amz-crc32` checksum is verified (a table CRC32, microseconds for
 * a device-sized response) and a mismatch is retried like a transient error, as SDK v2 did.
 * Note for bundling: ElectroDB's src/client.js requires `@aws-sdk/lib-dynamodb` at load (only its
 * v3 wrapper uses it), which drags the whole SDK client in unless a device build stubs that import.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  TransactGetCommandInput,
  TransactGetCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  createRequestCounter,
  type DocumentDatabase,
  type RecordingCounter,
  type RequestCounter,
} from './requests.ts';
import { asStoreError } from './unavailable.ts';

export interface WireDatabaseOptions {
  tableName: string;
  /** e.g. `http://127.0.0.1:8000` for DynamoDB Local (fixed `local` credentials); unset in AWS. */
  endpoint?: string;
  /** Defaults to `AWS_REGION`, then `us-east-1`. */
  region?: string;
  /** Attempts per call, the first included (default 3). */
  maxAttempts?: number;
  /** Per attempt, from connecting to the last byte of the response (default 5000 ms). */
  timeoutMs?: number;
  /**
   * `'environment'`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, read at
   * every request (what Lambda sets). Default: `'environment'` without `endpoint`, the fixed
   * `local`/`local` pair with one, so that a local run never signs with real credentials.
   */
  credentials?: 'environment' | WireCredentials;
  /** Counts into this counter rather than a new one: a local stack counting both clients as one. */
  requests?: RecordingCounter;
  /** Sees each call's command name (`GetItemCommand`, …) and wire input before it is sent (tests record IAM actions). */
  observe?: (commandName: string, input: Readonly<Record<string, unknown>>) => void;
}

/** Fixed credentials (tests, DynamoDB Local); in Lambda, leave `credentials` unset. */
export interface WireCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A `DocumentDatabase` on the wire client; `close()` (or `destroy()`) ends its keep-alive sockets. */
export interface WireDatabase extends DocumentDatabase {
  document: WireDocumentClient;
  close(): void;
  destroy(): void;
}

/** What an `extractError` listener receives: the raw error response, as AWS SDK v2 gave it. */
export interface ErrorResponseEvent {
  httpResponse: { statusCode: number; headers: IncomingHttpHeaders; body: Buffer };
}

/** An AWS SDK v2-style request: sent when `promise()` is first called. */
export interface WireRequest<T> {
  promise(): Promise<T>;
  /** Cancels the request (in flight or waiting to retry); `promise()` rejects with an `AbortError`. */
  abort(): void;
  /** Called with every error response, before `promise()` rejects (ElectroDB reads `CancellationReasons`). */
  on(event: 'extractError', listener: (response: ErrorResponseEvent) => void): WireRequest<T>;
}

/** The AWS SDK v2 DocumentClient surface ElectroDB 3's `DocumentClientV2Wrapper` calls. */
export interface WireDocumentClient {
  get(params: GetCommandInput): WireRequest<GetCommandOutput>;
  put(params: PutCommandInput): WireRequest<PutCommandOutput>;
  update(params: UpdateCommandInput): WireRequest<UpdateCommandOutput>;
  delete(params: DeleteCommandInput): WireRequest<DeleteCommandOutput>;
  query(params: QueryCommandInput): WireRequest<QueryCommandOutput>;
  scan(params: ScanCommandInput): WireRequest<ScanCommandOutput>;
  batchGet(params: BatchGetCommandInput): WireRequest<BatchGetCommandOutput>;
  batchWrite(params: BatchWriteCommandInput): WireRequest<BatchWriteCommandOutput>;
  transactWrite(params: TransactWriteCommandInput): WireRequest<TransactWriteCommandOutput>;
  transactGet(params: TransactGetCommandInput): WireRequest<TransactGetCommandOutput>;
  /** A set attribute value: the JS `Set` the v3 DocumentClient marshalls to SS/NS/BS. */
  createSet<T>(values: T[] | T): Set<T>;
  /** Ends the keep-alive sockets. */
  destroy(): void;
}

/** An error DynamoDB answered (or a timeout), shaped like the AWS SDK v3's service exceptions. */
export class DynamoDBError extends Error {
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number; requestId?: string; attempts: number; totalRetryDelay: number };
  /** `TransactionCanceledException` only: one reason per item, in wire form (as the SDK gives them). */
  declare CancellationReasons?: { Code?: string; Message?: string; Item?: Record<string, unknown> }[];
  /** Further members of DynamoDB's error (e.g. `Item` with `ReturnValuesOnConditionCheckFailure`). */
  [member: string]: unknown;

  /** `response`: the HTTP answer this error comes from, when there was one. */
  constructor(
    name: string,
    message: string,
    fault: 'client' | 'server',
    response?: { statusCode: number; headers: IncomingHttpHeaders },
  ) {
    super(message);
    this.name = name;
    this.$fault = fault;
    const requestId = response?.headers['x-amzn-requestid'];
    this.$metadata = {
      httpStatusCode: response?.statusCode,
      requestId: typeof requestId === 'string' ? requestId : undefined,
      attempts: 1,
      totalRetryDelay: 0,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Marshalling: the key paths of @aws-sdk/lib-dynamodb 3.x (inputKeyNodes/outputKeyNodes).

/** `null`: marshall this value; `{}`: each member/value; `{ '*': n }`: each entry by `n`; else named members. */
type KeyNodes = null | { readonly [key: string]: KeyNodes };
const SELF = null;
const ALL: KeyNodes = {};
const LEGACY_CONDITIONS: KeyNodes = { '*': { Value: SELF, AttributeValueList: ALL } };
const WRITE_REQUESTS: KeyNodes = { '*': { '*': { PutRequest: { Item: ALL }, DeleteRequest: { Key: ALL } } } };
const ITEM_COLLECTION: KeyNodes = { ItemCollectionKey: ALL };
const WRITE_OUTPUT: KeyNodes = { Attributes: ALL, ItemCollectionMetrics: ITEM_COLLECTION };
const READ_OUTPUT: KeyNodes = { Items: { '*': ALL }, LastEvaluatedKey: ALL };
const EXPRESSION_TARGET: KeyNodes = { Key: ALL, ExpressionAttributeValues: ALL };

type Members = { readonly [key: string]: KeyNodes };

interface Operation {
  /** DynamoDB's operation (`x-amz-target: DynamoDB_20120810.<name>`); counted as `<name>Command`. */
  name: string;
  input: Members;
  output: Members;
}

const OPERATIONS = {
  get: { name: 'GetItem', input: { Key: ALL }, output: { Item: ALL } },
  put: {
    name: 'PutItem',
    input: { Item: ALL, Expected: LEGACY_CONDITIONS, ExpressionAttributeValues: ALL },
    output: WRITE_OUTPUT,
  },
  update: {
    name: 'UpdateItem',
    input: {
      Key: ALL,
      AttributeUpdates: { '*': { Value: SELF } },
      Expected: LEGACY_CONDITIONS,
      ExpressionAttributeValues: ALL,
    },
    output: WRITE_OUTPUT,
  },
  delete: {
    name: 'DeleteItem',
    input: { Key: ALL, Expected: LEGACY_CONDITIONS, ExpressionAttributeValues: ALL },
    output: WRITE_OUTPUT,
  },
  query: {
    name: 'Query',
    input: {
      KeyConditions: { '*': { AttributeValueList: ALL } },
      QueryFilter: { '*': { AttributeValueList: ALL } },
      ExclusiveStartKey: ALL,
      ExpressionAttributeValues: ALL,
    },
    output: READ_OUTPUT,
  },
  scan: {
    name: 'Scan',
    input: {
      ScanFilter: { '*': { AttributeValueList: ALL } },
      ExclusiveStartKey: ALL,
      ExpressionAttributeValues: ALL,
    },
    output: READ_OUTPUT,
  },
  batchGet: {
    name: 'BatchGetItem',
    input: { RequestItems: { '*': { Keys: { '*': ALL } } } },
    output: { Responses: { '*': { '*': ALL } }, UnprocessedKeys: { '*': { Keys: { '*': ALL } } } },
  },
  batchWrite: {
    name: 'BatchWriteItem',
    input: { RequestItems: WRITE_REQUESTS },
    output: { UnprocessedItems: WRITE_REQUESTS, ItemCollectionMetrics: { '*': { '*': ITEM_COLLECTION } } },
  },
  transactWrite: {
    name: 'TransactWriteItems',
    input: {
      TransactItems: {
        '*': {
          ConditionCheck: EXPRESSION_TARGET,
          Put: { Item: ALL, ExpressionAttributeValues: ALL },
          Delete: EXPRESSION_TARGET,
          Update: EXPRESSION_TARGET,
        },
      },
    },
    output: { ItemCollectionMetrics: { '*': { '*': ITEM_COLLECTION } } },
  },
  transactGet: {
    name: 'TransactGetItems',
    input: { TransactItems: { '*': { Get: { Key: ALL } } } },
    output: { Responses: { '*': { Item: ALL } } },
  },
} satisfies Record<string, Operation>;

/** lib-dynamodb's DocumentClient options in db/client.ts, plus the defaults its commands add. */
const MARSHALL_OPTIONS = {
  removeUndefinedValues: true,
  convertClassInstanceToMap: false,
  convertTopLevelContainer: true,
};
const UNMARSHALL_OPTIONS = { convertWithoutMapWrapper: true };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** Applies `convert` to the values `nodes` selects, copying the rest (lib-dynamodb's `processObj`). */
function transform(value: unknown, nodes: KeyNodes, convert: (value: unknown) => unknown): unknown {
  if (value === undefined) return undefined;
  if (nodes === SELF) return convert(value);
  if (!isObject(value)) return value;
  const keys = Object.keys(nodes);
  if (keys.length === 0) return mapEntries(value, (member) => transform(member, SELF, convert));
  if (keys.length === 1 && keys[0] === '*')
    return mapEntries(value, (v) => transform(v, nodes['*']!, convert));
  return transformMembers(value, nodes, convert);
}

function transformMembers(value: Json, nodes: Members, convert: (value: unknown) => unknown): Json {
  const out = mapEntries(value, (member) => member) as Json;
  for (const [key, children] of Object.entries(nodes)) {
    const converted = transform(value[key], children, convert);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

/** A copy of an array or object with `map` applied to each value; functions and `undefined`s are dropped. */
function mapEntries(value: Json | unknown[], map: (member: unknown) => unknown): Json | unknown[] {
  if (Array.isArray(value)) return value.filter((member) => typeof member !== 'function').map(map);
  const out: Json = {};
  for (const [key, member] of Object.entries(value)) {
    if (typeof member === 'function') continue;
    const mapped = map(member);
    if (mapped !== undefined) out[key] = mapped;
  }
  return out;
}

/** One native value to its attribute value, binaries as base64 (what the SDK's JSON codec sends). */
function toAttribute(value: unknown): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: marshall's overloads take any native value.
  return encodeBinaries(marshall(value as any, MARSHALL_OPTIONS));
}

/** One attribute value from the wire to its native value, binaries as `Uint8Array` (as the SDK gives them). */
function fromAttribute(value: unknown): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: unmarshall takes any attribute value.
  return unmarshall(decodeBinaries(value) as any, UNMARSHALL_OPTIONS);
}

function encodeBinaries(value: unknown): unknown {
  if (!isObject(value)) return value;
  const av = { ...value };
  if (av.B !== undefined) av.B = toBase64(av.B);
  if (Array.isArray(av.BS)) av.BS = av.BS.map(toBase64);
  if (Array.isArray(av.L)) av.L = av.L.map(encodeBinaries);
  if (isObject(av.M)) av.M = mapEntries(av.M, encodeBinaries);
  return av;
}

function toBase64(bytes: unknown): unknown {
  if (ArrayBuffer.isView(bytes))
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  if (bytes instanceof ArrayBuffer) return Buffer.from(bytes).toString('base64');
  return bytes;
}

/** Decodes `B`/`BS` in place, at any depth (the response was parsed for this call alone). */
function decodeBinaries(value: unknown): unknown {
  if (!isObject(value)) return value;
  if (typeof value.B === 'string') value.B = fromBase64(value.B);
  if (Array.isArray(value.BS)) value.BS = value.BS.map(fromBase64);
  if (Array.isArray(value.L)) value.L.forEach(decodeBinaries);
  if (isObject(value.M)) Object.values(value.M).forEach(decodeBinaries);
  return value;
}

function fromBase64(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// ---------------------------------------------------------------------------------------------
// SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), for the
// one request shape DynamoDB's JSON protocol has: POST /, no query string, our own headers.

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

let cachedKey: { id: string; key: Buffer } | undefined;

/** HMAC chain secret → date → region → service → `aws4_request`, once per day and secret. */
function signingKey(secret: string, day: string, region: string): Buffer {
  const id = `${secret}\n${day}\n${region}`;
  if (cachedKey?.id !== id) {
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 'dynamodb'), 'aws4_request');
    cachedKey = { id, key };
  }
  return cachedKey.key;
}

/**
 * Adds `x-amz-date` (and `x-amz-security-token`) to `headers`, signs all of them and returns the
 * `Authorization` value. Header names must be lower case; their values have no whitespace to fold.
 */
function signRequest(
  headers: Record<string, string>,
  body: Buffer,
  region: string,
  credentials: WireCredentials,
) {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20260102T030405Z
  const day = amzDate.slice(0, 8);
  headers['x-amz-date'] = amzDate;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    'POST',
    '/',
    '', // no query string
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    sha256Hex(body),
  ].join('\n');
  const scope = `${day}/${region}/dynamodb/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, day, region))
    .update(stringToSign)
    .digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

const LOCAL_CREDENTIALS: WireCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function environmentCredentials(): WireCredentials {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = process.env;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY)
    throw new DynamoDBError(
      'CredentialsProviderError',
      'No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set',
      'client',
    );
  return {
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    sessionToken: AWS_SESSION_TOKEN || undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// CRC32 (IEEE 802.3, as in zlib), for DynamoDB's `x-amz-crc32` response header.

let crcTable: Int32Array | undefined;

function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Transport and retries.

/** DynamoDB answers at most 16 MB of items (BatchGetItem); its JSON is larger. Beyond this, something is wrong. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/**
 * Full-jitter exponential backoff, the SDK's classic standard mode: a retry waits a random time
 * below min(cap, base × 2^retry). (SDK 3.1162's newer defaults for DynamoDB are 4 attempts, 25 ms,
 * and 1 s when throttled; a device answering within a second is better served by the classic ones.)
 */
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 20_000;

/** The AWS SDK's throttling codes (@smithy/core service-error-classification). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
/** Transient by name: the SDK's timeout names, DynamoDB's retryable `ReplicatedWriteConflictException`, a bad checksum. */
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ReplicatedWriteConflictException',
  'CRC32CheckFailed',
]);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'AbortError') return false;
  if (error instanceof DynamoDBError) {
    const status = error.$metadata.httpStatusCode ?? 0;
    return (
      THROTTLING.has(error.name) ||
      TRANSIENT.has(error.name) ||
      TRANSIENT_STATUS.has(status) ||
      status === 429
    );
  }
  return NETWORK_CODES.has((error as NodeJS.ErrnoException).code ?? '');
}

interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Endpoint {
  secure: boolean;
  hostname: string;
  port: string;
  /** The `host` header: name, and port when not the protocol's default. */
  host: string;
}

function post(
  endpoint: Endpoint,
  agent: HttpAgent,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const send = endpoint.secure ? httpsRequest : httpRequest;
    const request = send({
      hostname: endpoint.hostname,
      port: endpoint.port || undefined,
      method: 'POST',
      path: '/',
      headers,
      agent,
      signal,
    });
    const timer = setTimeout(
      () =>
        abortWith(
          new DynamoDBError('TimeoutError', `DynamoDB did not answer within ${timeoutMs} ms`, 'client'),
        ),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    /** Settles with `error` first: destroying the socket also emits errors of its own (ECONNRESET). */
    const abortWith = (error: Error) => {
      fail(error);
      request.destroy(error);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > MAX_RESPONSE_BYTES) return abortWith(tooLarge(declared));
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) abortWith(tooLarge(size));
        else chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        });
      });
      response.on('close', () => {
        if (!response.complete) fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      });
    });
    request.end(body);
  });
}

function tooLarge(bytes: number): DynamoDBError {
  return new DynamoDBError(
    'ResponseTooLarge',
    `DynamoDB's response is ${bytes} bytes, over the ${MAX_RESPONSE_BYTES} this client reads`,
    'client',
  );
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    const abort = () => {
      done();
      reject(abortError());
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

function abortError(): Error {
  return Object.assign(new Error('The DynamoDB request was aborted'), { name: 'AbortError' });
}

/** The error DynamoDB's JSON error body describes (the SDK's awsJson1_0 error deserialisation). */
function responseError(operation: string, response: RawResponse): DynamoDBError {
  const { statusCode, headers } = response;
  const fault = statusCode >= 500 ? 'server' : 'client';
  const data = parseJson(response.body);
  const type = headers['x-amzn-errortype'] ?? data?.code ?? data?.__type;
  const name = typeof type === 'string' && type ? errorCode(type) : 'UnknownError';
  if (!data) {
    const message = `DynamoDB answered ${operation} with HTTP ${statusCode} and a body that is not JSON: ${preview(response.body)}`;
    return new DynamoDBError(name, message, fault, response);
  }
  const message = data.message ?? data.Message;
  const error = new DynamoDBError(name, typeof message === 'string' ? message : name, fault, response);
  for (const [key, value] of Object.entries(data)) {
    if (key === '__type' || key === 'code' || key.toLowerCase() === 'message' || key in error) continue;
    error[key] = value;
  }
  if (isObject(error.Item)) decodeBinaries({ M: error.Item });
  for (const reason of error.CancellationReasons ?? [])
    if (isObject(reason.Item)) decodeBinaries({ M: reason.Item });
  return error;
}

function parseJson(body: Buffer): Json | undefined {
  try {
    const data: unknown = JSON.parse(body.toString('utf8'));
    return isObject(data) && !Array.isArray(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The start of a body, on one line, for an error message. */
function preview(body: Buffer): string {
  return body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim() || '(empty)';
}

/** `aws.protocols#awsJson1_0#Name:extra` → `Name` (the SDK's `sanitizeErrorCode`). */
function errorCode(type: string): string {
  const code = type.split(':')[0]!;
  return code.includes('#') ? code.split('#')[1]! : code;
}

function endpointOf(options: WireDatabaseOptions, region: string): Endpoint {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const url = new URL(options.endpoint ?? `https://dynamodb.${region}.${suffix}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`DynamoDB endpoint must be http(s): ${options.endpoint}`);
  return { secure: url.protocol === 'https:', hostname: url.hostname, port: url.port, host: url.host };
}

/**
 * A `DocumentDatabase` whose document client speaks DynamoDB's JSON protocol itself (see the top of
 * this file). Requests are counted once per call, retries included, like db/client.ts does.
 */
export function createWireDatabase(options: WireDatabaseOptions): WireDatabase {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const endpoint = endpointOf(options, region);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const timeoutMs = options.timeoutMs ?? 5000;
  const agent = endpoint.secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 50 })
    : new HttpAgent({ keepAlive: true, maxSockets: 50 });
  // DynamoDB Local accepts any credentials; never let a local run pick up real ones.
  const fixed = options.credentials ?? (options.endpoint ? LOCAL_CREDENTIALS : 'environment');
  const credentials = fixed === 'environment' ? environmentCredentials : () => fixed;
  const requests = options.requests ?? createRequestCounter();

  async function call(
    operation: Operation,
    params: object,
    signal: AbortSignal,
    onErrorResponse: (response: RawResponse) => void,
  ): Promise<Json> {
    const input = transformMembers(params as Json, operation.input, toAttribute);
    // The SDK fills TransactWriteItems' idempotency token, so that a retried transaction is not applied twice.
    if (operation.name === 'TransactWriteItems') input.ClientRequestToken ??= randomUUID();
    options.observe?.(`${operation.name}Command`, input);
    const body = Buffer.from(JSON.stringify(input, (_key, value) => (value === null ? undefined : value)));
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        if (signal.aborted) throw abortError();
        const headers: Record<string, string> = {
          'content-type': 'application/x-amz-json-1.0',
          host: endpoint.host,
          'x-amz-target': `DynamoDB_20120810.${operation.name}`,
        };
        const authorization = signRequest(headers, body, region, credentials());
        Object.assign(headers, { authorization, 'content-length': String(body.length) });
        const response = await post(endpoint, agent, headers, body, timeoutMs, signal);
        if (response.statusCode !== 200) {
          onErrorResponse(response);
          throw responseError(operation.name, response);
        }
        const checksum = response.headers['x-amz-crc32'];
        if (checksum !== undefined && Number(checksum) !== crc32(response.body))
          throw new DynamoDBError(
            'CRC32CheckFailed',
            `${operation.name}: the response's CRC32 does not match x-amz-crc32 ${checksum}`,
            'server',
            response,
          );
        const output = parseOutput(operation, response);
        output.$metadata = {
          httpStatusCode: 200,
          requestId: response.headers['x-amzn-requestid'],
          attempts: attempt,
          totalRetryDelay,
        };
        return output;
      } catch (caught) {
        const error = signal.aborted ? abortError() : (caught as Error);
        if (attempt >= maxAttempts || !isRetryable(error)) {
          (error as DynamoDBError).$metadata = {
            ...(error as DynamoDBError).$metadata,
            attempts: attempt,
            totalRetryDelay,
          };
          throw error;
        }
        const wait = Math.floor(
          Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)),
        );
        await delay(wait, signal);
        totalRetryDelay += wait;
      }
    }
  }

  function parseOutput(operation: Operation, response: RawResponse): Json {
    const data = parseJson(response.body);
    if (!data) {
      const message = `DynamoDB answered ${operation.name} with HTTP 200 and a body that is not a JSON object: ${preview(response.body)}`;
      throw new DynamoDBError('DeserializationError', message, 'client', response);
    }
    return transformMembers(data, operation.output, fromAttribute);
  }

  function request<T>(operation: Operation, params: object): WireRequest<T> {
    const controller = new AbortController();
    const listeners: ((response: ErrorResponseEvent) => void)[] = [];
    let sent: Promise<T> | undefined;
    const notify = (response: RawResponse) => {
      const { statusCode, headers, body } = response;
      for (const listener of listeners) listener({ httpResponse: { statusCode, headers, body } });
    };
    const self: WireRequest<T> = {
      promise() {
        if (!sent) {
          requests.record(`${operation.name}Command`);
          // Once retries are spent, an unreachable database is reported in the domain's terms.
          sent = call(operation, params, controller.signal, notify).catch((error: unknown) => {
            throw asStoreError(error);
          }) as Promise<T>;
        }
        return sent;
      },
      abort: () => controller.abort(),
      on(event, listener) {
        if (event === 'extractError') listeners.push(listener);
        return self;
      },
    };
    return self;
  }

  const document: WireDocumentClient = {
    get: (params) => request(OPERATIONS.get, params),
    put: (params) => request(OPERATIONS.put, params),
    update: (params) => request(OPERATIONS.update, params),
    delete: (params) => request(OPERATIONS.delete, params),
    query: (params) => request(OPERATIONS.query, params),
    scan: (params) => request(OPERATIONS.scan, params),
    batchGet: (params) => request(OPERATIONS.batchGet, params),
    batchWrite: (params) => request(OPERATIONS.batchWrite, params),
    transactWrite: (params) => request(OPERATIONS.transactWrite, params),
    transactGet: (params) => request(OPERATIONS.transactGet, params),
    createSet: (values) => new Set(Array.isArray(values) ? values : [values]),
    destroy: () => agent.destroy(),
  };
  const requestCounter: RequestCounter = requests;
  return {
    document,
    tableName: options.tableName,
    requests: requestCounter,
    close: () => agent.destroy(),
    destroy: () => agent.destroy(),
  };
}
