/**
 * The `Mdm-Signature` request header, sent when the enrollment profile has `SignMessage = true`
 * (apple/device-management `mdm/profiles/com.apple.mdm.yaml`, docs/protocol/profile.md#the-mdm-payload,
 * docs/protocol/mdm.md#transport-and-authentication): base64 of a CMS SignedData
 * whose content is DETACHED — the exact HTTP body — signed with the device identity certificate we issued
 * at enrollment. Verification = put the body back as the content and check the signer (same approach as
 * NanoMDM `VerifyMdmSignature`). This module proves only "the holder of this certificate's key signed this
 * body"; the caller must then compare `fingerprintSha256` with the one stored for the enrollment.
 */
import { X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { decodeBase64Strict, OID, parseContentInfo, subjectString } from './cms';
import { AppleProtocolError } from './errors';
import { checkFirstSigner, includedCertificates } from './signed-data';

/** Real headers are ~2–3 KiB (one certificate); anything far larger is not from a device. */
export const MAX_MDM_SIGNATURE_HEADER_CHARS = 64 * 1024;

export interface MdmSignature {
  certificatePem: string;
  certificateDer: Buffer;
  /** Node's format, like `APPLE_ROOT_CA_SHA256`: uppercase hex pairs joined by `:`. */
  fingerprintSha256: string;
  /** The signer certificate's subject, one `K=V` per RDN joined by `, `. */
  subject: string;
}

export function verifyMdmSignature(
  headerValue: string | readonly string[] | undefined,
  body: Uint8Array,
): MdmSignature {
  // Node gives repeated headers as arrays; a device sends one signature, two is ambiguous.
  if (Array.isArray(headerValue) && headerValue.length > 1)
    throw malformed('the Mdm-Signature header appears more than once');
  const value = (Array.isArray(headerValue) ? headerValue[0] : (headerValue as string | undefined))?.trim();
  if (!value) throw new AppleProtocolError('MDM_SIGNATURE_MISSING');
  if (value.length > MAX_MDM_SIGNATURE_HEADER_CHARS)
    throw new AppleProtocolError('BODY_TOO_LARGE', 'The Mdm-Signature header is too large.');
  const der = decodeBase64Strict(value);
  if (!der) throw malformed('the Mdm-Signature header is not base64');

  let signedData: pkijs.SignedData;
  try {
    const info = parseContentInfo(der);
    if (info.contentType !== OID.signedData) throw new Error('it is not CMS SignedData');
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch (cause) {
    throw malformed(cause instanceof Error ? cause.message : 'it cannot be parsed', cause);
  }
  if (signedData.signerInfos.length === 0) throw malformed('it has no signer');
  // Devices sign detached. Should content ever be attached, it must be this very body, or the signature
  // would vouch for something other than what we are about to process.
  const attached = signedData.encapContentInfo.eContent;
  if (attached && !Buffer.from(attached.getValue()).equals(body)) throw invalid();

  const certs = includedCertificates(signedData);
  const check = checkFirstSigner(signedData, body, certs);
  if (!check.signer) throw new AppleProtocolError('SIGNER_CERTIFICATE_MISSING');
  if (!check.valid) throw invalid();
  return describe(check.signer);
}

/** The same fingerprint format for a certificate we store at enrollment (PEM or DER). */
export function certificateFingerprintSha256(certificate: string | Uint8Array): string {
  return new X509Certificate(certificate).fingerprint256;
}

function describe(cert: X509Certificate): MdmSignature {
  return {
    certificatePem: cert.toString(),
    certificateDer: Buffer.from(cert.raw),
    fingerprintSha256: cert.fingerprint256,
    subject: subjectString(cert),
  };
}

function invalid(): AppleProtocolError {
  return new AppleProtocolError(
    'SIGNATURE_INVALID',
    'The Mdm-Signature does not match the request body (altered body or wrong key).',
  );
}

function malformed(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError(
    'MALFORMED_CMS',
    `The Mdm-Signature header is not a valid signature: ${reason}.`,
    { cause },
  );
}
