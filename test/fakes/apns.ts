/**
 * A fake of Apple Push Notification service (api.push.apple.com) on 127.0.0.1, for tests: HTTP/2 over
 * TLS with client certificates, like the real service for certificate-based providers.
 *
 * Faithful where our client depends on it, following Apple's "Establishing a certificate-based connection
 * to APNs", "Sending notification requests to APNs" and "Handling notification responses from APNs":
 * - The TLS handshake requires a client certificate issued by the fake's CA (Apple's "Application
 *   Integration" CA in real life): any other certificate fails the handshake, before any HTTP, and Node's
 *   TLS server then just closes the connection (no TLS alert), so a client sees a reset.
 *   `issuePushCertificate()` issues one shaped like the portal's
 *   (`UID=com.apple.mgmt.External.<uuid>, CN=APSP:<uuid>, C=US`, RSA 2048, clientAuth).
 * - A certificate without a subject UID → 403 `BadCertificate`. `apns-topic` other than the certificate's
 *   UID → 400 `TopicDisallowed`; without `apns-topic` the certificate's own topic applies (Apple: "the APNs
 *   server uses the certificate's Subject as the default topic").
 * - Only `POST` (405 `MethodNotAllowed`), only `/3/device/<token>` (404 `BadPath`); an empty token → 400
 *   `MissingDeviceToken`, a token that is not hex of at least 32 bytes → 400 `BadDeviceToken`.
 * - `apns-priority` other than 10, 5 or 1 → `BadPriority`; `apns-expiration` not a number of seconds →
 *   `BadExpirationDate`; `apns-id` not a canonical UUID → `BadMessageId` (all 400). The answer carries the
 *   request's `apns-id`, or a new UUID.
 * - Payload over 4,096 bytes → 413 `PayloadTooLarge`; empty → 400 `PayloadEmpty`.
 * - Devices: `register()` a token (optionally bound to a topic) and the fake calls `onPush` for every push
 *   it accepts, which is how a simulated device learns to connect. An unknown token → 400 `BadDeviceToken`;
 *   a token of another topic → 400 `DeviceTokenNotForTopic`; `unregister()` → 410 `Unregistered` with
 *   `timestamp` (ms since the epoch).
 * - Error bodies are JSON `{"reason": "..."}` (plus `timestamp` with 410), as Apple documents.
 * - `failNext()` answers the next requests with 429 / 500 / 503 before any other check; `goaway()` sends
 *   GOAWAY with `{"reason":"Shutdown"}` as debug data, letting in-flight streams finish or refusing them.
 *
 * Assumptions, where Apple documents nothing: the order of the checks; MDM topics take only `apns-push-type:
 * mdm` (anything else, or none, → 400 `InvalidPushType`, stricter than Apple, who calls the header
 * recommended); an MDM payload other than exactly `{"mdm": "<string>"}` → 400 `BadPayload` (Apple names no
 * reason for a malformed payload); device tokens are at most 100 bytes; a 410 comes back at once (real APNs
 * delays it by design).
 */
import { randomUUID } from 'node:crypto';
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type Workdir, workdir } from '@ade/apple/testing/tools';

/** A push APNs accepted and "delivered" to a registered device. */
export interface DeliveredPush {
  token: string;
  topic: string;
  pushMagic: string;
  apnsId: string;
}

/** Every request the fake received, answered or not. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case names, as received (pseudo-headers excluded). */
  headers: Record<string, string>;
  body: string;
  /** The client certificate's subject UID, if any. */
  certificateTopic: string | undefined;
  /** 0 while unanswered, or when the stream was refused or cancelled. */
  status: number;
  reason: string | undefined;
}

export interface PushCertificateFiles {
  certificatePem: string;
  privateKeyPem: string;
  topic: string;
}

export interface FakeApnsOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS the fake advertises. Default 1,000. */
  maxConcurrentStreams?: number;
}

