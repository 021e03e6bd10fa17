/**
 * APNs provider API client for MDM pushes: the wake-up that makes an enrolled device connect to the
 * ServerURL and ask for its commands (docs/protocol/overview.md#the-flow-step-by-step step 8,
 * docs/protocol/mdm.md#the-command-channel).
 *
 * Apple's rules, from "Sending notification requests to APNs", "Establishing a certificate-based
 * connection to APNs" and "Handling notification responses from APNs" (developer.apple.com, User
 * Notifications), and the MDM protocol's push payload:
 * - HTTP/2 over TLS ≥ 1.2, authenticated by the tenant's MDM push certificate as the TLS client
 *   certificate (no provider token). Keep one connection open for many pushes; Apple treats rapid
 *   connect/disconnect as a denial-of-service attempt.
 * - `POST /3/device/<hex token>`, `apns-topic` = the certificate's subject UID
 *   (`com.apple.mgmt.External.<uuid>`), `apns-push-type: mdm`, `apns-priority: 10`, body exactly
 *   `{"mdm":"<PushMagic>"}` (the PushMagic the device sent in TokenUpdate).
 * - 200 with an `apns-id` header on success; otherwise a JSON body `{"reason": "...", "timestamp": ms}`,
 *   the timestamp only with 410 (when APNs learnt the token was no longer valid for the topic).
 * - Apple may end a connection with GOAWAY (reason in its debug data); streams it did not process are
 *   refused and are safe to send again on a new connection.
 *
 * Failures are returned as data (`PushOutcome`), one per push, never thrown. Neither the push magic nor the
 * device token ever leaves this module except in the request itself: outcomes carry only Apple's reason
 * codes, and nothing is logged.
 *
 * The one module of `@ade/apple` that does I/O, so it is reached as `@ade/apple/apns` and not re-exported
 * from the package index (which stays pure).
 */
import { randomUUID } from 'node:crypto';
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from 'node:http2';
import { createSecureContext, type SecureContext } from 'node:tls';

export const APNS_PRODUCTION = 'https://api.push.apple.com:443';
/** Apple's development environment, for devices whose profile sets `UseDevelopmentAPNS`. */
export const APNS_DEVELOPMENT = 'https://api.sandbox.push.apple.com:443';

export interface MdmPush {
  /** Device token as hex (any case); see `deviceTokenHex` for the raw `Token` data of a TokenUpdate. */
  token: string;
  /** `PushMagic` from the device's TokenUpdate; sent only in the request body. */
  pushMagic: string;
  /** The push certificate's topic, which is also the enrollment profile's `Topic`. */
  topic: string;
}

export type PushOutcome =
  | { ok: true; apnsId: string }
  | {
      ok: false;
      /** Apple's reason (`BadDeviceToken`, `Unregistered`, `TopicDisallowed`, `TooManyRequests`, …), or ours
       *  when no answer came: `Timeout`, or `ConnectionError` (which is also how a certificate APNs refuses
       *  shows: the TLS handshake fails, and Node reports only a reset connection). */
      reason: string;
      /** HTTP status; 0 when APNs gave none. */
      status: number;
      /** The token is dead for this topic: stop pushing to it until the device sends a new TokenUpdate. */
      permanent: boolean;
      /** With 410: when APNs learnt the token was no longer valid. */
      unregisteredAt?: Date;
    };

export interface PushNotifier {
  /** One outcome per push, in the same order. */
  send(pushes: MdmPush[]): Promise<PushOutcome[]>;
  close(): Promise<void>;
}

export interface ApnsClientOptions {
  /** The MDM push certificate (PEM) and its unencrypted private key. */
  certificatePem: string;
  privateKeyPem: string;
  /** Default `APNS_PRODUCTION`, or `APNS_DEVELOPMENT` with `sandbox`. */
  endpoint?: string;
  sandbox?: boolean;
  /** Trust anchors for the server certificate instead of Node's bundle (tests). */
  ca?: string;
  /** Per attempt, from sending the request to the end of the answer. Default 10 s. */
  timeoutMs?: number;
  /** Streams open at once on the connection. Default 100 (APNs allows up to 1,000). */
  maxConcurrentStreams?: number;
  /** Further attempts after a transient failure (429, 500, 503, lost connection). Default 2. */
  maxRetries?: number;
  /** First backoff; doubles per retry, with jitter. Default 500 ms. */
  retryDelayMs?: number;
  /** Sets `apns-expiration` this many seconds ahead; omitted → APNs' default storage. 0 → deliver now or never. */
  expiresInSeconds?: number;
}

