/**
 * A tenant's APNs MDM push certificate ("MDM Vendor" flow → Apple Push Certificates Portal,
 * https://identity.apple.com) and the private key of the CSR it was issued for. The APNs topic that goes
 * into the enrollment profile's `com.apple.mdm` `Topic` (docs/protocol/profile.md#the-mdm-payload,
 * docs/protocol/test-vectors.md#tv-8-second-request-byod: "Topic starts with
 * com.apple.mgmt.") is the certificate subject's UID attribute (OID 0.9.2342.19200300.100.1.1), e.g.
 * `UID=com.apple.mgmt.External.<uuid>, CN=APSP:<uuid>, C=US` — the same place NanoMDM/MicroMDM read it.
 * Checks refuse what would only fail later and silently (pushes rejected by APNs): wrong kind of
 * certificate, expired / not yet valid, key of a different certificate.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pemToDer, subjectString } from './cms';
import { AppleProtocolError } from './errors';

const UID_OID = '0.9.2342.19200300.100.1.1';
export const MDM_TOPIC_PREFIX = 'com.apple.mgmt.';

export interface PushCertificate {
  /** APNs topic, e.g. `com.apple.mgmt.External.2b9e…`. */
  topic: string;
  notBefore: Date;
  notAfter: Date;
  /** e.g. `UID=com.apple.mgmt.External.…, CN=APSP:…, C=US`. */
  subject: string;
  /** Node's format (uppercase hex pairs joined by `:`), like `APPLE_ROOT_CA_SHA256`. */
  fingerprintSha256: string;
}

export interface ParsePushCertificateOptions {
  /** Time to check validity against; default now. */
  now?: Date;
}

/**
 * `certificatePem`: the portal's download (PEM); if it holds a chain, the first certificate is the push
 * certificate. `privateKeyPem`: unencrypted PKCS #8 or PKCS #1 PEM.
 */
export function parsePushCertificate(
  certificatePem: string,
  privateKeyPem: string,
  options: ParsePushCertificateOptions = {},
): PushCertificate {
  const der = pemToDer(certificatePem, 'CERTIFICATE');
  if (!der) throw badPem('the certificate is not a PEM "CERTIFICATE"');
  let x509: X509Certificate;
  let cert: pkijs.Certificate;
  try {
    x509 = new X509Certificate(der);
    cert = pkijs.Certificate.fromBER(der);
  } catch (cause) {
    throw badPem('the certificate cannot be parsed', cause);
  }

  const topic = uid(cert);
  if (topic === undefined || !topic.startsWith(MDM_TOPIC_PREFIX) || topic === MDM_TOPIC_PREFIX) {
    throw new AppleProtocolError(
      'NOT_A_PUSH_CERTIFICATE',
      `This is not an Apple MDM push certificate: its subject UID is ${
        topic === undefined ? 'missing' : `"${topic}"`
      }, not "${MDM_TOPIC_PREFIX}…". Download the MDM push certificate from https://identity.apple.com.`,
    );
  }

  const notBefore = cert.notBefore.value;
  const notAfter = cert.notAfter.value;
  const now = options.now ?? new Date();
  if (now.getTime() > notAfter.getTime()) {
    throw new AppleProtocolError(
      'CERTIFICATE_EXPIRED',
      `The push certificate expired on ${notAfter.toISOString()}. Renew it at https://identity.apple.com ` +
        '(renew, do not create a new one, or every device must re-enroll) and upload the renewed certificate.',
    );
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new AppleProtocolError(
      'CERTIFICATE_NOT_YET_VALID',
      `The push certificate is valid only from ${notBefore.toISOString()}. Check the server clock.`,
    );
  }

  const key = privateKey(privateKeyPem);
  if (!x509.checkPrivateKey(key)) throw new AppleProtocolError('KEY_MISMATCH');

  return { topic, notBefore, notAfter, subject: subjectString(x509), fingerprintSha256: x509.fingerprint256 };
}

/** The first UID attribute of the subject, whatever its string type (UTF8String, IA5String, …). */
function uid(cert: pkijs.Certificate): string | undefined {
  const value = cert.subject.typesAndValues.find((t) => t.type === UID_OID)?.value;
  if (value instanceof asn1js.BaseStringBlock) return value.valueBlock.value;
  return undefined;
}

function privateKey(pem: string): KeyObject {
  // "BEGIN ENCRYPTED PRIVATE KEY" (PKCS #8) or "Proc-Type: 4,ENCRYPTED" (legacy PKCS #1).
  if (/ENCRYPTED/.test(pem)) throw badPem('the private key is encrypted; export it without a password');
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem))
    throw badPem('the private key is not a PEM "PRIVATE KEY"');
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw badPem('the private key cannot be read', cause);
  }
}

function badPem(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError('MALFORMED_PEM', `The push certificate upload is not usable: ${reason}.`, {
    cause,
  });
}
