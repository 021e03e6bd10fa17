/**
 * Test support only: the `Mdm-Signature` verifier as it was before the fast path (pkijs/asn1js parse,
 * signed-data.ts's checks), kept unchanged as the reference the fast verifier (mdm-signature.ts) is proven
 * against in mdm-signature.test.ts. The header handling and the errors are the production module's.
 */
import * as pkijs from 'pkijs';
import { OID, parseContentInfo, subjectString } from '../cms';
import { AppleProtocolError } from '../errors';
import {
  type MdmSignature,
  malformedSignature,
  readMdmSignatureHeader,
  signatureInvalid,
} from '../mdm-signature';
import { checkFirstSigner, includedCertificates } from '../signed-data';

export function verifyMdmSignatureReference(
  headerValue: string | readonly string[] | undefined,
  body: Uint8Array,
): MdmSignature {
  const der = readMdmSignatureHeader(headerValue);
  let signedData: pkijs.SignedData;
  try {
    const info = parseContentInfo(der);
    if (info.contentType !== OID.signedData) throw new Error('it is not CMS SignedData');
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch (cause) {
    throw malformedSignature(cause instanceof Error ? cause.message : 'it cannot be parsed', cause);
  }
  if (signedData.signerInfos.length === 0) throw malformedSignature('it has no signer');
  const attached = signedData.encapContentInfo.eContent;
  if (attached && !Buffer.from(attached.getValue()).equals(body)) throw signatureInvalid();

  const certs = includedCertificates(signedData);
  const check = checkFirstSigner(signedData, body, certs);
  if (!check.signer) throw new AppleProtocolError('SIGNER_CERTIFICATE_MISSING');
  if (!check.valid) throw signatureInvalid();
  const cert = check.signer;
  return {
    certificatePem: cert.toString(),
    certificateDer: Buffer.from(cert.raw),
    fingerprintSha256: cert.fingerprint256,
    subject: subjectString(cert),
  };
}
