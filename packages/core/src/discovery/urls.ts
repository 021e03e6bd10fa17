/**
 * The URLs of service discovery, built in one place from the deployment's public URL.
 *
 * Apple requires HTTPS for everything a device is sent to: the well-known request itself
 * (DOC-SIMPLE step 2) and ABM/ASM refuse a non-https discovery URL with
 * `MDM_SERVICE_DISCOVERY_URL_NOT_VALID` (docs/protocol/discovery.md#the-request-a-device-makes,
 * docs/protocol/apple-business-manager.md#registering-the-discovery-url). Plain http
 * is accepted only for loopback hosts, which is what the local runtime (`pnpm dev`) serves on.
 *
 * Every URL leaving this file is canonical and made of a small set of characters
 * ([A-Za-z0-9-._~:/]) so that hosting.ts can put it into JavaScript, nginx and Apache configuration
 * without any of them reading part of it as syntax (`$`, `%`, `;`, quotes, spaces, braces).
 */
/** Our API's names; Apple calls them BYOD (account-driven user enrollment) and ADDE (device enrollment). */
export type EnrollmentType = 'USER' | 'DEVICE';

export class DiscoveryConfigError extends Error {
  override readonly name = 'DiscoveryConfigError';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1']);
const SAFE_URL = /^[A-Za-z0-9\-._~:/]+$/;
/** Our discovery ids are Crockford base32 (ade/discovery-id.ts); this admits any URL-safe id shape. */
const DISCOVERY_ID = /^[A-Za-z0-9_-]{8,128}$/;
export const DISCOVERY_PATH = '/mdm/enrollment/servicediscovery/';

/** The public base URL without a trailing slash; throws DiscoveryConfigError when unusable. */
export function checkPublicUrl(publicUrl: string): string {
  const url = parseHttpUrl(publicUrl, 'publicUrl');
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  if (url.search || url.hash || !SAFE_URL.test(base)) {
    throw new DiscoveryConfigError(
      `publicUrl must be a plain base URL such as https://mdm.example.net (no query, fragment or ` +
        `special characters); got ${JSON.stringify(publicUrl)}.`,
    );
  }
  return base;
}

/** `GET {publicUrl}/mdm/enrollment/servicediscovery/{discoveryId}` — the route devices, ABM/ASM and forwarders call. */
export function discoveryUrl(publicUrl: string, discoveryId: string): string {
  if (!DISCOVERY_ID.test(discoveryId)) {
    throw new DiscoveryConfigError('discoveryId must be 8–128 characters of A–Z, a–z, 0–9, "-" or "_".');
  }
  return `${checkPublicUrl(publicUrl)}${DISCOVERY_PATH}${discoveryId}`;
}

/** The `BaseURL` a device POSTs its enrollment request to (docs/protocol/discovery.md#the-answer,
 * docs/protocol/enrollment.md#the-first-request); one per enrollment type. */
export function enrollmentBaseUrl(publicUrl: string, discoveryId: string, type: EnrollmentType): string {
  return `${discoveryUrl(publicUrl, discoveryId)}/${type === 'USER' ? 'userenroll' : 'deviceenroll'}`;
}

/** Discovery `Version`: `mdm-byod` = account-driven user enrollment, `mdm-adde` = device enrollment
 * (docs/protocol/discovery.md#the-answer). */
export function discoveryVersion(type: EnrollmentType): 'mdm-byod' | 'mdm-adde' {
  return type === 'USER' ? 'mdm-byod' : 'mdm-adde';
}

/**
 * Checks a discovery URL before it is written into a customer's Worker or web-server configuration:
 * it must be exactly what `discoveryUrl()` produces (canonical, https or loopback http, our path, no
 * query), so nothing else can ever be interpolated into generated code.
 */
export function checkDiscoveryUrl(value: string): string {
  const parts = /^(.*)\/mdm\/enrollment\/servicediscovery\/([^/]*)$/.exec(value);
  // Rebuilding it applies every rule of publicUrl and discoveryId; a different result means it was not canonical.
  if (!parts || discoveryUrl(parts[1]!, parts[2]!) !== value) {
    throw new DiscoveryConfigError(
      `discoveryUrl must be a URL made by discoveryUrl() (…${DISCOVERY_PATH}<discoveryId>); ` +
        `got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function parseHttpUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DiscoveryConfigError(`${name} is not a URL: ${JSON.stringify(value)}.`);
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new DiscoveryConfigError(
      `${name} must use https (devices and Apple Business Manager accept nothing else); http is allowed ` +
        `only for localhost/127.0.0.1 in the local runtime. Got ${JSON.stringify(value)}.`,
    );
  }
  if (url.username || url.password) {
    throw new DiscoveryConfigError(`${name} must not contain a user name or password.`);
  }
  return url;
}
