/**
 * A tenant's own small PKI: one CA per tenant that issues (a) MDM identity certificates, delivered in the
 * enrollment profile's `com.apple.security.pkcs12` payload (docs/protocol/profile.md#the-identity-payload;
 * the mTLS / `Mdm-Signature` identity of docs/protocol/mdm.md#transport-and-authentication), and (b) the
 * certificate that CMS-signs enrollment profiles (docs/protocol/enrollment.md#the-second-request-and-the-profile).
 *
 * Keys are RSA-2048: every Apple OS that can do account-driven enrollment (iOS 15+, macOS 14+) imports
 * RSA identities from PKCS #12, Apple's own SCEP example uses `Key Type` RSA / `Keysize` 2048
 * (docs/protocol/profile.md#the-identity-payload),
 * and micromdm/nanomdm/Fleet use RSA-2048 identities. EC identities in PKCS #12 are accepted by current
 * OSes too, but RSA is the form every client verified with. Certificates are built like
 * token-certificate.ts (pkijs structure, Node's crypto signs) — sha256WithRSAEncryption, synchronous.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pemToDer } from './cms';
import { AppleProtocolError } from './errors';

export interface PemKeyPair {
  certificatePem: string;
  /** PKCS #8 PEM ("BEGIN PRIVATE KEY"); a secret. */
  privateKeyPem: string;
}
export type CertificateAuthority = PemKeyPair;
export type IssuedCertificate = PemKeyPair;

export interface CreateCertificateAuthorityOptions {
  commonName: string;
  /** Default 10 years. Leaf certificates must expire before the CA does. */
  validityYears?: number;
}

/** `identity`: device MDM identity (TLS client + CMS signer). `signing`: profile signing (CMS only). */
export type CertificateUsage = 'identity' | 'signing';

export interface IssueCertificateOptions {
  ca: CertificateAuthority;
  commonName: string;
  usage: CertificateUsage;
  validityDays: number;
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export function createCertificateAuthority(options: CreateCertificateAuthorityOptions): CertificateAuthority {
  const commonName = requireName(options.commonName);
  const years = options.validityYears ?? 10;
  if (!Number.isInteger(years) || years < 1 || years > 30) throw invalid('validityYears must be 1–30');
  const { publicKey, privateKey } = rsaKeyPair();
  const name = rdn(commonName);
  const cert = tbs(name, name, publicKey, years * 365 * DAY_MS);
  const ski = keyIdentifier(cert);
  cert.extensions = [
    // RFC 5280 §4.2.1.9: cA=TRUE must be critical in CA certificates; no path length limit needed.
    ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true }).toSchema()),
    // keyCertSign (bit 5) + cRLSign (bit 6) = 0000 0110, 1 unused bit.
    ext(OID.keyUsage, true, new asn1js.BitString({ valueHex: new Uint8Array([0x06]), unusedBits: 1 })),
    ext(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: ski })),
  ];
  return finish(cert, privateKey, privateKey);
}

export function issueCertificate(options: IssueCertificateOptions): IssuedCertificate {
  const commonName = requireName(options.commonName);
  const { validityDays, usage } = options;
  if (!Number.isInteger(validityDays) || validityDays < 1) throw invalid('validityDays must be ≥ 1');
  if (usage !== 'identity' && usage !== 'signing') throw invalid('usage must be "identity" or "signing"');
  const { caCert, caKey } = loadCa(options.ca);
  const caNotAfter = caCert.notAfter.value.getTime();
  if (Date.now() + validityDays * DAY_MS > caNotAfter)
    throw invalid('the certificate would outlive its CA; shorten validityDays or renew the CA');

  const { publicKey, privateKey } = rsaKeyPair();
  const cert = tbs(rdn(commonName), caCert.subject, publicKey, validityDays * DAY_MS);
  const caSki = keyIdentifier(caCert);
  const extensions = [
    ext(OID.basicConstraints, false, new pkijs.BasicConstraints({ cA: false }).toSchema()),
    // identity: digitalSignature (bit 0) + keyEncipherment (bit 2) = 1010 0000 — what SCEP `Key Usage` 5 asks
    // for (docs/protocol/profile.md#the-identity-payload) and what TLS-RSA client auth needs. signing: digitalSignature only = 1000 0000.
    ext(
      OID.keyUsage,
      true,
      usage === 'identity'
        ? new asn1js.BitString({ valueHex: new Uint8Array([0xa0]), unusedBits: 5 })
        : new asn1js.BitString({ valueHex: new Uint8Array([0x80]), unusedBits: 7 }),
    ),
    ext(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyIdentifier(cert) })),
    ext(
      OID.authorityKeyIdentifier,
      false,
      new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: caSki }),
      }).toSchema(),
    ),
  ];
  // identity: clientAuth, because the device presents it for mTLS to ServerURL/CheckInURL
  // (docs/protocol/mdm.md#transport-and-authentication).
  // signing: no EKU at all on purpose — an absent EKU is unrestricted (RFC 5280 §4.2.1.12); Apple does not
  // require emailProtection/codeSigning for profile signatures (publicly trusted TLS certs are commonly used),
  // and OpenSSL's S/MIME purpose check also passes when the extension is absent.
  if (usage === 'identity')
    extensions.push(
      ext(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.clientAuth] }).toSchema()),
    );
  cert.extensions = extensions;
  return finish(cert, caKey, privateKey);
}

