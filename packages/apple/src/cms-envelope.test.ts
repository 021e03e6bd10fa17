import { createPrivateKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFromDer, pemToDer } from './cms';
import { decryptEnvelopedData } from './cms-envelope';
import { errorCode, makeCert, type Workdir, workdir } from './testing/tools';

let w: Workdir;
const content = randomBytes(333);
beforeAll(() => {
  w = workdir();
  makeCert(w, 'me', '/CN=me');
  makeCert(w, 'you', '/CN=you');
  w.write('content.bin', content);
});
afterAll(() => w.remove());

const mine = () => ({
  key: createPrivateKey(w.read('me.key')),
  cert: certificateFromDer(pemToDer(w.read('me.pem').toString(), 'CERTIFICATE')!),
});
function encrypt(args: string[], recips = ['me']) {
  w.openssl([
    'cms',
    '-encrypt',
    '-binary',
    '-in',
    'content.bin',
    '-outform',
    'DER',
    '-out',
    'e.der',
    ...args,
    ...recips.map((r) => `${r}.pem`),
  ]);
  return w.read('e.der');
}
const decrypt = (der: Uint8Array) => Buffer.from(decryptEnvelopedData(der, mine().key, mine().cert));
/** The error code `fn` throws, or 'no error'. */
const code = (fn: () => unknown): string => errorCode(fn) ?? 'no error';

describe('decryptEnvelopedData on openssl output', () => {
  it.each([['-aes128'], ['-aes192'], ['-aes256'], ['-des3']])('%s recovers the exact bytes', (cipher) => {
    expect(decrypt(encrypt([cipher]))).toEqual(content);
  });

  it('handles BER streaming output and subjectKeyIdentifier recipients', () => {
    expect(decrypt(encrypt(['-aes256', '-stream']))).toEqual(content);
    expect(decrypt(encrypt(['-aes256', '-keyid']))).toEqual(content);
  });

  it('TOKEN_WRONG_KEY when we are not a recipient', () => {
    expect(code(() => decrypt(encrypt(['-aes256'], ['you'])))).toBe('TOKEN_WRONG_KEY');
  });

  it('UNSUPPORTED_ALGORITHM for RSA-OAEP key transport and non-AES/3DES ciphers', () => {
    expect(
      code(() => decrypt(encrypt(['-aes256', '-recip', 'me.pem', '-keyopt', 'rsa_padding_mode:oaep'], []))),
    ).toBe('UNSUPPORTED_ALGORITHM');
    expect(code(() => decrypt(encrypt(['-camellia256'])))).toBe('UNSUPPORTED_ALGORITHM');
  });

  it('NOT_A_TOKEN for other CMS types (AuthEnvelopedData, SignedData)', () => {
    expect(code(() => decrypt(encrypt(['-aes-256-gcm'])))).toBe('NOT_A_TOKEN');
    w.openssl([
      'cms',
      '-sign',
      '-nodetach',
      '-in',
      'content.bin',
      '-signer',
      'me.pem',
      '-inkey',
      'me.key',
      '-outform',
      'DER',
      '-out',
      's.der',
    ]);
    expect(code(() => decrypt(w.read('s.der')))).toBe('NOT_A_TOKEN');
  });

  it('TOKEN_CORRUPTED for damaged ciphertext, a damaged key block and garbage', () => {
    const der = encrypt(['-aes256']);
    const badContent = Buffer.from(der);
    badContent[badContent.length - 17]! ^= 0xff; // final padding byte of the plaintext
    expect(code(() => decrypt(badContent))).toBe('TOKEN_CORRUPTED');
    const badKey = Buffer.from(der);
    badKey[badKey.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 4]! ^= 0x80;
    // A damaged key block decrypts under a random key (the Marvin countermeasure: no padding oracle),
    // whose output fails the cipher's padding check — except about once in 256 tries, when the
    // garbage happens to end in valid padding. Either way the token's content never comes back.
    let outcome: string;
    try {
      outcome = decrypt(badKey).equals(w.read('content.bin')) ? 'the content' : 'garbage';
    } catch (error) {
      outcome =
        errorCode(() => {
          throw error;
        }) ?? 'unexpected error';
    }
    expect(['TOKEN_CORRUPTED', 'garbage']).toContain(outcome);
    expect(code(() => decrypt(randomBytes(64)))).toBe('TOKEN_CORRUPTED');
  });
});
