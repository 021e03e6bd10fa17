/**
 * Test support only: the `Mdm-Signature` verifier as it was before the fast path (pkijs/asn1js parse,
 * signed-data.ts's checks), kept unchanged as the reference the fast verifier (mdm-signature.ts) is proven
 * against in mdm-signature.test.ts. The header handling and the errors are the production module's.
 */
import * as pkijs from 'pkijs';
import { OID, parseContentInfo, subjectString } from '../cms';
import { AppleProtocolError, type AppleProtocolErrorCode } from '../errors';
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

/**
 * What one verifier made of an input: the signer, or the error's code and message. `CRASH` is the
 * reference throwing something other than an AppleProtocolError (pkijs objects of an unexpected type: a
 * TypeError, which production answered with a 500); the fast verifier must never do that.
 */
export type VerifierOutcome =
  | { accepted: true; signature: MdmSignature }
  | { accepted: false; code: AppleProtocolErrorCode | 'CRASH'; message: string };

/** Runs `verify` and captures its outcome; a non-protocol error is thrown on unless `crash` is 'record'. */
export function outcomeOf(
  verify: typeof verifyMdmSignatureReference,
  header: string | readonly string[] | undefined,
  body: Uint8Array,
  crash: 'throw' | 'record' = 'throw',
): VerifierOutcome {
  try {
    return { accepted: true, signature: verify(header, body) };
  } catch (error) {
    if (error instanceof AppleProtocolError)
      return { accepted: false, code: error.code, message: error.message };
    if (crash === 'record') return { accepted: false, code: 'CRASH', message: String(error) };
    throw new Error(`the verifier threw a non-protocol error for a ${String(header).length}-char header`, {
      cause: error,
    });
  }
}

/**
 * Both verifiers on one input, and whether they agree: both refuse, or both accept the same signer. The
 * fast verifier throwing anything but an AppleProtocolError is thrown on; the reference's crashes count
 * as refusals (code `CRASH`).
 */
export function compareVerifiers(
  fast: typeof verifyMdmSignatureReference,
  header: string | readonly string[] | undefined,
  body: Uint8Array,
): { fast: VerifierOutcome; reference: VerifierOutcome; agree: boolean } {
  const ours = outcomeOf(fast, header, body);
  const reference = outcomeOf(verifyMdmSignatureReference, header, body, 'record');
  const agree =
    ours.accepted && reference.accepted
      ? ours.signature.certificateDer.equals(reference.signature.certificateDer) &&
        ours.signature.fingerprintSha256 === reference.signature.fingerprintSha256 &&
        ours.signature.subject === reference.signature.subject &&
        ours.signature.certificatePem === reference.signature.certificatePem
      : ours.accepted === reference.accepted;
  return { fast: ours, reference, agree };
}
