/**
 * The `Mdm-Signature` request header, sent when the enrollment profile has `SignMessage = true`
 * (apple/device-management `mdm/profiles/com.apple.mdm.yaml`, docs/protocol/profile.md#the-mdm-payload,
 * docs/protocol/mdm.md#transport-and-authentication): base64 of a CMS SignedData
 * whose content is DETACHED — the exact HTTP body — signed with the device identity certificate we issued
 * at enrollment. Verification = put the body back as the content and check the signer (same approach as
 * NanoMDM `VerifyMdmSignature`). This module proves only "the holder of this certificate's key signed this
 * body"; the caller must then compare `fingerprintSha256` with the one stored for the enrollment.
 *
 * Every check-in and command-channel request comes through here, so it reads the SignedData with our own
 * strict reader (signed-data-reader.ts says why) and verifies with Node's crypto: about 0.3 ms a message
 * instead of pkijs's 3 ms, and no pkijs in the device functions. The pkijs verifier it replaced is kept
 * as the reference in testing/mdm-signature-reference.ts; mdm-signature.test.ts proves they agree.
 */
import { createHash, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { DerError, type Element, oid, TAG, time } from './der';
import { decodeBase64Strict, subjectString } from './encoding';
import { AppleProtocolError } from './errors';
import {
  type AlgorithmIdentifier,
  hex,
  type IncludedCertificate,
  OID_HEX,
  readSignedData,
  type SignedDataParts,
  type SignerInfoParts,
} from './signed-data-reader';

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

/** Digests a device may use (SHA-1 still: Apple's own enrollment signatures use it, docs/protocol/enrollment.md#the-first-request). */
const DIGESTS: Record<string, string> = {
  '2b0e03021a': 'sha1',
  '608648016503040201': 'sha256',
  '608648016503040202': 'sha384',
  '608648016503040203': 'sha512',
};

/**
 * Signature algorithms: RSA PKCS #1 v1.5 and ECDSA. `hash` is set where the OID names one (it must then be
 * the digest algorithm's); rsaEncryption and id-ecPublicKey leave it to the digest algorithm, as CMS allows.
 * RSASSA-PSS needs parameters we do not read; devices never use it.
 */
const SIGNATURES: Record<string, { key: 'rsa' | 'ec'; hash?: string }> = {
  '2a864886f70d010101': { key: 'rsa' },
  '2a864886f70d010105': { key: 'rsa', hash: 'sha1' },
  '2a864886f70d01010b': { key: 'rsa', hash: 'sha256' },
  '2a864886f70d01010c': { key: 'rsa', hash: 'sha384' },
  '2a864886f70d01010d': { key: 'rsa', hash: 'sha512' },
  '2a8648ce3d0201': { key: 'ec' },
  '2a8648ce3d0401': { key: 'ec', hash: 'sha1' },
  '2a8648ce3d040302': { key: 'ec', hash: 'sha256' },
  '2a8648ce3d040303': { key: 'ec', hash: 'sha384' },
  '2a8648ce3d040304': { key: 'ec', hash: 'sha512' },
};

export function verifyMdmSignature(
  headerValue: string | readonly string[] | undefined,
  body: Uint8Array,
): MdmSignature {
  const der = readMdmSignatureHeader(headerValue);
  let signed: SignedDataParts;
  try {
    signed = readSignedData(der);
  } catch (cause) {
    if (cause instanceof DerError) throw malformedSignature(cause.message, cause);
    throw cause;
  }
  // Devices sign detached. Should content ever be attached, it must be this very body, or the signature
  // would vouch for something other than what we are about to process.
  if (signed.content && !Buffer.from(signed.content).equals(body))
    throw signatureInvalid('its attached content is not the request body');
  const signer = signed.certificates.find((cert) => names(signed.signer, cert))?.x509;
  if (!signer)
    throw new AppleProtocolError(
      'SIGNER_CERTIFICATE_MISSING',
      'The signature does not include the signer’s certificate: none has the issuer and serial number ' +
        '(compared byte for byte) or the key identifier its signer names.',
    );
  const failure = signatureFailure(signed, body, signer);
  if (failure) throw signatureInvalid(failure);
  return describe(signer);
}

/** The same fingerprint format for a certificate we store at enrollment (PEM or DER). */
export function certificateFingerprintSha256(certificate: string | Uint8Array): string {
  return new X509Certificate(certificate).fingerprint256;
}

/**
 * The header's DER: one value (Node gives repeated headers as arrays; two is ambiguous), present, bounded,
 * strict base64.
 */
export function readMdmSignatureHeader(headerValue: string | readonly string[] | undefined): Uint8Array {
  if (Array.isArray(headerValue) && headerValue.length > 1)
    throw malformedSignature('the Mdm-Signature header appears more than once');
  const value = (Array.isArray(headerValue) ? headerValue[0] : (headerValue as string | undefined))?.trim();
  if (!value) throw new AppleProtocolError('MDM_SIGNATURE_MISSING');
  if (value.length > MAX_MDM_SIGNATURE_HEADER_CHARS)
    throw new AppleProtocolError('BODY_TOO_LARGE', 'The Mdm-Signature header is too large.');
  const der = decodeBase64Strict(value);
  if (!der) throw malformedSignature('the Mdm-Signature header is not base64');
  return der;
}

/** Does the SignerInfo's identifier name this certificate? Issuer names are compared byte for byte. */
function names(signer: SignerInfoParts, cert: IncludedCertificate): boolean {
  const { sid } = signer;
  if (sid.kind === 'issuerAndSerialNumber')
    return Buffer.from(sid.issuer).equals(cert.issuer) && Buffer.from(sid.serial).equals(cert.serial);
  return cert.subjectKeyIdentifier !== undefined && Buffer.from(sid.keyId).equals(cert.subjectKeyIdentifier);
}

/**
 * RFC 5652 §5.6: with signed attributes, the signature covers them (as a SET OF) and they must bind the
 * content — its type and digest; without them (allowed only for id-data, §5.3) it covers the content.
 * Returns why it does not verify, or undefined when it does.
 */
function signatureFailure(
  signed: SignedDataParts,
  body: Uint8Array,
  signer: X509Certificate,
): string | undefined {
  const { signer: info } = signed;
  const hash = digestName(info.digestAlgorithm);
  if (!hash) return 'its digest algorithm is not SHA-1 or SHA-2 (256, 384, 512)';
  const algorithm = SIGNATURES[info.signatureAlgorithm.oid];
  if (!algorithm) return 'its signature algorithm is not RSA PKCS #1 v1.5 or ECDSA';
  if (algorithm.hash && algorithm.hash !== hash)
    return 'its signature algorithm names another hash than its digest algorithm';
  if (!parametersFit(info.signatureAlgorithm, algorithm.key))
    return 'its signature algorithm has parameters that algorithm does not take';
  let key: KeyObject;
  try {
    key = signer.publicKey;
  } catch {
    return 'the signer’s public key cannot be read';
  }
  if (key.asymmetricKeyType !== algorithm.key)
    return 'the signer’s key is not of the signature algorithm’s type';
  let signedBytes: Uint8Array = body;
  if (info.signedAttrs) {
    const unbound = attributesFailure(
      signed,
      info.signedAttrs.values,
      createHash(hash).update(body).digest(),
    );
    if (unbound) return unbound;
    signedBytes = info.signedAttrs.signedBytes;
  } else if (hex(signed.eContentType) !== OID_HEX.data)
    return 'it signs a content type other than data without signed attributes';
  let valid = false;
  try {
    valid = verify(hash, signedBytes, key, info.signature);
  } catch {
    // e.g. an ECDSA signature that is not a DER SEQUENCE of two INTEGERs: not valid
  }
  return valid ? undefined : MISMATCH;
}

const MISMATCH = 'it does not match the request body (altered body or wrong key)';

function digestName(algorithm: AlgorithmIdentifier): string | undefined {
  return algorithm.parameters === 'other' ? undefined : DIGESTS[algorithm.oid];
}

/** RSA: parameters NULL or absent (RFC 3370 §3.2); ECDSA: absent (RFC 5758 §3.2). */
function parametersFit(algorithm: AlgorithmIdentifier, key: 'rsa' | 'ec'): boolean {
  return key === 'rsa' ? algorithm.parameters !== 'other' : algorithm.parameters === 'absent';
}

/**
 * contentType = eContentType and messageDigest = the body's digest (a wrong digest is the common case of
 * an altered body), signingTime (if any) a valid time; one value each.
 */
function attributesFailure(
  signed: SignedDataParts,
  values: Map<string, Element[]>,
  digest: Buffer,
): string | undefined {
  const { bytes } = signed;
  const type = single(values.get(OID_HEX.contentType));
  const messageDigest = single(values.get(OID_HEX.messageDigest));
  if (type?.tag !== TAG.oid || messageDigest?.tag !== TAG.octetString)
    return 'its signed attributes lack a single contentType or messageDigest';
  if (!Buffer.from(oid(bytes, type, 'contentType')).equals(signed.eContentType))
    return 'its contentType attribute is not its content’s type';
  if (!digest.equals(bytes.subarray(messageDigest.contentStart, messageDigest.contentEnd))) return MISMATCH;
  if (!values.has(OID_HEX.signingTime)) return undefined;
  const signingTime = single(values.get(OID_HEX.signingTime));
  if (!signingTime) return 'its signingTime attribute has more than one value';
  try {
    time(bytes, signingTime, 'signingTime');
    return undefined;
  } catch {
    return 'its signingTime attribute is not a time';
  }
}

function single(items: Element[] | undefined): Element | undefined {
  return items?.length === 1 ? items[0] : undefined;
}

function describe(cert: X509Certificate): MdmSignature {
  return {
    certificatePem: cert.toString(),
    certificateDer: Buffer.from(cert.raw),
    fingerprintSha256: cert.fingerprint256,
    subject: subjectString(cert),
  };
}

export function signatureInvalid(reason = MISMATCH): AppleProtocolError {
  return new AppleProtocolError('SIGNATURE_INVALID', `The Mdm-Signature does not verify: ${reason}.`);
}

export function malformedSignature(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError(
    'MALFORMED_CMS',
    `The Mdm-Signature header is not a valid signature: ${reason}.`,
    { cause },
  );
}
