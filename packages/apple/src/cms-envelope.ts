/**
 * Decryption of a CMS EnvelopedData (RFC 5652 §6) with RSA key transport, as Apple uses for ABM/ASM
 * server tokens: recipient = our token certificate (IssuerAndSerialNumber), key encryption rsaEncryption
 * (PKCS #1 v1.5 — nanodep decrypts with Go's rsa.DecryptPKCS1v15), content AES-CBC (3DES on old files).
 *
 * Node 20 refuses `privateDecrypt` with RSA_PKCS1_PADDING (CVE-2023-46809, Marvin attack), so we decrypt
 * raw (RSA_NO_PADDING) and remove the EME-PKCS1-v1_5 padding ourselves. To avoid becoming a padding
 * oracle, a bad padding is not reported: we continue with a random content key (RFC 3218 §2.3.2 "implicit
 * rejection"), so a damaged key and a damaged ciphertext fail the same way, as TOKEN_CORRUPTED.
 */
import {
  createDecipheriv,
  type KeyObject,
  constants as nodeCrypto,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { identifierMatches, OID, parseContentInfo } from './cms';
import { AppleProtocolError } from './errors';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

const corrupted = (reason: string, cause?: unknown) =>
  new AppleProtocolError(
    'TOKEN_CORRUPTED',
    `The server token file cannot be decrypted (${reason}). It is damaged, or it was encrypted to another ` +
      'certificate that has the same name and serial number. Download the token again from Apple Business ' +
      'Manager / Apple School Manager for this MDM server and upload the .p7m file unchanged.',
    { cause },
  );

export function decryptEnvelopedData(der: Uint8Array, key: KeyObject, cert: pkijs.Certificate): Uint8Array {
  let info: pkijs.ContentInfo;
  try {
    info = parseContentInfo(der);
  } catch (cause) {
    throw corrupted(cause instanceof Error ? cause.message : 'not ASN.1', cause);
  }
  if (info.contentType !== OID.envelopedData) {
    throw new AppleProtocolError(
      'NOT_A_TOKEN',
      'This file is an S/MIME message, but not an encrypted server token.',
    );
  }
  let env: pkijs.EnvelopedData;
  try {
    env = new pkijs.EnvelopedData({ schema: info.content });
  } catch (cause) {
    throw corrupted('its encrypted structure is invalid', cause);
  }

  const recipient = env.recipientInfos
    .map((r) => r.value)
    .find(
      (v): v is pkijs.KeyTransRecipientInfo =>
        v instanceof pkijs.KeyTransRecipientInfo && identifierMatches(v.rid, cert),
    );
  if (!recipient) throw new AppleProtocolError('TOKEN_WRONG_KEY');
  const algorithm = env.encryptedContentInfo.contentEncryptionAlgorithm;
  const cipher = CIPHERS[algorithm.algorithmId];
  if (recipient.keyEncryptionAlgorithm.algorithmId !== RSA_ENCRYPTION || !cipher) {
    throw new AppleProtocolError(
      'UNSUPPORTED_ALGORITHM',
      `The server token uses an encryption algorithm this server does not support (${recipient.keyEncryptionAlgorithm.algorithmId}, ${algorithm.algorithmId}).`,
    );
  }
  if (!(algorithm.algorithmParams instanceof asn1js.OctetString)) throw corrupted('the cipher IV is missing');

  try {
    const em = privateDecrypt(
      { key, padding: nodeCrypto.RSA_NO_PADDING },
      Buffer.from(recipient.encryptedKey.valueBlock.valueHexView),
    );
    const unpadded = unpadPkcs1v15(em);
    const cek = unpadded?.length === cipher.keyLength ? unpadded : randomBytes(cipher.keyLength);
    const iv = Buffer.from(algorithm.algorithmParams.valueBlock.valueHexView);
    const decipher = createDecipheriv(cipher.name, cek, iv);
    const ciphertext = Buffer.from(env.encryptedContentInfo.getEncryptedContent());
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (cause) {
    throw corrupted('decryption failed', cause);
  }
}

/** EME-PKCS1-v1_5 (RFC 8017 §7.2.2): 0x00 0x02 PS(≥ 8 non-zero bytes) 0x00 M. Undefined if malformed. */
function unpadPkcs1v15(em: Buffer): Buffer | undefined {
  let separator = 0;
  for (let i = 2; i < em.length; i++) {
    if (separator === 0 && em[i] === 0) separator = i;
  }
  const ok = em[0] === 0 && em[1] === 2 && separator >= 10;
  return ok ? em.subarray(separator + 1) : undefined;
}
