/**
 * PKCS #12 (RFC 7292) for the enrollment profile's `com.apple.security.pkcs12` identity payload
 * (YAML mdm/profiles/com.apple.security.pkcs12.yaml: PayloadContent <data> + Password).
 *
 * Algorithm choice — the "legacy" profile on purpose: keys AND certificates encrypted with
 * pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 App. C), integrity HMAC-SHA-1 keyed by the PKCS #12 KDF.
 * OpenSSL 3's default (PBES2/PBKDF2/AES-256-CBC, SHA-256 MAC) is only read by Apple's SecPKCS12Import
 * on recent releases (reports point at iOS 17 / macOS 14); iOS/iPadOS 15–16 devices, still eligible for
 * BYOD (docs/protocol/os-versions.md#minimum-versions), fail with "MAC verification failed"/wrong password. 3DES/SHA-1 is read by every Apple OS
 * and by OpenSSL 3 without `-legacy` (only RC2-40 needs the legacy provider). The weaker cipher costs
 * nothing here: the password travels in the same profile (`Password`), so the profile's transport
 * (TLS) and signature are what protect the key, not the PKCS #12 encryption.
 * Iterations 2048 = OpenSSL's PKCS12_DEFAULT_ITER. Built with asn1js (DER), crypto is Node's.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  randomBytes,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import { pemToDer } from './cms';
import { AppleProtocolError } from './errors';

export interface Pkcs12Input {
  certificatePem: string;
  privateKeyPem: string;
  /** Issuer chain to include (e.g. the tenant CA) so the device can build the path. */
  caPem?: string | string[];
  password: string;
  /** Shown in Keychain Access / Settings › Profile › More Details. */
  friendlyName: string;
}

export interface Pkcs12Contents {
  /** Leaf first (the certificate whose localKeyId matches the key), then the others. */
  certificatePems: string[];
  privateKeyPem: string;
  friendlyName?: string;
}

export const PKCS12_ITERATIONS = 2048;
export const PKCS12_OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha1: '1.3.14.3.2.26',
} as const;

export function buildPkcs12(input: Pkcs12Input): Buffer {
  if (typeof input.password !== 'string' || input.password.length === 0)
    throw invalid('a non-empty password is required (Apple devices ask for it otherwise)');
  const leaf = pemToDer(input.certificatePem, 'CERTIFICATE');
  if (!leaf) throw invalid('certificatePem is not a PEM certificate');
  const chain = [input.caPem ?? []].flat().map((pem) => {
    const der = pemToDer(pem, 'CERTIFICATE');
    if (!der) throw invalid('caPem is not a PEM certificate');
    return der;
  });
  let pkcs8: Buffer;
  try {
    pkcs8 = createPrivateKey(input.privateKeyPem).export({ type: 'pkcs8', format: 'der' });
  } catch (cause) {
    throw new AppleProtocolError(
      'INVALID_PKCS12',
      'Cannot build the PKCS #12: the private key is not readable.',
      { cause },
    );
  }
  // localKeyId pairs key and certificate (SHA-1 of the certificate, like OpenSSL).
  const keyId = createHash('sha1').update(leaf).digest();
  const attrs = () => [
    attr(PKCS12_OID.friendlyName, new asn1js.BmpString({ value: input.friendlyName })),
    attr(PKCS12_OID.localKeyId, octets(keyId)),
  ];

  const certBags = [leaf, ...chain].map((der, i) =>
    bag(
      PKCS12_OID.certBag,
      seq(oid(PKCS12_OID.x509Certificate), explicit0(octets(der))),
      i === 0 ? attrs() : undefined,
    ),
  );
  const keySalt = randomBytes(8);
  const shrouded = seq(pbeAlgorithm(keySalt), octets(pbe(true, input.password, keySalt, pkcs8)));
  const certSalt = randomBytes(8);
  const certContent = pbe(true, input.password, certSalt, der(seq(...certBags)));
  const encryptedData = seq(
    new asn1js.Integer({ value: 0 }),
    seq(
      oid(PKCS12_OID.data),
      pbeAlgorithm(certSalt),
      new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: certContent }),
    ),
  );
  const authSafe = der(
    seq(
      seq(oid(PKCS12_OID.encryptedData), explicit0(encryptedData)),
      seq(
        oid(PKCS12_OID.data),
        explicit0(octets(der(seq(bag(PKCS12_OID.shroudedKeyBag, shrouded, attrs()))))),
      ),
    ),
  );
  const macSalt = randomBytes(8);
  const mac = createHmac('sha1', pkcs12Kdf(input.password, macSalt, 3, 20))
    .update(authSafe)
    .digest();
  const pfx = seq(
    new asn1js.Integer({ value: 3 }),
    seq(oid(PKCS12_OID.data), explicit0(octets(authSafe))),
    seq(
      seq(seq(oid(PKCS12_OID.sha1), new asn1js.Null()), octets(mac)),
      octets(macSalt),
      new asn1js.Integer({ value: PKCS12_ITERATIONS }),
    ),
  );
  return der(pfx);
}

