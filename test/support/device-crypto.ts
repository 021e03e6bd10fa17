/**
 * The simulated device's cryptography, done by the openssl CLI so that it is independent of the
 * server's code: the detached `Mdm-Signature` over each body, and opening CMS-signed profiles.
 */
import { parseContentInfo } from '@ade/apple/cms';
import { workdir } from '@ade/apple/testing/tools';

export interface PemIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

/** Base64 of a detached CMS SignedData over `body` (what the device puts in `Mdm-Signature`). */
export function signDetached(body: Uint8Array, signer: PemIdentity): string {
  const w = workdir('ade-sign-');
  try {
    w.write('body', body);
    w.write('id.pem', signer.certificatePem);
    w.write('id.key', signer.privateKeyPem);
    const args = ['cms', '-sign', '-binary', '-in', 'body', '-signer', 'id.pem', '-inkey', 'id.key'];
    return w.openssl([...args, '-outform', 'DER']).toString('base64');
  } finally {
    w.remove();
  }
}

export interface OpenedProfile {
  content: Buffer;
  /** openssl's `subject=…` line for the signer. */
  signerSubject: string;
  /** Every certificate the CMS carries (signer first as openssl lists them), PEM. */
  certificatePems: string[];
}

/**
 * Verifies a CMS-signed profile and returns its content. Without `trustPems` only the signature is checked
 * (against the certificate it carries); with them the signer must also chain to one of those certificates.
 */
export function openSignedProfile(der: Uint8Array, trustPems?: readonly string[]): OpenedProfile {
  const w = workdir('ade-profile-');
  try {
    w.write('profile.der', der);
    const trust = trustPems
      ? ['-CAfile', w.write('trust.pem', trustPems.join('\n')), '-purpose', 'any']
      : ['-noverify'];
    w.openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      'profile.der',
      ...trust,
      '-out',
      'profile.plist',
      '-signer',
      'signer.pem',
      '-certsout',
      'certs.pem',
    ]);
    return {
      content: w.read('profile.plist'),
      signerSubject: w.openssl(['x509', '-in', 'signer.pem', '-noout', '-subject']).toString().trim(),
      certificatePems: splitPems(w.read('certs.pem').toString('utf8')),
    };
  } finally {
    w.remove();
  }
}

/** The attached content of a CMS SignedData, without checking anything (for load runs). */
export function signedContent(der: Uint8Array): Buffer {
  interface Asn1Block {
    valueBlock: { value: Asn1Block[] };
    getValue?: () => ArrayBuffer;
  }
  const signedData = parseContentInfo(der).content as Asn1Block;
  const eContent = signedData.valueBlock.value[2]?.valueBlock.value[1]?.valueBlock.value[0];
  if (!eContent?.getValue) throw new Error('the profile has no attached content');
  // A constructed (BER, chunked) OCTET STRING is concatenated by getValue().
  return Buffer.from(eContent.getValue());
}

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}
