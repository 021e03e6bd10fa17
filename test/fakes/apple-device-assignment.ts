/**
 * A fake of Apple's Device Assignment API (mdmenrollment.apple.com) on 127.0.0.1, for tests.
 *
 * Faithful where our client depends on it, following Apple's "Authenticating for Automated Device
 * Enrollment", "Interpreting Error Codes" and the Account-Driven Enrollment profile pages:
 * - `GET /session` recomputes the OAuth 1.0a HMAC-SHA1 signature itself (independently of the client's
 *   signer): malformed OAuth → 400; unknown key/token, bad signature, stale timestamp, reused nonce → 401
 *   `UNAUTHORIZED`; expired server token → 401 `TOKEN_EXPIRED`; terms not accepted → 403 `T_C_NOT_SIGNED`.
 * - Sessions expire after `sessionTtlMs` (or `expireSessions()`); an unknown session answers 401
 *   `UNAUTHORIZED`, or 403 `FORBIDDEN` with `staleSession: 'forbidden'` (depsim after a restart).
 * - `rotateSessionOnNextCall()` makes the next successful call return a new `X-ADM-Auth-Session` and
 *   invalidates the old token, so only a client that adopts it keeps working.
 * - Error bodies are bare codes (`text`, as Apple's pages show them) or `{"code","message"}` (`json`, as
 *   Fleet's tests model Apple) — Apple does not pin the format down, so the client must read both.
 * Apple leaves unspecified: the session lifetime, the 400 body for malformed OAuth (we send `BAD_REQUEST`),
 * and the exact body for an expired token (we send `TOKEN_EXPIRED`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServerToken {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
  accessTokenExpiry?: Date;
}

export interface FakeMdmServer {
  token: FakeServerToken;
  /** Apple's `/account` JSON, snake_case, returned verbatim. */
  account: Record<string, unknown>;
  /** `false` → `ORG_NOT_SUPPORTED` on the profile endpoints. Default true. */
  accountDrivenEnrollment?: boolean;
  /** `false` → 403 `T_C_NOT_SIGNED`, on `/session` and on every call. Default true. */
  termsSigned?: boolean;
  profile?: { url: string; lastUpdated: string };
}

export interface FakeOptions {
  sessionTtlMs?: number;
  errorBodies?: 'text' | 'json';
  staleSession?: 'unauthorized' | 'forbidden';
  /** Milliseconds since the epoch; shared with the client's clock in tests. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** An `/account` body shaped like Apple's documentation (`AccountDetail`), for tests to start from. */
export function sampleAccountJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server_name: 'ADE Cloud',
    server_uuid: '677cd3d8-0f3b-4a4d-9a4c-5d5c8c8ad1e2',
    admin_id: 'admin@example.com',
    facilitator_id: 'admin@example.com',
    org_name: 'Example Inc.',
    org_email: 'it@example.com',
    org_phone: '+1 555 0100',
    org_address: '1 Infinite Loop, Cupertino',
    org_type: 'org',
    org_version: 'v1',
    org_id: '1234567',
    org_id_hash: 'c0ffee',
    urls: [
      { uri: '/account', http_method: ['GET'] },
      { uri: '/server/devices', http_method: ['POST'], limit: { default: 100, maximum: 1000 } },
      { uri: '/account-driven-enrollment/profile', http_method: ['DELETE', 'POST', 'GET'] },
    ],
    ...overrides,
  };
}

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const JSON_TYPE = 'application/json;charset=UTF8';

/** What the fake answers: an Apple error code, or a JSON body (and headers) on success. */
interface Answer {
  status: number;
  code?: string;
  json?: unknown;
  headers?: Record<string, string>;
}
const error = (status: number, code: string): Answer => ({ status, code });
const REQUIRED =
  'oauth_consumer_key oauth_token oauth_signature_method oauth_signature oauth_timestamp oauth_nonce'.split(
    ' ',
  );