/** Apple's 410 reasons and the token errors that will not change on retry. */
const PERMANENT_REASONS = new Set([
  'BadDeviceToken',
  'Unregistered',
  'ExpiredToken',
  'DeviceTokenNotForTopic',
]);
const TRANSIENT_STATUSES = new Set([429, 500, 503]);
/** Used when an error answer has no readable reason. */
const STATUS_REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'BadPath',
  405: 'MethodNotAllowed',
  410: 'Unregistered',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};
const MAX_ERROR_BODY_BYTES = 16 * 1024;

export function createApnsClient(options: ApnsClientOptions): PushNotifier {
  return new ApnsClient(options);
}

/** The hex form APNs expects of a TokenUpdate's `Token` data. */
export function deviceTokenHex(token: Uint8Array): string {
  return Buffer.from(token).toString('hex');
}

/** One HTTP/2 connection and what it told us before it went away. */
interface Connection {
  session: ClientHttp2Session;
  goawayReason?: string;
}

/** An attempt's outcome, and whether sending the same push again may succeed. */
interface Attempt {
  outcome: PushOutcome;
  transient: boolean;
}

class ApnsClient implements PushNotifier {
  readonly #endpoint: string;
  readonly #context: SecureContext;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryDelayMs: number;
  readonly #expiresInSeconds: number | undefined;
  readonly #streams: Limiter;
  #connection: Connection | undefined;
  #closed = false;

