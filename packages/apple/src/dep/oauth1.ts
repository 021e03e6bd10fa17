/**
 * OAuth 1.0a HMAC-SHA1 request signing (RFC 5849), used only for Apple's `GET /session`.
 *
 * Apple, "Authenticating for Automated Device Enrollment"
 * (https://developer.apple.com/documentation/devicemanagement/authenticating-for-automated-device-enrollment):
 * the MDM server signs `GET https://mdmenrollment.apple.com/session` with the four values of its server token
 * and sends one header
 *   Authorization: OAuth realm="ADM", oauth_consumer_key="…", oauth_token="…", oauth_signature_method="HMAC-SHA1",
 *     oauth_signature="…", oauth_timestamp="…", oauth_nonce="…", oauth_version="1.0"
 * Everything else (base string, key, encoding) is plain RFC 5849 §3.4 / §3.6.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** A name/value pair; RFC 5849 allows repeated names, so pairs rather than a record. */
export type OAuthParam = readonly [name: string, value: string];

/**
 * RFC 5849 §3.6: keep RFC 3986 "unreserved" characters, percent-encode every other UTF-8 byte with
 * upper-case hex. `encodeURIComponent` already does this except that it leaves `!'()*` alone.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * RFC 5849 §3.4.1.2 base string URI: lower-case scheme and host, default port dropped, no query or
 * fragment. WHATWG `URL` already normalises scheme, host and default ports.
 */
function baseStringUri(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * RFC 5849 §3.4.1: `METHOD&enc(base URI)&enc(normalised parameters)`. Parameters are the URL query
 * (form-decoded, §3.4.1.3.1) plus `params` (the oauth_* protocol parameters, without `realm` and
 * `oauth_signature`, and any form body parameters), each encoded, then sorted by name and value (§3.4.1.3.2).
 */
export function signatureBaseString(method: string, url: string, params: readonly OAuthParam[]): string {
  const parsed = new URL(url);
  const encoded = [...parsed.searchParams, ...params].map(
    ([k, v]): OAuthParam => [percentEncode(k), percentEncode(v)],
  );
  // Encoded strings are ASCII, so UTF-16 comparison is the byte order the RFC asks for.
  encoded.sort(([ak, av], [bk, bv]) => compare(ak, bk) || compare(av, bv));
  const normalized = encoded.map(([k, v]) => `${k}=${v}`).join('&');
  return [method.toUpperCase(), percentEncode(baseStringUri(parsed)), percentEncode(normalized)].join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** RFC 5849 §3.4.2: HMAC-SHA1 keyed by `enc(consumer secret)&enc(token secret)`, base64. */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString).digest('base64');
}

export interface OAuthSigningInput {
  method: string;
  /** Full request URL; its query string takes part in the signature. */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
  /** Seconds since the epoch, as a string (RFC 5849 §3.3). */
  timestamp: string;
  nonce: string;
  /** `realm` is sent in the header but never signed (§3.4.1.3.1). Apple uses `ADM`. */
  realm?: string;
  /** Whether to send (and sign) `oauth_version="1.0"`; optional in RFC 5849, sent by Apple's example. */
  includeVersion?: boolean;
  /** `application/x-www-form-urlencoded` body parameters, if any (none for Apple's `/session`). */
  bodyParams?: readonly OAuthParam[];
}

/** Builds the `Authorization` header value for one request (RFC 5849 §3.5.1). */
export function oauthAuthorizationHeader(input: OAuthSigningInput): string {
  const version: OAuthParam[] = input.includeVersion ? [['oauth_version', '1.0']] : [];
  const protocol: OAuthParam[] = [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_token', input.token],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', input.timestamp],
    ['oauth_nonce', input.nonce],
    ...version,
  ];
  const base = signatureBaseString(input.method, input.url, [...protocol, ...(input.bodyParams ?? [])]);
  const signature = hmacSha1Signature(base, input.consumerSecret, input.tokenSecret);
  // Field order follows Apple's documented example; RFC 5849 does not care about order.
  const fields: OAuthParam[] = [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_token', input.token],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_signature', signature],
    ['oauth_timestamp', input.timestamp],
    ['oauth_nonce', input.nonce],
    ...version,
  ];
  const realm = input.realm === undefined ? [] : [`realm="${input.realm}"`];
  return `OAuth ${[...realm, ...fields.map(([k, v]) => `${k}="${percentEncode(v)}"`)].join(', ')}`;
}

/** The four secrets from the decrypted ABM/ASM server token (`consumer_key`, `consumer_secret`, …). */
export interface ServerTokenCredentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
}

/**
 * The exact header Apple documents for `GET /session`. The nonce must be unique per timestamp
 * (Apple answers 401 to a reused nonce), so 128 random bits by default.
 */
export function appleSessionAuthorization(
  sessionUrl: string,
  credentials: ServerTokenCredentials,
  now: Date,
  nonce: string = randomBytes(16).toString('hex'),
): string {
  return oauthAuthorizationHeader({
    method: 'GET',
    url: sessionUrl,
    consumerKey: credentials.consumerKey,
    consumerSecret: credentials.consumerSecret,
    token: credentials.accessToken,
    tokenSecret: credentials.accessSecret,
    timestamp: String(Math.floor(now.getTime() / 1000)),
    nonce,
    realm: 'ADM',
    includeVersion: true,
  });
}
