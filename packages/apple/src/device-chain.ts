/**
 * Does a device's signing certificate chain up to Apple's device PKI?
 *
 * The enrollment request is signed by the device's built-in identity: leaf (CN = a GUID, OU=iPhone) →
 * "Apple iPhone Device CA" → "Apple iPhone Certification Authority" → Apple Root CA, all but the root
 * included in the SignedData (docs/protocol/enrollment.md#the-first-request, capture TV-A in
 * docs/protocol/test-vectors.md#the-real-capture). We walk issuer signatures from the leaf through
 * the certificates in the message until one is signed by a trust anchor (by default the real Apple Root
 * CA, see apple-root-ca.ts), and additionally require that the leaf's direct issuer is an Apple *device*
 * CA — Apple Root CA also anchors Developer ID, WWDR, etc., whose certificates must not pass as devices.
 *
 * Validity periods are deliberately NOT checked: the Apple intermediates in real device chains expired
 * years ago (iPhone Device CA 2014, iPhone Certification Authority 2022) and devices keep using them;
 * Fleet (server/mdm/apple/deviceinfo.go) skips the time check too, following Apple's guidance.
 *
 * This is NOT strong device attestation (Apple and Fleet both warn about it; see
 * https://duo.com/labs/research/mdm-me-maybe): the identity proves the bytes came from software holding
 * an Apple-issued device key, not that PRODUCT/VERSION are truthful or which device it is. Use the result
 * for plausibility and telemetry, never as an authorization decision on its own.
 */
import type { X509Certificate } from 'node:crypto';

/** Walk at most this many CA hops (leaf → device CA → iPhone CA → root needs 3). */
const MAX_DEPTH = 4;

/**
 * Subject of the CA that issues device identities. Only "Apple iPhone Device CA" has been observed (it
 * signs iPhone and iPad identities); the pattern admits Apple's other "… Device CA" names without
 * admitting arbitrary Apple CAs. The organisation must be Apple Inc.
 */
const DEVICE_CA_CN = /^Apple [A-Za-z ]*Device CA$/;

export function isAppleDeviceCa(cert: X509Certificate): boolean {
  const rdns = cert.subject.split('\n');
  return (
    cert.ca &&
    rdns.includes('O=Apple Inc.') &&
    rdns.some((r) => r.startsWith('CN=') && DEVICE_CA_CN.test(r.slice(3)))
  );
}

export function chainReachesAppleDeviceCa(
  leaf: X509Certificate,
  bag: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
): boolean {
  const deviceCa = bag.find((c) => c !== leaf && issuedBy(leaf, c));
  if (!deviceCa || !isAppleDeviceCa(deviceCa)) return false;
  let current = deviceCa;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchors.some((anchor) => issuedBy(current, anchor))) return true;
    const next = bag.find((c) => c !== current && c !== leaf && issuedBy(current, c));
    if (!next) return false;
    current = next;
  }
  return false;
}

/** Name chaining (and key identifiers, when present) plus a verified signature by a CA certificate. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  if (!issuer.ca || !cert.checkIssued(issuer)) return false;
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
