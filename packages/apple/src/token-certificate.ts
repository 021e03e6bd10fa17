/**
 * Key pair + self-signed certificate for a new ADE server token. The admin uploads the certificate (PEM)
 * to the MDM server in Apple Business Manager / Apple School Manager; Apple encrypts the token `.p7m` to it
 * and we decrypt with the private key (server-token.ts). Apple: "Authenticating for Automated Device
 * Enrollment" (https://developer.apple.com/documentation/devicemanagement/authenticating-for-automated-device-enrollment);
 * docs/protocol/apple-business-manager.md#server-tokens step 1. Same profile as nanodep tokenpki/cert.go: RSA-2048, KeyUsage keyEncipherment +
 * digitalSignature, self-signed. Apple reportedly does not check the validity period (Fleet uses 10 days);
 * micromdm used 365 days, our default.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export interface TokenCertificateOptions {
  /** Subject and issuer CN. */
  commonName?: string;
  validityDays?: number;
  /** Start of validity; default now minus 10 minutes (clock skew). */
  notBefore?: Date;
}

export interface TokenCertificate {
  certificatePem: string;
  /** PKCS #8 PEM ("BEGIN PRIVATE KEY"); store it as a secret. */
  privateKeyPem: string;
  notAfter: Date;
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

export function generateTokenCertificate(options: TokenCertificateOptions = {}): TokenCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
  });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // Whole seconds: that is all UTCTime/GeneralizedTime carry here, so `notAfter` matches the certificate.
  const notBefore = new Date(
    Math.floor((options.notBefore?.getTime() ?? Date.now() - 10 * 60 * 1000) / 1000) * 1000,
  );
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 365) * 24 * 60 * 60 * 1000);

  const cert = new pkijs.Certificate();
  cert.version = 2; // X.509 v3
  // 16 random bytes, top bit cleared so the INTEGER stays positive (RFC 5280 §4.1.2.2: ≤ 20 octets).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  const name = [
    new pkijs.AttributeTypeAndValue({
      type: '2.5.4.3',
      value: new asn1js.Utf8String({ value: options.commonName ?? 'ADE Cloud server token' }),
    }),
  ];
  cert.subject.typesAndValues = name;
  cert.issuer.typesAndValues = name;
  cert.notBefore = time(notBefore);
  cert.notAfter = time(notAfter);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(spki);

  // KeyUsage digitalSignature (bit 0) + keyEncipherment (bit 2) = 1010 0000, 5 unused bits; critical.
  const keyUsage = new asn1js.BitString({ valueHex: new Uint8Array([0xa0]), unusedBits: 5 });
  // Subject key identifier: SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1).
  const keyBits = cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  const ski = new asn1js.OctetString({ valueHex: createHash('sha1').update(keyBits).digest() });
  cert.extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.15',
      critical: true,
      extnValue: keyUsage.toBER(),
      parsedValue: keyUsage,
    }),
    new pkijs.Extension({ extnID: '2.5.29.14', critical: false, extnValue: ski.toBER(), parsedValue: ski }),
  ];

  const algorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: SHA256_WITH_RSA,
    algorithmParams: new asn1js.Null(),
  });
  cert.signature = algorithm;
  cert.signatureAlgorithm = algorithm;
  const tbs = cert.encodeTBS().toBER();
  cert.tbsView = new Uint8Array(tbs);
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', Buffer.from(tbs), privateKey) });

  return {
    certificatePem: pem('CERTIFICATE', cert.toSchema().toBER()),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notAfter,
  };
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