interface Device {
  topic: string | undefined;
  onPush: (push: DeliveredPush) => void;
  unregisteredAt?: Date;
}

interface Answer {
  status: number;
  reason?: string;
  timestamp?: number;
}

/** A request being worked on, so that `goaway({ refuseInFlight })` can refuse it. */
interface Pending {
  stream: ServerHttp2Stream;
  record: RecordedRequest;
  refuse(): void;
}

export const MAX_PAYLOAD_BYTES = 4096;
const TOKEN = /^(?:[0-9a-fA-F]{2}){32,100}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const FAILURE_REASONS: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

export class FakeApns {
  readonly requests: RecordedRequest[] = [];
  readonly delivered: DeliveredPush[] = [];
  /** `https://127.0.0.1:<port>`, the client's `endpoint`. */
  url = '';
  /** The CA of the fake's server certificate, the client's `ca`. */
  readonly caPem: string;
  /** TLS connections that completed the handshake, and those refused during it (bad client certificate). */
  connections = 0;
  rejectedHandshakes = 0;
  /** The most streams open at once, over all connections. */
  maxInFlight = 0;

  readonly #w: Workdir;
  readonly #server: Http2SecureServer;
  readonly #devices = new Map<string, Device>();
  readonly #sessions = new Set<ServerHttp2Session>();
  /** Highest stream id received per connection. */
  readonly #lastStreamIds = new WeakMap<Http2Session, number>();
  readonly #pending = new Set<Pending>();
  readonly #failures: Answer[] = [];
  readonly #delays: number[] = [];
  #inFlight = 0;
  #issued = 0;