/** Parses and checks a CA pair: PEMs readable, key matches certificate, certificate is a CA. */
export function loadCa(ca: CertificateAuthority): { caCert: pkijs.Certificate; caKey: KeyObject } {
  try {
    const der = pemToDer(ca.certificatePem, 'CERTIFICATE');
    if (!der) throw new Error('no PEM certificate');
    const x509 = new X509Certificate(Buffer.from(der));
    const caKey = createPrivateKey(ca.privateKeyPem);
    if (!x509.ca) throw new Error('the certificate is not a CA (basicConstraints cA)');
    if (!x509.checkPrivateKey(caKey)) throw new Error('the private key does not belong to the certificate');
    return { caCert: pkijs.Certificate.fromBER(der), caKey };
  } catch (cause) {
    throw new AppleProtocolError(
      'INVALID_KEY',
      `The tenant CA cannot be used: ${(cause as Error).message}.`,
      { cause },
    );
  }
}

function rsaKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
}

function rdn(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID.commonName,
        value: new asn1js.Utf8String({ value: commonName }),
      }),
    ],
  });
}

/** Unsigned certificate body; notBefore 10 minutes back for device clock skew (as token-certificate.ts). */
function tbs(
  subject: pkijs.RelativeDistinguishedNames,
  issuer: pkijs.RelativeDistinguishedNames,
  publicKey: KeyObject,
  lifetimeMs: number,
): pkijs.Certificate {
  const notBefore = new Date(Math.floor((Date.now() - 10 * 60 * 1000) / 1000) * 1000);
  const cert = new pkijs.Certificate();
  cert.version = 2; // X.509 v3
  // 16 random bytes, top bit cleared so the INTEGER stays positive (RFC 5280 §4.1.2.2: ≤ 20 octets).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.subject = subject;
  cert.issuer = issuer;
  cert.notBefore = time(notBefore);
  cert.notAfter = time(new Date(notBefore.getTime() + lifetimeMs));
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(publicKey.export({ type: 'spki', format: 'der' }));
  return cert;
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1). */
function keyIdentifier(cert: pkijs.Certificate): Buffer {
  return createHash('sha1')
    .update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest();
}

function ext(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}

function finish(cert: pkijs.Certificate, signerKey: KeyObject, subjectKey: KeyObject): PemKeyPair {
  const algorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: SHA256_WITH_RSA,
    algorithmParams: new asn1js.Null(),
  });
  cert.signature = algorithm;
  cert.signatureAlgorithm = algorithm;
  const body = cert.encodeTBS().toBER();
  cert.tbsView = new Uint8Array(body);
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', Buffer.from(body), signerKey) });
  return {
    certificatePem: toPem('CERTIFICATE', cert.toSchema().toBER()),
    privateKeyPem: subjectKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der as Uint8Array)
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function requireName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 64)
    throw invalid('commonName must be 1–64 characters'); // X.520 ub-common-name = 64
  return name;
}

function invalid(reason: string): AppleProtocolError {
  return new AppleProtocolError('INVALID_CERTIFICATE_INPUT', `Cannot create the certificate: ${reason}.`);
}