export class FakeDeviceAssignment {
  readonly requests: RecordedRequest[] = [];
  url = '';
  readonly #servers = new Map<string, FakeMdmServer>();
  readonly #sessions = new Map<string, { consumerKey: string; expiresAt: number }>();
  readonly #nonces = new Set<string>();
  readonly #delays = new Map<string, number>();
  readonly #failures: (Answer & { path: string })[] = [];
  #rotate = false;
  readonly #http = createServer((req, res) => void this.#handle(req, res).catch(() => res.destroy()));

  private constructor(readonly options: FakeOptions) {}

  static async start(options: FakeOptions = {}): Promise<FakeDeviceAssignment> {
    const fake = new FakeDeviceAssignment(options);
    await new Promise<void>((resolve) => fake.#http.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#http.address() as AddressInfo).port}`;
    return fake;
  }

  addServer(server: FakeMdmServer): FakeMdmServer {
    this.#servers.set(server.token.consumerKey, server);
    return server;
  }
  expireSessions(): void {
    this.#sessions.clear();
  }
  rotateSessionOnNextCall(): void {
    this.#rotate = true;
  }
  /** Hold responses to `path` for `ms` (timeouts). */
  delay(path: string, ms: number): void {
    this.#delays.set(path, ms);
  }
  /** Answer the next call to `path` with an error (documented codes without a natural trigger). */
  failNext(path: string, status: number, code: string): void {
    this.#failures.push({ path, status, code });
  }
  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }
  async close(): Promise<void> {
    this.#http.closeAllConnections();
    await new Promise((resolve) => this.#http.close(resolve));
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const body = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      body,
      status: 0,
    };
    this.requests.push(record);
    const wait = this.#delays.get(record.path);
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const answer = this.#route(req, url, record);
    record.status = answer.status;
    if (answer.code !== undefined && this.options.errorBodies !== 'json') {
      res.writeHead(answer.status, { 'content-type': 'text/plain;charset=UTF-8' }).end(answer.code);
      return;
    }
    const json =
      answer.code === undefined ? answer.json : { code: answer.code, message: `Fake Apple: ${answer.code}` };
    const type: Record<string, string> = json === undefined ? {} : { 'content-type': JSON_TYPE };
    res
      .writeHead(answer.status, { ...type, ...answer.headers })
      .end(json === undefined ? undefined : JSON.stringify(json));
  }