/**
 * RFC 7292 App. B.2 key derivation with SHA-1 (u = 20, v = 64). `id` 1 = cipher key, 2 = IV, 3 = MAC key.
 * The password is a BMPString (UTF-16BE) with a two-byte NUL terminator.
 */
export function pkcs12Kdf(
  password: string,
  salt: Uint8Array,
  id: 1 | 2 | 3,
  length: number,
  iterations = PKCS12_ITERATIONS,
): Buffer {
  const v = 64;
  const u = 20;
  const pw = Buffer.from(`${password}\0`, 'utf16le').swap16();
  const fill = (src: Uint8Array) => {
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(pw)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let done = 0; done < length; done += u) {
    let A = createHash('sha1').update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash('sha1').update(A).digest();
    out.push(A);
    const B = fill(A);
    // I_j = (I_j + B + 1) mod 2^(8v), each 64-byte block as a big-endian integer.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

/** pbeWithSHAAnd3-KeyTripleDES-CBC encrypt/decrypt (key 24 bytes from id 1, IV 8 bytes from id 2). */
export function pbe(
  encrypt: boolean,
  password: string,
  salt: Uint8Array,
  data: Uint8Array,
  iterations = PKCS12_ITERATIONS,
): Buffer {
  const key = pkcs12Kdf(password, salt, 1, 24, iterations);
  const iv = pkcs12Kdf(password, salt, 2, 8, iterations);
  const cipher = encrypt
    ? createCipheriv('des-ede3-cbc', key, iv)
    : createDecipheriv('des-ede3-cbc', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function pbeAlgorithm(salt: Uint8Array): asn1js.Sequence {
  return seq(oid(PKCS12_OID.pbeSha3Des), seq(octets(salt), new asn1js.Integer({ value: PKCS12_ITERATIONS })));
}

function bag(bagId: string, value: asn1js.BaseBlock, attributes?: asn1js.Sequence[]): asn1js.Sequence {
  const items: asn1js.BaseBlock[] = [oid(bagId), explicit0(value)];
  if (attributes) items.push(new asn1js.Set({ value: attributes }));
  return seq(...items);
}

function attr(type: string, value: asn1js.BaseBlock): asn1js.Sequence {
  return seq(oid(type), new asn1js.Set({ value: [value] }));
}

const seq = (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value });
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const octets = (data: Uint8Array) => new asn1js.OctetString({ valueHex: data });
const explicit0 = (value: asn1js.BaseBlock) =>
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [value] });
const der = (block: asn1js.BaseBlock) => Buffer.from(block.toBER());

function invalid(reason: string): AppleProtocolError {
  return new AppleProtocolError('INVALID_PKCS12', `Cannot build the PKCS #12: ${reason}.`);
}
