/**
 * Verification of a CMS SignedData signer (RFC 5652 §5.4, §5.6) with Node's crypto, which — unlike Go's
 * stdlib or WebCrypto defaults — still accepts SHA-1. Apple devices sign enrollment requests with
 * SHA-1 / sha1WithRSAEncryption and an RSA-1024 key (docs/protocol/enrollment.md#the-first-request), so SHA-1 must be allowed here; the
 * result is plausibility information, not attestation (see device-chain.ts).
 */
import { createHash, verify, type X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { identifierMatches, OID, toX509 } from './cms';

const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** RSASSA-PSS needs explicit parameters we do not parse; devices never use it. */
const RSASSA_PSS = '1.2.840.113549.1.1.10';

export interface SignerCheck {
  /** Signature over the signed attributes verifies and messageDigest/contentType match the content. */
  valid: boolean;
  /** The certificate named by the first SignerInfo, when the message includes it. */
  signer?: X509Certificate;
  signingTime?: Date;
}

/** The certificates a SignedData carries, each with its Node counterpart; unreadable ones are skipped. */
export function includedCertificates(
  signedData: pkijs.SignedData,
): { pkijs: pkijs.Certificate; x509: X509Certificate }[] {
  return (signedData.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .flatMap((c) => {
      try {
        return [{ pkijs: c, x509: toX509(c) }];
      } catch {
        return [];
      }
    });
}

/**
 * Checks the first SignerInfo (devices sign once) against `content` using the certificate the SignerInfo
 * names among `certs` (pkijs objects and their Node counterparts, same order). Never throws: anything
 * unexpected is an invalid signature.
 */
export function checkFirstSigner(
  signedData: pkijs.SignedData,
  content: Uint8Array,
  certs: readonly { pkijs: pkijs.Certificate; x509: X509Certificate }[],
): SignerCheck {
  const info = signedData.signerInfos[0];
  if (!info) return { valid: false };
  const signer = certs.find((c) => identifierMatches(info.sid, c.pkijs))?.x509;
  const result: SignerCheck = { valid: false };
  if (signer) result.signer = signer;
  try {
    const hash = DIGESTS[info.digestAlgorithm.algorithmId];
    if (!signer || !hash || info.signatureAlgorithm.algorithmId === RSASSA_PSS) return result;
    let signedBytes: Uint8Array = content;
    if (info.signedAttrs) {
      // With signed attributes the signature covers their DER encoding as a SET OF (tag 0x31); pkijs keeps
      // the original bytes with the tag already rewritten. They must bind the content (§5.4, §11.1, §11.2).
      const attrs = info.signedAttrs.attributes;
      const digest = attrs.find((a) => a.type === OID.messageDigest)?.values[0];
      const type = attrs.find((a) => a.type === OID.contentType)?.values[0];
      const time = attrs.find((a) => a.type === OID.signingTime)?.values[0];
      if (time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime)
        result.signingTime = time.toDate();
      if (!(digest instanceof asn1js.OctetString) || !(type instanceof asn1js.ObjectIdentifier))
        return result;
      if (type.valueBlock.toString() !== signedData.encapContentInfo.eContentType) return result;
      const actual = createHash(hash).update(content).digest();
      if (!actual.equals(Buffer.from(digest.valueBlock.valueHexView))) return result;
      signedBytes = new Uint8Array(info.signedAttrs.encodedValue);
    }
    result.valid = verify(
      hash,
      signedBytes,
      signer.publicKey,
      Buffer.from(info.signature.valueBlock.valueHexView),
    );
  } catch {
    result.valid = false;
  }
  return result;
}