  constructor(options: ApnsClientOptions) {
    this.#endpoint = options.endpoint ?? (options.sandbox ? APNS_DEVELOPMENT : APNS_PRODUCTION);
    // Built once: fails here on an unreadable PEM or a key of another certificate, not on the first push.
    this.#context = createSecureContext({
      cert: options.certificatePem,
      key: options.privateKeyPem,
      minVersion: 'TLSv1.2',
      ...(options.ca ? { ca: options.ca } : {}),
    });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#retryDelayMs = options.retryDelayMs ?? 500;
    this.#expiresInSeconds = options.expiresInSeconds;
    this.#streams = new Limiter(options.maxConcurrentStreams ?? 100);
  }

  async send(pushes: MdmPush[]): Promise<PushOutcome[]> {
    if (this.#closed) throw new Error('The APNs client is closed.');
    return Promise.all(pushes.map((push) => this.#sendOne(push)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection && !connection.session.closed) {
      // Graceful: pushes in flight finish first.
      await new Promise<void>((resolve) => connection.session.close(resolve));
    }
  }

  async #sendOne(push: MdmPush): Promise<PushOutcome> {
    const token = push.token.toLowerCase();
    // Checked here so that a malformed token cannot change the request path.
    if (!/^(?:[0-9a-f]{2})+$/.test(token)) {
      return { ok: false, reason: 'BadDeviceToken', status: 0, permanent: true };
    }
    const headers: Record<string, string> = {
      ':method': 'POST',
      ':path': `/3/device/${token}`,
      'apns-topic': push.topic,
      'apns-push-type': 'mdm',
      'apns-priority': '10',
      // Our own id, the same on every attempt, so that a push can be traced even when no answer came.
      'apns-id': randomUUID(),
      'content-type': 'application/json',
    };
    if (this.#expiresInSeconds !== undefined) {
      const at = this.#expiresInSeconds === 0 ? 0 : Math.floor(Date.now() / 1000) + this.#expiresInSeconds;
      headers['apns-expiration'] = String(at);
    }
    const body = JSON.stringify({ mdm: push.pushMagic });

    for (let retry = 0; ; retry++) {
      const { outcome, transient } = await this.#streams.run(() => this.#attempt(headers, body));
      if (outcome.ok || !transient || retry >= this.#maxRetries || this.#closed) return outcome;
      await sleep(this.#retryDelayMs * 2 ** retry * (0.5 + Math.random() / 2));
    }
  }

  #attempt(headers: Record<string, string>, body: string): Promise<Attempt> {
    return new Promise((resolve) => {
      let connection: Connection;
      let stream: ClientHttp2Stream;
      try {
        connection = this.#current();
        stream = connection.session.request(headers, { endStream: false });
      } catch {
        // The session closed between our check and the request (GOAWAY arriving): try a new one.
        resolve(noAnswer('ConnectionError', true));
        return;
      }

      let settled = false;
      const settle = (attempt: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(attempt);
      };
      // A stuck stream must not hold a concurrency slot forever. Not retried: APNs may have delivered it.
      const timer = setTimeout(() => {
        settle(noAnswer('Timeout', false));
        stream.close(constants.NGHTTP2_CANCEL);
      }, this.#timeoutMs);

      let status = 0;
      let apnsId: string | undefined;
      let size = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (response) => {
        status = Number(response[':status']);
        const id = response['apns-id'];
        if (typeof id === 'string') apnsId = id;
      });
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ERROR_BODY_BYTES) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (status === 0) return; // no response headers: 'close' decides
        settle(answered(status, apnsId ?? String(headers['apns-id']), Buffer.concat(chunks)));
      });
      // Reset, refused after GOAWAY, or the connection failed. The error itself is dropped, so none of
      // its text travels further.
      stream.on('error', () => settle(lost(connection)));
      stream.on('close', () => settle(lost(connection)));
      stream.end(body);
    });
  }

  /** The open connection, or a new one: APNs wants one long-lived connection, not one per push. */
  #current(): Connection {
    if (this.#closed) throw new Error('The APNs client is closed.');
    const existing = this.#connection;
    if (existing && !existing.session.closed && !existing.session.destroyed) return existing;

    const session = connect(this.#endpoint, { secureContext: this.#context });
    const connection: Connection = { session };
    const forget = () => {
      if (this.#connection === connection) this.#connection = undefined;
    };
    // Without a listener an error would crash the process; the streams report it.
    session.on('error', forget);
    session.on('goaway', (_code: number, _lastStreamId: number, data?: Buffer) => {
      connection.goawayReason = readReason(data)?.reason;
      forget();
    });
    session.on('close', forget);
    // The connection alone should not keep a process alive; pending requests do (their timers).
    session.unref();
    this.#connection = connection;
    return connection;
  }
}

/** An HTTP answer from APNs. */
function answered(status: number, apnsId: string, body: Buffer): Attempt {
  if (status === 200) return { outcome: { ok: true, apnsId }, transient: false };
  const parsed = readReason(body);
  const reason = parsed?.reason ?? STATUS_REASONS[status] ?? `HTTP${status}`;
  const outcome: PushOutcome = {
    ok: false,
    reason,
    status,
    permanent: status === 410 || PERMANENT_REASONS.has(reason),
  };
  if (status === 410 && parsed?.timestamp !== undefined) outcome.unregisteredAt = new Date(parsed.timestamp);
  return { outcome, transient: TRANSIENT_STATUSES.has(status) };
}

/** A stream that ended without an answer: say why, from what the connection reported. */
function lost(connection: Connection): Attempt {
  // Refused after GOAWAY (Apple's `Shutdown`, say) or a dropped connection: not processed, so send again.
  return noAnswer(connection.goawayReason ?? 'ConnectionError', true);
}

function noAnswer(reason: string, transient: boolean): Attempt {
  return { outcome: { ok: false, reason, status: 0, permanent: false }, transient };
}

/** Apple's `{"reason": "...", "timestamp": ms}`, from an error body or GOAWAY debug data. */
function readReason(data: Buffer | undefined): { reason?: string; timestamp?: number } | undefined {
  if (!data || data.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { reason, timestamp } = json as Record<string, unknown>;
  return {
    // Apple's reasons are single CamelCase words; anything else is not passed on.
    ...(typeof reason === 'string' && /^[A-Za-z]{1,64}$/.test(reason) ? { reason } : {}),
    ...(typeof timestamp === 'number' && Number.isFinite(timestamp) ? { timestamp } : {}),
  };
}

/** At most `max` tasks at once; the rest wait in order. */
class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxConcurrentStreams must be at least 1.');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.max) this.#active++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so the count never dips and lets a newcomer jump in.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
