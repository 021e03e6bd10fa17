/**
 * Reads the PKCS #12 files pkcs12.ts builds (RFC 7292: 3DES PBE bags, HMAC-SHA-1 MAC) — used by tests and
 * by callers that want to check an identity before shipping it. The MAC is checked first, so a wrong
 * password is reported as such (and nothing is decrypted with it). Other algorithms (PBES2/AES, SHA-256
 * MAC: OpenSSL 3's default) are refused with a clear message rather than half-supported.
 */
import { createHmac, createPrivateKey, timingSafeEqual, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AppleProtocolError } from './errors';
import { PKCS12_OID as OID, type Pkcs12Contents, pbe, pkcs12Kdf } from './pkcs12';
import { toPem } from './pki';

const KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const MAX_ITERATIONS = 100_000;

export function readPkcs12(der: Uint8Array, password: string): Pkcs12Contents {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || parsed.offset !== der.byteLength) throw bad('it is not DER/BER');
  const pfx = parsed.result;
  if (int(at(pfx, 0)) !== 3) throw bad('it is not a version 3 PFX');
  const authSafe = contentOctets(at(pfx, 1), OID.data);

  const macData = at(pfx, 2);
  const digestInfo = at(macData, 0);
  if (oidOf(at(at(digestInfo, 0), 0)) !== OID.sha1) throw bad('its MAC is not HMAC-SHA-1');
  const salt = bytes(at(macData, 1));
  const iterations = iterationCount(at(macData, 2));
  const expected = createHmac('sha1', pkcs12Kdf(password, salt, 3, 20, iterations))
    .update(authSafe)
    .digest();
  const actual = bytes(at(digestInfo, 1));
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new AppleProtocolError(
      'INVALID_PKCS12',
      'The PKCS #12 password is wrong (or the file was altered).',
    );

  const certs: { der: Buffer; keyId?: string }[] = [];
  let key: { der: Buffer; keyId?: string; name?: string } | undefined;
  for (const info of children(fromDer(authSafe))) {
    const type = oidOf(at(info, 0));
    let safeContents: Uint8Array;
    if (type === OID.data) safeContents = contentOctets(info, OID.data);
    else if (type === OID.encryptedData) {
      const eci = at(at(at(info, 1), 0), 1); // [0] EncryptedData → encryptedContentInfo
      safeContents = decrypt(at(eci, 1), bytes(at(eci, 2)), password);
    } else throw bad(`it holds an unsupported content type ${type}`);
    for (const safeBag of children(fromDer(safeContents))) {
      const bagId = oidOf(at(safeBag, 0));
      const value = at(at(safeBag, 1), 0);
      const attrs = attributes(safeBag);
      if (bagId === OID.certBag) {
        if (oidOf(at(value, 0)) !== OID.x509Certificate) throw bad('a certificate bag is not X.509');
        certs.push({ der: bytes(at(at(value, 1), 0)), ...attrs });
      } else if (bagId === OID.shroudedKeyBag) {
        key = { der: decrypt(at(value, 0), bytes(at(value, 1)), password), ...attrs };
      } else if (bagId === KEY_BAG) key = { der: Buffer.from(value.toBER()), ...attrs };
    }
  }
  if (!key) throw bad('it contains no private key');
  const privateKey = createPrivateKey({ key: key.der, format: 'der', type: 'pkcs8' });
  const leafIndex = certs.findIndex((c) => new X509Certificate(c.der).checkPrivateKey(privateKey));
  if (leafIndex === -1) throw bad('no certificate belongs to the private key');
  const ordered = [certs[leafIndex]!, ...certs.filter((_, i) => i !== leafIndex)];
  const result: Pkcs12Contents = {
    certificatePems: ordered.map((c) => toPem('CERTIFICATE', c.der)),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  if (key.name !== undefined) result.friendlyName = key.name;
  return result;
}

function decrypt(algorithm: asn1js.BaseBlock, data: Uint8Array, password: string): Buffer {
  const algId = oidOf(at(algorithm, 0));
  if (algId !== OID.pbeSha3Des)
    throw bad(`it uses encryption ${algId}; only pbeWithSHAAnd3-KeyTripleDES-CBC is read`);
  const params = at(algorithm, 1);
  try {
    return pbe(false, password, bytes(at(params, 0)), data, iterationCount(at(params, 1)));
  } catch (cause) {
    throw bad('a bag does not decrypt', cause);
  }
}

function attributes(safeBag: asn1js.BaseBlock): { keyId?: string; name?: string } {
  const out: { keyId?: string; name?: string } = {};
  const set = children(safeBag)[2];
  for (const a of set ? children(set) : []) {
    const value = at(at(a, 1), 0);
    if (oidOf(at(a, 0)) === OID.localKeyId) out.keyId = bytes(value).toString('hex');
    if (oidOf(at(a, 0)) === OID.friendlyName && value instanceof asn1js.BmpString)
      out.name = value.valueBlock.value;
  }
  return out;
}

/** ContentInfo of type `data`: [0] EXPLICIT OCTET STRING. */
function contentOctets(info: asn1js.BaseBlock, type: string): Buffer {
  if (oidOf(at(info, 0)) !== type) throw bad('unexpected content type');
  return bytes(at(at(info, 1), 0));
}

function fromDer(data: Uint8Array): asn1js.BaseBlock {
  const parsed = asn1js.fromBER(data);
  if (parsed.offset === -1) throw bad('an inner structure is not ASN.1');
  return parsed.result;
}

function children(block: asn1js.BaseBlock): asn1js.BaseBlock[] {
  const value = (block.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as asn1js.BaseBlock[]) : [];
}

function at(block: asn1js.BaseBlock, index: number): asn1js.BaseBlock {
  const child = children(block)[index];
  if (!child) throw bad('its structure is incomplete');
  return child;
}

/** OCTET STRING (or [n] IMPLICIT one) content; BER constructed strings are concatenated. */
function bytes(block: asn1js.BaseBlock): Buffer {
  if (block.idBlock.isConstructed) return Buffer.concat(children(block).map(bytes));
  return Buffer.from((block.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView);
}

function oidOf(block: asn1js.BaseBlock): string {
  if (!(block instanceof asn1js.ObjectIdentifier)) throw bad('an algorithm or type identifier is missing');
  return block.valueBlock.toString();
}

function int(block: asn1js.BaseBlock): number {
  if (!(block instanceof asn1js.Integer)) throw bad('an integer is missing');
  return block.valueBlock.valueDec;
}

/** Iteration counts come from the file: bound them so a crafted file cannot burn CPU. */
function iterationCount(block: asn1js.BaseBlock): number {
  const n = int(block);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ITERATIONS)
    throw bad(`its iteration count ${n} is out of range`);
  return n;
}

function bad(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError('INVALID_PKCS12', `The PKCS #12 file cannot be read: ${reason}.`, { cause });
}
