/**
 * The device's `Mdm-Signature`, made in-process with node:crypto (no openssl subprocess), for load runs
 * (`pnpm bench:checkin`) where thousands of messages are signed. Shaped like an Apple device's SignedData
 * (the enrollment capture): outer layers in BER with indefinite lengths, detached content, the identity
 * certificate, signed attributes contentType, signingTime and messageDigest, SHA-256. The functional tests
 * keep device-crypto.ts's openssl signatures (independent of our code); this signer is checked against
 * openssl and both verifiers in test/simulator/signature-agreement.test.ts.
 */
import { createHash, createPrivateKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { children, expectTag, readRoot, TAG } from '@ade/apple/der';
import type { PemIdentity } from './device-crypto.ts';

const OID = {
  signedData: '2a864886f70d010702',
  data: '2a864886f70d010701',
  sha256: '608648016503040201',
  sha256WithRsa: '2a864886f70d01010b',
  ecdsaWithSha256: '2a8648ce3d040302',
  contentType: '2a864886f70d010903',
  signingTime: '2a864886f70d010905',
  messageDigest: '2a864886f70d010904',
};

/** A prepared identity: parse the certificate and key once, sign many bodies. */
export interface DeviceSigner {
  sign(body: Uint8Array, at?: Date): string;
}

export function deviceSigner(identity: PemIdentity): DeviceSigner {
  const cert = new X509Certificate(identity.certificatePem);
  const key = createPrivateKey(identity.privateKeyPem);
  const certificate = Buffer.from(cert.raw);
  const issuerAndSerial = tlv(TAG.sequence, ...issuerAndSerialOf(certificate));
  const ec = key.asymmetricKeyType === 'ec';
  const signatureAlgorithm = ec
    ? tlv(TAG.sequence, oid(OID.ecdsaWithSha256))
    : tlv(TAG.sequence, oid(OID.sha256WithRsa), NULL);
  const digestAlgorithm = tlv(TAG.sequence, oid(OID.sha256), NULL);
  return {
    sign(body, at = new Date()) {
      const attributes = [
        attribute(OID.contentType, oid(OID.data)),
        attribute(OID.signingTime, utcTime(at)),
        attribute(OID.messageDigest, tlv(TAG.octetString, createHash('sha256').update(body).digest())),
      ];
      const signature = signWith(key, Buffer.concat([tlvHeader(TAG.set, sum(attributes)), ...attributes]));
      const signerInfo = tlv(
        TAG.sequence,
        integer(1),
        issuerAndSerial,
        digestAlgorithm,
        tlv(TAG.context(0), ...attributes),
        signatureAlgorithm,
        tlv(TAG.octetString, signature),
      );
      const signedData = indefinite(
        TAG.sequence,
        integer(1),
        tlv(TAG.set, digestAlgorithm),
        indefinite(TAG.sequence, oid(OID.data)),
        tlv(TAG.context(0), certificate),
        tlv(TAG.set, signerInfo),
      );
      const contentInfo = indefinite(
        TAG.sequence,
        oid(OID.signedData),
        indefinite(TAG.context(0), signedData),
      );
      return contentInfo.toString('base64');
    },
  };
}

function signWith(key: KeyObject, data: Buffer): Buffer {
  return key.asymmetricKeyType === 'ec'
    ? sign('sha256', data, { key, dsaEncoding: 'der' })
    : sign('sha256', data, key);
}

/** The certificate's issuer Name and serialNumber encodings (TBSCertificate fields 3/4 or 2/3). */
function issuerAndSerialOf(certificate: Buffer): [Buffer, Buffer] {
  const root = readRoot(certificate);
  const [tbs] = children(certificate, root);
  const fields = children(certificate, expectTag(tbs, TAG.sequence, 'TBSCertificate'));
  const at = fields[0]?.tag === TAG.context(0) ? 1 : 0;
  const serial = fields[at]!;
  const issuer = fields[at + 2]!;
  return [certificate.subarray(issuer.start, issuer.end), certificate.subarray(serial.start, serial.end)];
}

const NULL = Buffer.from([TAG.null, 0]);

function attribute(type: string, value: Buffer): Buffer {
  return tlv(TAG.sequence, oid(type), tlv(TAG.set, value));
}

function oid(hex: string): Buffer {
  return tlv(TAG.oid, Buffer.from(hex, 'hex'));
}

function integer(value: number): Buffer {
  return tlv(TAG.integer, Buffer.from([value]));
}

function utcTime(at: Date): Buffer {
  const text = at.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(TAG.utcTime, Buffer.from(`${text}Z`, 'latin1'));
}

function sum(parts: readonly Buffer[]): number {
  return parts.reduce((total, part) => total + part.length, 0);
}

function tlvHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([tag, 0x80 | octets.length, ...octets]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  return Buffer.concat([tlvHeader(tag, sum(parts)), ...parts]);
}

/** BER's indefinite length, as Apple devices write their SignedData's outer layers. */
function indefinite(tag: number, ...parts: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([tag, 0x80]), ...parts, Buffer.from([0, 0])]);
}