  #route(req: IncomingMessage, url: URL, { method, path, body }: RecordedRequest): Answer {
    if (!req.headers['user-agent']) return error(400, 'USER_AGENT_MISSING');
    if (path === '/session' && method === 'GET') return this.#openSession(req, url);
    const token = String(req.headers['x-adm-auth-session'] ?? '');
    const session = this.#sessions.get(token);
    if (!session || session.expiresAt <= this.#now()) {
      this.#sessions.delete(token);
      return this.options.staleSession === 'forbidden' ? error(403, 'FORBIDDEN') : error(401, 'UNAUTHORIZED');
    }
    const server = this.#servers.get(session.consumerKey);
    if (!server) return error(401, 'UNAUTHORIZED');
    if (server.termsSigned === false) return error(403, 'T_C_NOT_SIGNED');
    const injected = this.#failures.findIndex((f) => f.path === path);
    if (injected >= 0) return this.#failures.splice(injected, 1)[0] ?? error(500, 'FAKE_BUG');
    const ok = (json?: unknown): Answer => {
      if (!this.#rotate) return { status: 200, json };
      this.#rotate = false;
      this.#sessions.delete(token);
      return { status: 200, json, headers: { 'x-adm-auth-session': this.#issue(session.consumerKey) } };
    };
    if (path === '/account' && method === 'GET') return ok(server.account);
    if (path !== '/account-driven-enrollment/profile') return error(404, 'NOT_FOUND');
    if (server.accountDrivenEnrollment === false) return error(400, 'ORG_NOT_SUPPORTED');
    const p = server.profile;
    if (method === 'GET') {
      return p
        ? ok({ mdm_service_discovery_url: p.url, last_updated_timestamp: p.lastUpdated })
        : error(404, 'NOT_FOUND');
    }
    if (method === 'DELETE') {
      server.profile = undefined;
      return ok();
    }
    if (method !== 'POST') return error(405, 'METHOD_NOT_ALLOWED');
    let request: { mdm_service_discovery_url?: unknown } | null;
    try {
      request = JSON.parse(body);
    } catch {
      return error(400, 'MALFORMED_REQUEST_BODY');
    }
    const discovery = request?.mdm_service_discovery_url;
    if (typeof discovery !== 'string' || discovery.trim() === '')
      return error(400, 'MDM_SERVICE_DISCOVERY_URL_REQUIRED');
    if (!isHttpsUrl(discovery)) return error(400, 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID');
    server.profile = { url: discovery, lastUpdated: new Date(this.#now()).toISOString() };
    return ok();
  }

  /** Apple "Interpreting Error Codes": 400 malformed OAuth, 401 bad key/token/signature/nonce, 403 terms. */
  #openSession(req: IncomingMessage, url: URL): Answer {
    const oauth = parseOAuthHeader(req.headers.authorization);
    if (!oauth || REQUIRED.some((k) => !oauth.has(k))) return error(400, 'BAD_REQUEST');
    if (oauth.get('oauth_signature_method') !== 'HMAC-SHA1') return error(400, 'BAD_REQUEST');
    if (oauth.has('oauth_version') && oauth.get('oauth_version') !== '1.0') return error(400, 'BAD_REQUEST');
    const server = this.#servers.get(oauth.get('oauth_consumer_key') ?? '');
    if (!server || server.token.accessToken !== oauth.get('oauth_token')) return error(401, 'UNAUTHORIZED');

    // RFC 5849 §3.4: base string over the query plus every oauth_* parameter except the signature.
    const signed = [...oauth].filter(([k]) => k.startsWith('oauth_') && k !== 'oauth_signature');
    const params = [...url.searchParams, ...signed]
      .map(([k, v]) => [enc(k), enc(v)] as const)
      .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`);
    const base = `GET&${enc(`http://${req.headers.host}${url.pathname}`)}&${enc(params.join('&'))}`;
    const key = `${enc(server.token.consumerSecret)}&${enc(server.token.accessSecret)}`;
    const expected = createHmac('sha1', key).update(base).digest('base64');
    if (expected !== oauth.get('oauth_signature')) return error(401, 'UNAUTHORIZED');
    const timestamp = Number(oauth.get('oauth_timestamp'));
    if (!Number.isInteger(timestamp) || Math.abs(this.#now() / 1000 - timestamp) > 300) {
      return error(401, 'UNAUTHORIZED');
    }
    const nonce = `${server.token.consumerKey}:${timestamp}:${oauth.get('oauth_nonce')}`;
    if (this.#nonces.has(nonce)) return error(401, 'UNAUTHORIZED');
    this.#nonces.add(nonce);
    const expiry = server.token.accessTokenExpiry;
    if (expiry && expiry.getTime() <= this.#now()) return error(401, 'TOKEN_EXPIRED');
    if (server.termsSigned === false) return error(403, 'T_C_NOT_SIGNED');
    return { status: 200, json: { auth_session_token: this.#issue(server.token.consumerKey) } };
  }

  #issue(consumerKey: string): string {
    const token = randomBytes(18).toString('base64url');
    this.#sessions.set(token, {
      consumerKey,
      expiresAt: this.#now() + (this.options.sessionTtlMs ?? 300_000),
    });
    return token;
  }
}

/** `OAuth realm="ADM", k="v", …` → decoded map; `null` if malformed or a parameter repeats (→ 400). */
function parseOAuthHeader(header: string | undefined): Map<string, string> | null {
  if (!header?.startsWith('OAuth ')) return null;
  const params = new Map<string, string>();
  for (const [, name = '', value = ''] of header.slice(6).matchAll(/([A-Za-z0-9_]+)="([^"]*)"/g)) {
    if (params.has(name)) return null;
    try {
      params.set(name, decodeURIComponent(value));
    } catch {
      return null;
    }
  }
  return params;
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}
