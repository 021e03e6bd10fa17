/**
 * CMS-signs an enrollment profile (docs/protocol/enrollment.md#the-second-request-and-the-profile: Apple's
 * example is unsigned, but Fleet and Zentral sign; a
 * signature by a certificate the device trusts avoids "Not Verified"). RFC 5652 SignedData, attached
 * content (devices install `application/x-apple-aspen-config` bodies that are either a plain plist or a
 * signed one with the plist inside), SHA-256, signed attributes contentType/signingTime/messageDigest,
 * signer certificate plus chain included so the device can build the path without fetching anything.
 * Encoded by hand as DER (a few TLVs) so certificates are embedded byte-for-byte; Node's crypto signs.
 */
import { createHash, createPrivateKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { OID, pemToDer } from './cms';
import { AppleProtocolError } from './errors';

export interface ProfileSigner {
  certificatePem: string;
  privateKeyPem: string;
  /** Intermediates (and optionally the root) to include, leaf's issuer first. */
  chainPems?: string[];
}

const SHA256 = '2.16.840.1.101.3.4.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export function signProfile(xml: string | Uint8Array, signer: ProfileSigner): Buffer {
  const content = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : Buffer.from(xml);
  const { leaf, chain, key } = loadSigner(signer);

  const sha256 = seq(oid(SHA256)); // parameters absent (RFC 5754 §2)
  const signedAttrs = setOf([
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.signingTime, asn1(new asn1js.UTCTime({ valueDate: new Date() }))),
    attribute(
      OID.messageDigest,
      asn1(new asn1js.OctetString({ valueHex: createHash('sha256').update(content).digest() })),
    ),
  ]);
  // RFC 5652 §5.4: the signature covers the DER of the attributes with the SET OF tag (0x31); in the
  // SignerInfo they are stored as [0] IMPLICIT (0xA0).
  const signature = sign('sha256', signedAttrs, key);
  const isEc = key.asymmetricKeyType === 'ec';
  const signerInfo = seq(
    int(1), // sid = issuerAndSerialNumber → version 1
    seq(issuerOf(leaf), serialOf(leaf)),
    sha256,
    Buffer.concat([Buffer.from([0xa0]), signedAttrs.subarray(1)]),
    isEc ? seq(oid(ECDSA_WITH_SHA256)) : seq(oid(RSA_ENCRYPTION), asn1(new asn1js.Null())),
    asn1(new asn1js.OctetString({ valueHex: signature })),
  );
  const signedData = seq(
    int(1),
    tlv(0x31, sha256),
    seq(oid(OID.data), tlv(0xa0, asn1(new asn1js.OctetString({ valueHex: content })))),
    tlv(0xa0, leaf, ...chain), // certificates [0] IMPLICIT SET OF
    tlv(0x31, signerInfo),
  );
  return seq(oid(OID.signedData), tlv(0xa0, signedData));
}

function loadSigner(signer: ProfileSigner): { leaf: Buffer; chain: Buffer[]; key: KeyObject } {
  const cert = (pem: string) => {
    const der = pemToDer(pem, 'CERTIFICATE');
    if (!der) throw invalidSigner('a certificate is not PEM');
    return Buffer.from(der);
  };
  const leaf = cert(signer.certificatePem);
  const chain = (signer.chainPems ?? []).map(cert);
  let key: KeyObject;
  try {
    key = createPrivateKey(signer.privateKeyPem);
  } catch (cause) {
    throw invalidSigner('the private key is not readable', cause);
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec')
    throw invalidSigner(`key type ${key.asymmetricKeyType} is not supported (use RSA or EC)`);
  let matches: boolean;
  try {
    matches = new X509Certificate(leaf).checkPrivateKey(key);
  } catch (cause) {
    throw invalidSigner('the certificate is not valid X.509', cause);
  }
  if (!matches) throw invalidSigner('the private key does not belong to the certificate');
  return { leaf, chain, key };
}

/** The issuer Name and serial INTEGER, byte-for-byte from the certificate's TBS. */
function issuerOf(certDer: Buffer): Buffer {
  return tbsField(certDer, 3);
}
function serialOf(certDer: Buffer): Buffer {
  return tbsField(certDer, 1);
}
function tbsField(certDer: Buffer, index: number): Buffer {
  const tbs = asn1js.fromBER(certDer).result.valueBlock as unknown as { value?: asn1js.BaseBlock[] };
  const fields = (tbs.value?.[0]?.valueBlock as { value?: asn1js.BaseBlock[] } | undefined)?.value ?? [];
  // TBSCertificate: [0] EXPLICIT version (absent in v1), serialNumber, signature, issuer, … (RFC 5280 §4.1).
  const shift = fields[0]?.idBlock.tagClass === 3 ? 0 : 1;
  const field = fields[index - shift];
  if (!field) throw invalidSigner('the certificate is not X.509');
  const { valueBeforeDecodeView } = field as unknown as { valueBeforeDecodeView: Uint8Array };
  return Buffer.from(valueBeforeDecodeView);
}

function attribute(type: string, value: Buffer): Buffer {
  return seq(oid(type), tlv(0x31, value));
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6). */
function setOf(items: Buffer[]): Buffer {
  return tlv(0x31, ...[...items].sort(Buffer.compare));
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len =
    n < 0x80
      ? Buffer.from([n])
      : (() => {
          const bytes = Buffer.from(
            n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'),
            'hex',
          );
          return Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
        })();
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const asn1 = (block: asn1js.BaseBlock) => Buffer.from(block.toBER());
const oid = (value: string) => asn1(new asn1js.ObjectIdentifier({ value }));
const int = (value: number) => asn1(new asn1js.Integer({ value }));

function invalidSigner(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError('INVALID_KEY', `The profile signing identity cannot be used: ${reason}.`, {
    cause,
  });
}
