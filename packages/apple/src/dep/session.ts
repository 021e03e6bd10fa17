/**
 * Session handling for Apple's Device Assignment API, following Apple's "Authenticating for Automated
 * Device Enrollment" and nanodep's `client/transport.go`:
 *
 * - `GET /session`, OAuth-signed, returns `{"auth_session_token": "…"}`; every other call sends it as
 *   `X-ADM-Auth-Session`. We fetch it lazily and share one in-flight `/session` among concurrent calls.
 * - Apple may hand out a new token in an `X-ADM-Auth-Session` response header; we adopt it.
 * - An expired session answers 401. nanodep also treats `403` with `FORBIDDEN` in the body as an unknown
 *   session (what depsim does after a restart) and so do we. Either way we sign in again and retry the call
 *   once; a call whose session was minted for it is never retried, so there is no loop.
 * - Every call sends `X-Server-Protocol-Version` and a `User-Agent` (Apple has `USER_AGENT_MISSING`).
 */
import { httpError, protocolError, transportError } from './errors';
import { appleSessionAuthorization, type ServerTokenCredentials } from './oauth1';

export interface SessionOptions {
  baseUrl: string;
  credentials: ServerTokenCredentials;
  userAgent: string;
  fetch: typeof fetch;
  now: () => Date;
  nonce: (() => string) | undefined;
  timeoutMs: number;
  protocolVersion: number;
}

export interface DepResponse {
  status: number;
  text: string;
}

interface RawResponse extends DepResponse {
  session: string | null;
}

export class DepSession {
  readonly #o: SessionOptions;
  #token: string | undefined;
  #opening: Promise<string> | undefined;

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  /** Sends one API call with session handling; resolves on 2xx, throws `DeviceAssignmentError` otherwise. */
  async call(method: string, path: string, body?: unknown): Promise<DepResponse> {
    const operation = `${method} ${path}`;
    const minted = this.#token === undefined;
    let token = this.#token ?? (await this.#signIn(undefined));
    let res = await this.#send(operation, method, path, token, body);
    if (!minted && sessionRejected(res)) {
      token = await this.#signIn(token);
      res = await this.#send(operation, method, path, token, body);
    }
    if (res.session && res.session !== this.#token) this.#token = res.session;
    if (res.status < 200 || res.status > 299) throw httpError(operation, res.status, res.text);
    return res;
  }

  /** Single-flight sign-in. `stale` is the token the server just refused; if another call has already
   *  replaced it, use the replacement instead of signing in twice. */
  #signIn(stale: string | undefined): Promise<string> {
    if (this.#token !== undefined && this.#token !== stale) return Promise.resolve(this.#token);
    this.#opening ??= this.#openSession().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #openSession(): Promise<string> {
    this.#token = undefined;
    const operation = 'GET /session';
    const url = `${this.#o.baseUrl}/session`;
    const authorization = appleSessionAuthorization(
      url,
      this.#o.credentials,
      this.#o.now(),
      this.#o.nonce?.(),
    );
    const res = await this.#fetch(operation, url, {
      method: 'GET',
      headers: this.#headers({ authorization }),
    });
    if (res.status !== 200) throw httpError(operation, res.status, res.text);
    const token = parseJson(operation, res).auth_session_token;
    if (typeof token !== 'string' || token === '') {
      throw protocolError(operation, res.status, 'no auth_session_token');
    }
    this.#token = token;
    return token;
  }

  #send(operation: string, method: string, path: string, token: string, body: unknown) {
    const headers = this.#headers({ 'x-adm-auth-session': token });
    // Apple's documented media type, spelling included (nanodep `godep/client.go`).
    if (body !== undefined) headers['content-type'] = 'application/json;charset=UTF8';
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    return this.#fetch(operation, `${this.#o.baseUrl}${path}`, init);
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return {
      'user-agent': this.#o.userAgent,
      'x-server-protocol-version': String(this.#o.protocolVersion),
      accept: 'application/json',
      ...extra,
    };
  }

  async #fetch(operation: string, url: string, init: RequestInit): Promise<RawResponse> {
    try {
      // One deadline covers connecting, headers and body.
      const res = await this.#o.fetch(url, { ...init, signal: AbortSignal.timeout(this.#o.timeoutMs) });
      const text = await res.text();
      return { status: res.status, text, session: res.headers.get('x-adm-auth-session') };
    } catch (cause) {
      throw transportError(operation, new URL(url).host, this.#o.timeoutMs, cause);
    }
  }
}

function sessionRejected(res: RawResponse): boolean {
  return res.status === 401 || (res.status === 403 && res.text.includes('FORBIDDEN'));
}

/** Parses a 2xx JSON body into an object, or throws a protocol error. */
export function parseJson(operation: string, res: DepResponse): Record<string, unknown> {
  try {
    const json: unknown = JSON.parse(res.text);
    if (typeof json === 'object' && json !== null && !Array.isArray(json))
      return json as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw protocolError(operation, res.status, 'the body is not a JSON object');
}
