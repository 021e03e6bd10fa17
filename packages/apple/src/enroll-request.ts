/**
 * The body a device POSTs to the account-driven enrollment BaseURL (both attempts, before and after the
 * 401 challenge): a CMS SignedData with attached content, the content an XML plist with LANGUAGE,
 * PRODUCT and VERSION (Apple: "Implementing the simple authentication account-driven enrollment flow",
 * https://developer.apple.com/documentation/devicemanagement/implementing-the-simple-authentication-account-driven-enrollment-flow;
 * docs/protocol/enrollment.md#the-first-request and docs/protocol/test-vectors.md#the-real-capture).
 *
 * Wire facts that shape this code:
 * - Devices send raw BER with indefinite lengths (the capture starts `30 80`), with Content-Type
 *   `application/pkcs7-signature` or, on iOS 15, `application/x-www-form-urlencoded` — so the HTTP layer
 *   must hand us the raw bytes, never a form-parsed body. Some tools and proxies base64 the body; we
 *   accept that too (raw DER always starts with 0x30, which is not a base64 character).
 * - Signature: SHA-1 + sha1WithRSA by an Apple device identity (signed-data.ts, device-chain.ts).
 *
 * Decision on tampering: a body whose content or signature was altered parses normally and comes back
 * with `signature.valid === false`; the caller decides. Pass `requireValidSignature: true` to get
 * `AppleProtocolError('SIGNATURE_INVALID')` instead. Structural problems always throw.
 */
import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { APPLE_ROOT_CA_PEM } from './apple-root-ca';
import { decodeBase64Strict, OID, parseContentInfo, subjectString } from './cms';
import { chainReachesAppleDeviceCa } from './device-chain';
import { AppleProtocolError } from './errors';
import { type PlistDict, parsePlistDict } from './plist';
import { checkFirstSigner, includedCertificates } from './signed-data';

/** Real bodies are ~3.4 KiB (three certificates + a 300-byte plist). */
export const MAX_ENROLL_BODY_BYTES = 64 * 1024;

export interface EnrollRequest {
  /** LANGUAGE, e.g. `ja-JP`; Apple documents it, but nothing depends on it, so a missing one is tolerated. */
  language: string | undefined;
  /** PRODUCT, the model identifier, e.g. `iPhone12,1`. */
  product: string;
  /** VERSION, the OS build (e.g. `19H12`); see os-version.ts. */
  version: string;
  /** Every key of the signed plist (ADDE bodies might carry more keys — unconfirmed,
   * docs/protocol/enrollment.md#the-first-request). */
  fields: PlistDict;
  signature: {
    /** Signature over the signed attributes verifies and their messageDigest matches the content. */
    valid: boolean;
    /**
     * The signer's certificate is issued by an Apple device CA ("Apple iPhone Device CA") and the issuer
     * signatures along the certificates in the message verify up to a trust anchor — by default the real
     * Apple Root CA (apple-root-ca.ts). Validity dates are not checked. Not device attestation.
     * Always false when `valid` is false, so it is safe to test on its own.
     */
    chainReachesAppleDeviceCa: boolean;
    /** e.g. `CN=41B39CB1-…, C=US, ST=CA, L=Cupertino, O=Apple Inc., OU=iPhone`. */
    signerSubject?: string;
    signingTime?: Date;
  };
}

export interface ParseEnrollRequestOptions {
  /** Throw SIGNATURE_INVALID instead of returning `signature.valid === false`. */
  requireValidSignature?: boolean;
  /** PEM trust anchors for the chain check; default: Apple Root CA only. For tests and future roots. */
  trustAnchors?: readonly string[];
}

let defaultAnchors: X509Certificate[] | undefined;

export function parseEnrollRequest(
  body: Uint8Array | string,
  options: ParseEnrollRequestOptions = {},
): EnrollRequest {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > MAX_ENROLL_BODY_BYTES) {
    throw new AppleProtocolError(
      'BODY_TOO_LARGE',
      `The enrollment request is ${size} bytes; the limit is ${MAX_ENROLL_BODY_BYTES}. It is not from a device.`,
    );
  }
  const der = toDer(body);

  let signedData: pkijs.SignedData;
  try {
    const info = parseContentInfo(der);
    if (info.contentType !== OID.signedData) throw new Error('it is not CMS SignedData');
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch (cause) {
    throw malformedCms(cause instanceof Error ? cause.message : 'it cannot be parsed', cause);
  }
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) throw malformedCms('it has no attached content (detached signature)');
  // pkijs types eContent as an OCTET STRING but takes any element there: a SEQUENCE or a context tag
  // has no getValue() (a TypeError, found by fuzzing). A constructed (BER, chunked) OCTET STRING is
  // concatenated by getValue().
  if (!(eContent instanceof asn1js.OctetString))
    throw malformedCms('its signed content is not an OCTET STRING');
  const content = new Uint8Array(eContent.getValue());

  const fields = parsePlistDict(content, { maxBytes: MAX_ENROLL_BODY_BYTES });
  const { LANGUAGE, PRODUCT, VERSION } = fields;
  if (typeof PRODUCT !== 'string' || PRODUCT === '' || typeof VERSION !== 'string' || VERSION === '') {
    throw new AppleProtocolError('MALFORMED_ENROLL_REQUEST');
  }

  const certs = includedCertificates(signedData);
  const check = checkFirstSigner(signedData, content, certs);
  if (!check.valid && options.requireValidSignature) throw new AppleProtocolError('SIGNATURE_INVALID');

  const anchors = options.trustAnchors?.map((pem) => new X509Certificate(pem)) ?? appleAnchors();
  const signature: EnrollRequest['signature'] = {
    valid: check.valid,
    chainReachesAppleDeviceCa:
      check.valid &&
      check.signer !== undefined &&
      chainReachesAppleDeviceCa(
        check.signer,
        certs.map((c) => c.x509),
        anchors,
      ),
  };
  if (check.signer) signature.signerSubject = subjectString(check.signer);
  if (check.signingTime) signature.signingTime = check.signingTime;
  return {
    language: typeof LANGUAGE === 'string' ? LANGUAGE : undefined,
    product: PRODUCT,
    version: VERSION,
    fields,
    signature,
  };
}

function appleAnchors(): X509Certificate[] {
  defaultAnchors ??= [new X509Certificate(APPLE_ROOT_CA_PEM)];
  return defaultAnchors;
}

/** Raw DER/BER starts with 0x30 (SEQUENCE); anything else must be base64 (optionally PEM) text. */
function toDer(body: Uint8Array | string): Uint8Array {
  if (typeof body !== 'string' && body[0] === 0x30) return body;
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('latin1');
  const decoded = decodeBase64Strict(text);
  if (!decoded) throw malformedCms(body.length === 0 ? 'it is empty' : 'it is neither DER nor base64');
  return decoded;
}

function malformedCms(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError(
    'MALFORMED_CMS',
    `The enrollment request is not a signed message from an Apple device: ${reason}. ` +
      'Start enrollment again from the device (Settings > General > VPN & Device Management).',
    { cause },
  );
}
