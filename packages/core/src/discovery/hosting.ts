/**
 * What a customer puts on `https://<domain>/.well-known/com.apple.remotemanagement` (the first place
 * every device asks, DOC-SIMPLE step 2; docs/protocol/discovery.md). Preferred: forward
 * the request with its query string to our discovery URL (a Cloudflare Worker, or a web-server redirect),
 * so that our answer can depend on the user and the device and refusals reach the person. Otherwise a
 * static JSON file. Devices before iOS/iPadOS 18.2, macOS 15.2, visionOS 2.2 have no ABM/ASM fallback
 * (docs/protocol/discovery.md#fallback-through-apple-business-manager), so for them one of these is the only way in.
 *
 * Every URL written into code or configuration here passes checkDiscoveryUrl (urls.ts): canonical and
 * limited to [A-Za-z0-9-._~:/], so it cannot end a string, add a directive or name a variable.
 */
import {
  checkDiscoveryUrl,
  discoveryUrl,
  discoveryVersion,
  type EnrollmentType,
  enrollmentBaseUrl,
} from './urls.ts';

export const WELL_KNOWN_PATH = '/.well-known/com.apple.remotemanagement';

/**
 * The static file (served with `Content-Type: application/json`,
 * docs/protocol/discovery.md#the-answer). A file cannot see the query,
 * so it gives every user and every device the same answer: it cannot refuse a user of another domain
 * or an Apple TV with a readable message, and our per-request checks only happen later at BaseURL.
 * That is why forwarding is preferred.
 */
export function wellKnownJson(
  publicUrl: string,
  discoveryId: string,
  enrollmentType: EnrollmentType,
): string {
  const BaseURL = enrollmentBaseUrl(publicUrl, discoveryId, enrollmentType);
  return JSON.stringify({ Servers: [{ Version: discoveryVersion(enrollmentType), BaseURL }] });
}

/**
 * An ES-module Cloudflare Worker for the customer's zone (route `<domain>/.well-known/*`). It forwards
 * only GETs of the well-known path, with the device's original query string byte for byte (a device
 * percent-encodes `user-identifier`; re-encoding could change it), and returns our status, body and
 * Content-Type unchanged — including a 403 `com.apple.well-known.failed`, so its `message` reaches the
 * person. Everything else goes to the origin as if the Worker were not there. It holds no secret: the
 * discovery URL is public by design (DOC-SIMPLE: treat the registered URL as public;
 * docs/protocol/discovery.md#fallback-through-apple-business-manager).
 */
export function cloudflareWorkerScript(discoveryUrlValue: string): string {
  const target = JSON.stringify(checkDiscoveryUrl(discoveryUrlValue));
  return `// ADE Cloud: forwards Apple account-driven enrollment service discovery to ADE Cloud.
// Generated; contains no secrets. Route it on <your domain>/.well-known/* (or the whole zone).
const DISCOVERY_URL = ${target};
const WELL_KNOWN_PATH = ${JSON.stringify(WELL_KNOWN_PATH)};

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method !== 'GET' || url.pathname !== WELL_KNOWN_PATH) {
      return fetch(request);
    }
    let answer;
    try {
      // Keep the query exactly as the device sent it: user-identifier and model-family.
      answer = await fetch(DISCOVERY_URL + url.search, { headers: { accept: 'application/json' } });
    } catch {
      // An HTTP error lets iOS 18.2+, macOS 15.2+ and visionOS 2.2+ fall back to Apple Business Manager.
      return new Response(null, { status: 502 });
    }
    const headers = new Headers({ 'cache-control': 'no-store' });
    const contentType = answer.headers.get('content-type');
    if (contentType) headers.set('content-type', contentType);
    return new Response(answer.body, { status: answer.status, headers });
  },
};
`;
}

/**
 * nginx, in the `server` block for <domain>. Devices follow a redirect but do not copy the query onto
 * the target (DOC-SIMPLE; docs/protocol/discovery.md#redirects), so `$is_args$args` re-appends it. 302 is what vendor guides use;
 * which 3xx codes devices accept is undocumented.
 */
export function nginxSnippet(discoveryUrlValue: string): string {
  const target = checkDiscoveryUrl(discoveryUrlValue);
  return `# ADE Cloud: Apple account-driven enrollment service discovery (keeps the query string).
location = ${WELL_KNOWN_PATH} {
    return 302 ${target}$is_args$args;
}
`;
}

/**
 * Apache httpd with mod_rewrite, in the VirtualHost for <domain> (or its .htaccess: hence `^/?`).
 * `QSA` appends the device's query string to the target (docs/protocol/discovery.md#redirects: devices do
 * not copy it themselves).
 */
export function apacheSnippet(discoveryUrlValue: string): string {
  const target = checkDiscoveryUrl(discoveryUrlValue);
  return `# ADE Cloud: Apple account-driven enrollment service discovery (keeps the query string).
RewriteEngine On
RewriteRule ^/?\\.well-known/com\\.apple\\.remotemanagement$ ${target} [R=302,L,QSA]
`;
}

/** All of the above for one configuration, e.g. for an enrollment setup wizard. */
export function hostingOptions(publicUrl: string, discoveryId: string, enrollmentType: EnrollmentType) {
  const url = discoveryUrl(publicUrl, discoveryId);
  return {
    discoveryUrl: url,
    wellKnownJson: wellKnownJson(publicUrl, discoveryId, enrollmentType),
    cloudflareWorker: cloudflareWorkerScript(url),
    nginx: nginxSnippet(url),
    apache: apacheSnippet(url),
  };
}
