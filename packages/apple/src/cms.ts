/**
 * Small CMS (RFC 5652) / X.509 helpers shared by the enrollment-request and server-token modules.
 * Parsing is pkijs + asn1js (they read BER, including the indefinite lengths Apple devices and Apple's
 * token files use); the cryptography itself is Node's `crypto`.
 */
import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export { decodeBase64Strict, pemToDer, subjectString } from './encoding';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

/** Parses one complete BER/DER ContentInfo; throws a plain Error with a reason (callers map it). */
export function parseContentInfo(der: Uint8Array): pkijs.ContentInfo {
  if (der.byteLength === 0) throw new Error('it is empty');
  const asn = asn1js.fromBER(der);
  if (asn.offset === -1 || asn.result.error) throw new Error(`it is not valid ASN.1 (${asn.result.error})`);
  if (asn.offset !== der.byteLength) throw new Error('it has trailing data after the ASN.1 structure');
  try {
    return new pkijs.ContentInfo({ schema: asn.result });
  } catch {
    throw new Error('it is not a CMS ContentInfo');
  }
}

/** Exact DER of a parsed certificate (pkijs keeps the original TBS bytes, so signatures still verify). */
export function toX509(cert: pkijs.Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(cert.toSchema().toBER()));
}

export function certificateFromDer(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

/**
 * Does a CMS recipient/signer identifier (`IssuerAndSerialNumber` or `[0] SubjectKeyIdentifier`) name
 * this certificate?
 */
export function identifierMatches(id: unknown, cert: pkijs.Certificate): boolean {
  if (id instanceof pkijs.IssuerAndSerialNumber) {
    return cert.issuer.isEqual(id.issuer) && cert.serialNumber.isEqual(id.serialNumber);
  }
  const keyId = keyIdentifierBytes(id);
  const ski = cert.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier)?.parsedValue;
  if (keyId === undefined || !(ski instanceof asn1js.OctetString)) return false;
  return Buffer.from(ski.valueBlock.valueHexView).equals(keyId);
}

function keyIdentifierBytes(id: unknown): Buffer | undefined {
  if (id instanceof asn1js.OctetString) return Buffer.from(id.valueBlock.valueHexView);
  if (id instanceof asn1js.Constructed) {
    const inner = id.valueBlock.value[0];
    if (inner instanceof asn1js.OctetString) return Buffer.from(inner.valueBlock.valueHexView);
  }
  if (id instanceof asn1js.Primitive) return Buffer.from(id.valueBlock.valueHexView);
  return undefined;
}