  private constructor(options: FakeApnsOptions) {
    this.#w = workdir('ade-apns-');
    const w = this.#w;
    makeCa(w, 'server-ca', '/CN=Fake APNs Server CA');
    issue(w, 'server', '/CN=api.push.apple.com', 'server-ca', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    makeCa(
      w,
      'client-ca',
      '/CN=Fake Apple Application Integration 2 Certification Authority/O=Apple Inc./C=US',
    );
    this.caPem = w.read('server-ca.pem').toString();

    this.#server = createSecureServer({
      key: w.read('server.key'),
      cert: w.read('server.pem'),
      ca: w.read('client-ca.pem'),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000 },
    });
    this.#server.on('session', (session) => {
      this.connections++;
      this.#sessions.add(session);
      session.on('close', () => this.#sessions.delete(session));
      session.on('error', () => {});
    });
    this.#server.on('tlsClientError', () => {
      this.rejectedHandshakes++;
    });
    this.#server.on('stream', (stream, headers) => this.#receive(stream, headers));
  }

  static async start(options: FakeApnsOptions = {}): Promise<FakeApns> {
    const fake = new FakeApns(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `https://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** A push certificate as Apple's portal issues one, signed by the CA the fake trusts. */
  issuePushCertificate(topic = `com.apple.mgmt.External.${randomUUID()}`): PushCertificateFiles {
    const name = `push-${++this.#issued}`;
    issue(
      this.#w,
      name,
      `/UID=${topic}/CN=APSP:${topic.slice(topic.lastIndexOf('.') + 1)}/C=US`,
      'client-ca',
      ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'],
      { rsa: true },
    );
    return {
      certificatePem: this.#w.read(`${name}.pem`).toString(),
      privateKeyPem: this.#w.read(`${name}.key`).toString(),
      topic,
    };
  }

  /** A live device: pushes to `token` are accepted and handed to `onPush`. With `topic`, only that topic's. */
  register(
    token: string,
    onPush: (push: DeliveredPush) => void = () => {},
    options: { topic?: string } = {},
  ) {
    this.#devices.set(token.toLowerCase(), { topic: options.topic, onPush });
  }

  /** The token is no longer valid for its topic since `at`: 410 `Unregistered` from now on. */
  unregister(token: string, at = new Date()) {
    const device = this.#devices.get(token.toLowerCase());
    if (!device) throw new Error('unregister: unknown token');
    device.unregisteredAt = at;
  }

  /** The next `count` requests fail with `status` (429, 500 or 503), before any other check. */
  failNext(count: number, status: 429 | 500 | 503, reason = FAILURE_REASONS[status]) {
    for (let i = 0; i < count; i++) this.#failures.push(reason ? { status, reason } : { status });
  }

  /** The next `count` requests are answered only after `ms`. */
  delayNext(count: number, ms: number) {
    for (let i = 0; i < count; i++) this.#delays.push(ms);
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Sends GOAWAY (`{"reason": ...}` as debug data) on every connection and closes them. By default streams
   * already received are still answered; `refuseInFlight` refuses the unanswered ones instead
   * (REFUSED_STREAM: not processed, so the client may send them again).
   */
  goaway(options: { reason?: string; refuseInFlight?: boolean } = {}) {
    const debug = Buffer.from(JSON.stringify({ reason: options.reason ?? 'Shutdown' }));
    const refused = options.refuseInFlight ? [...this.#pending] : [];
    for (const session of this.#sessions) {
      const refusedIds = refused.filter((p) => p.stream.session === session).map((p) => p.stream.id ?? 1);
      // Last-stream-id: every stream up to it may have been processed; those after it were not.
      const lastStreamId = refusedIds.length
        ? Math.min(...refusedIds) - 2
        : (this.#lastStreamIds.get(session) ?? 0);
      session.goaway(constants.NGHTTP2_NO_ERROR, Math.max(0, lastStreamId), debug);
    }
    for (const pending of refused) pending.refuse();
    for (const session of this.#sessions) session.close();
  }

  /** Forgets recorded requests and deliveries, injected failures and delays (not devices). */
  reset() {
    this.requests.length = 0;
    this.delivered.length = 0;
    this.#failures.length = 0;
    this.#delays.length = 0;
    this.maxInFlight = 0;
  }

  async close() {
    for (const session of this.#sessions) session.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#w.remove();
  }

  #receive(stream: ServerHttp2Stream, headers: IncomingHttpHeaders) {
    const socket = stream.session?.socket as TLSSocket | undefined;
    const uid = socket?.getPeerCertificate()?.subject?.UID;
    const record: RecordedRequest = {
      method: String(headers[':method']),
      path: String(headers[':path']),
      headers: plainHeaders(headers),
      body: '',
      certificateTopic: Array.isArray(uid) ? uid[0] : uid,
      status: 0,
      reason: undefined,
    };
    this.requests.push(record);
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    if (stream.session) {
      const last = this.#lastStreamIds.get(stream.session) ?? 0;
      this.#lastStreamIds.set(stream.session, Math.max(last, stream.id ?? 0));
    }

    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      this.#inFlight--;
      this.#pending.delete(pending);
      clearTimeout(timer);
      return true;
    };
    const pending: Pending = {
      stream,
      record,
      refuse: () => {
        if (finish() && !stream.destroyed) stream.close(constants.NGHTTP2_REFUSED_STREAM);
      },
    };
    this.#pending.add(pending);
    stream.on('close', finish);
    stream.on('error', () => {});

    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES + 1) chunks.push(chunk);
    });
    stream.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      const delay = this.#delays.shift() ?? 0;
      const answer = () => {
        if (done || stream.destroyed) return;
        const result = this.#check(record, size);
        record.status = result.answer.status;
        record.reason = result.answer.reason;
        const apnsId = record.headers['apns-id'] ?? randomUUID();
        finish();
        const body = result.answer.reason
          ? JSON.stringify({ reason: result.answer.reason, timestamp: result.answer.timestamp })
          : undefined;
        stream.respond(
          {
            ':status': result.answer.status,
            'apns-id': apnsId,
            ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          },
          { endStream: body === undefined },
        );
        if (body !== undefined) stream.end(body);
        if (result.deliver) {
          const push = { ...result.deliver.push, apnsId };
          this.delivered.push(push);
          const { onPush } = result.deliver.device;
          setImmediate(() => onPush(push));
        }
      };
      if (delay > 0) timer = setTimeout(answer, delay);
      else answer();
    });
  }

  /** Apple's checks, in the order the fake applies them (see the header). */
  #check(
    request: RecordedRequest,
    payloadBytes: number,
  ): { answer: Answer; deliver?: { device: Device; push: Omit<DeliveredPush, 'apnsId'> } } {
    const failure = this.#failures.shift();
    if (failure) return { answer: failure };
    const reject = (status: number, reason: string) => ({ answer: { status, reason } });

    const certificateTopic = request.certificateTopic;
    if (!certificateTopic) return reject(403, 'BadCertificate');
    if (request.method !== 'POST') return reject(405, 'MethodNotAllowed');
    const path = /^\/3\/device\/([^/?]*)$/.exec(request.path);
    if (!path) return reject(404, 'BadPath');
    const token = (path[1] ?? '').toLowerCase();
    if (token === '') return reject(400, 'MissingDeviceToken');
    if (!TOKEN.test(token)) return reject(400, 'BadDeviceToken');

    const h = request.headers;
    const topic = h['apns-topic'] ?? certificateTopic;
    if (topic !== certificateTopic) return reject(400, 'TopicDisallowed');
    if (h['apns-push-type'] !== 'mdm') return reject(400, 'InvalidPushType');
    if (h['apns-priority'] !== undefined && !['10', '5', '1'].includes(h['apns-priority'])) {
      return reject(400, 'BadPriority');
    }
    if (h['apns-expiration'] !== undefined && !/^\d{1,12}$/.test(h['apns-expiration'])) {
      return reject(400, 'BadExpirationDate');
    }
    if (h['apns-id'] !== undefined && !UUID.test(h['apns-id'])) return reject(400, 'BadMessageId');

    if (payloadBytes > MAX_PAYLOAD_BYTES) return reject(413, 'PayloadTooLarge');
    if (payloadBytes === 0) return reject(400, 'PayloadEmpty');
    const pushMagic = mdmPayload(request.body);
    if (pushMagic === undefined) return reject(400, 'BadPayload');

    const device = this.#devices.get(token);
    if (!device) return reject(400, 'BadDeviceToken');
    if (device.topic !== undefined && device.topic !== topic) return reject(400, 'DeviceTokenNotForTopic');
    if (device.unregisteredAt) {
      return { answer: { status: 410, reason: 'Unregistered', timestamp: device.unregisteredAt.getTime() } };
    }
    return { answer: { status: 200 }, deliver: { device, push: { token, topic, pushMagic } } };
  }
}

/** The PushMagic of a payload that is exactly `{"mdm": "<string>"}`, else undefined. */
function mdmPayload(body: string): string | undefined {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const keys = Object.keys(json);
    const mdm = (json as Record<string, unknown>).mdm;
    return keys.length === 1 && typeof mdm === 'string' ? mdm : undefined;
  } catch {
    return undefined;
  }
}

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** A self-signed EC P-256 CA, as `<name>.pem` / `<name>.key` in `w`. */
function makeCa(w: Workdir, name: string, subject: string) {
  w.openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  w.openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    subject,
    '-days',
    '30',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    `${name}.pem`,
  ]);
}

/** A certificate signed by `issuer` with the given extensions; RSA 2048 like Apple's push certificates. */
function issue(
  w: Workdir,
  name: string,
  subject: string,
  issuer: string,
  extensions: string[],
  options: { rsa?: boolean } = {},
) {
  const keyArgs = options.rsa
    ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
    : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  w.openssl(['genpkey', ...keyArgs, '-out', `${name}.key`]);
  w.openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  w.write(`${name}.ext`, `${extensions.join('\n')}\n`);
  w.openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${issuer}.pem`,
    '-CAkey',
    `${issuer}.key`,
    '-CAcreateserial',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
}
