import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppleProtocolError } from './errors';
import { decryptServerToken, type TokenKeyPair } from './server-token';
import { makeCert, type Workdir, workdir } from './testing/tools';

// The token as Apple describes it (docs/protocol/apple-business-manager.md#server-tokens,
// docs/protocol/test-vectors.md#tv-22-a-server-token-file); values are random per run so nothing can be
// hard-coded in the implementation.
const suffix = Math.random().toString(36).slice(2, 10);
const TOKEN = {
  consumer_key: `CK_${suffix}`,
  consumer_secret: `CS_${suffix}`,
  access_token: `AT_${suffix}`,
  access_secret: `AS_${suffix}`,
  access_token_expiry: '2030-01-01T00:00:00Z',
};
const NOW = new Date('2026-01-01T00:00:00Z');
const innerMime = (json: string, { framed = true, eol = '\r\n', headers = true } = {}) =>
  (headers ? `Content-Type: text/plain;charset=UTF-8${eol}Content-Transfer-Encoding: 7bit${eol}${eol}` : '') +
  (framed ? `-----BEGIN MESSAGE-----${eol}${json}${eol}-----END MESSAGE-----${eol}` : json);

let w: Workdir;
let ours: TokenKeyPair;
beforeAll(() => {
  w = workdir();
  makeCert(w, 'ours', '/CN=ADE Cloud test token');
  makeCert(w, 'other', '/CN=Someone else');
  ours = { privateKeyPem: w.read('ours.key').toString(), certificatePem: w.read('ours.pem').toString() };
});
afterAll(() => w.remove());

/** `openssl cms -encrypt` of a MIME-wrapped JSON to the given certificates; S/MIME output like Apple's file. */
function encrypt(
  inner: string,
  opts: { recips?: string[]; cipher?: string; outform?: string; stream?: boolean } = {},
) {
  w.write('inner.txt', inner);
  const args = [
    'cms',
    '-encrypt',
    `-${opts.cipher ?? 'aes256'}`,
    '-binary',
    '-in',
    'inner.txt',
    '-out',
    'token.p7m',
  ];
  if (opts.outform) args.push('-outform', opts.outform);
  if (opts.stream) args.push('-stream');
  w.openssl([...args, ...(opts.recips ?? ['ours']).map((r) => `${r}.pem`)]);
  return w.read('token.p7m');
}
function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAppleProtocolError(err)) return err.code;
    throw err;
  }
  return 'no error';
}
const expected = {
  consumerKey: TOKEN.consumer_key,
  consumerSecret: TOKEN.consumer_secret,
  accessToken: TOKEN.access_token,
  accessSecret: TOKEN.access_secret,
  accessTokenExpiry: new Date(TOKEN.access_token_expiry),
};

describe('decryptServerToken round trip with openssl-made files', () => {
  it.each([
    ['Apple-like (AES-256, CRLF, MESSAGE framing)', {}, {}],
    ['BER indefinite lengths (-stream)', {}, { stream: true }],
    ['AES-128', {}, { cipher: 'aes128' }],
    ['3DES (old files)', {}, { cipher: 'des3' }],
    ['no MESSAGE framing', { framed: false }, {}],
    ['LF line endings', { eol: '\n' }, {}],
    ['no inner MIME headers', { headers: false }, {}],
  ])('%s', (_name, mime, enc) => {
    const file = encrypt(innerMime(JSON.stringify(TOKEN, null, 2), mime), enc);
    expect(file.toString()).toMatch(/Content-Type: application\/(x-)?pkcs7-mime; smime-type=enveloped-data/);
    expect(decryptServerToken(file, ours, NOW)).toEqual(expected);
    expect(decryptServerToken(file.toString(), ours, NOW)).toEqual(expected);
  });

  it('finds our entry among several recipients', () => {
    expect(
      decryptServerToken(encrypt(innerMime(JSON.stringify(TOKEN)), { recips: ['other', 'ours'] }), ours, NOW),
    ).toEqual(expected);
  });
});

describe('decryptServerToken failures', () => {
  const good = () => encrypt(innerMime(JSON.stringify(TOKEN))).toString();
  const body = (file: string) => file.slice(file.indexOf('\n\n') + 2);
  const rewrap = (file: string, der: Buffer) =>
    file.slice(0, file.indexOf('\n\n') + 2) + der.toString('base64').replace(/.{64}/g, '$&\n');

  it('TOKEN_WRONG_KEY when the file was encrypted to another certificate', () => {
    const file = encrypt(innerMime(JSON.stringify(TOKEN)), { recips: ['other'] });
    expect(errorCode(() => decryptServerToken(file, ours, NOW))).toBe('TOKEN_WRONG_KEY');
  });

  it('TOKEN_CORRUPTED for bad base64, truncated ASN.1, damaged ciphertext or damaged key block', () => {
    const file = good();
    const der = Buffer.from(body(file), 'base64');
    expect(errorCode(() => decryptServerToken(file.replace(/\n\n(.{10})/, '\n\n$1!'), ours, NOW))).toBe(
      'TOKEN_CORRUPTED',
    );
    expect(
      errorCode(() => decryptServerToken(rewrap(file, der.subarray(0, der.length - 40)), ours, NOW)),
    ).toBe('TOKEN_CORRUPTED');
    // Last byte of the penultimate AES block: flips the final padding byte, deterministically invalid.
    const badContent = Buffer.from(der);
    badContent[badContent.length - 17]! ^= 0xff;
    expect(errorCode(() => decryptServerToken(rewrap(file, badContent), ours, NOW))).toBe('TOKEN_CORRUPTED');
    const badKey = Buffer.from(der);
    badKey[badKey.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 40]! ^= 0x01;
    expect(errorCode(() => decryptServerToken(rewrap(file, badKey), ours, NOW))).toBe('TOKEN_CORRUPTED');
  });

  it('TOKEN_EXPIRED when access_token_expiry is not after now; the message names the date', () => {
    const file = encrypt(
      innerMime(JSON.stringify({ ...TOKEN, access_token_expiry: '2025-06-30T12:00:00Z' })),
    );
    expect(decryptServerToken(file, ours, new Date('2025-06-30T11:59:59Z')).accessTokenExpiry).toEqual(
      new Date('2025-06-30T12:00:00Z'),
    );
    for (const now of [new Date('2025-06-30T12:00:00Z'), NOW]) {
      expect(errorCode(() => decryptServerToken(file, ours, now))).toBe('TOKEN_EXPIRED');
    }
    expect(() => decryptServerToken(file, ours, NOW)).toThrow(/expired on 2025-06-30T12:00:00.000Z/);
  });

  it('NOT_A_TOKEN for files that are not S/MIME, or decrypt to something else', () => {
    for (const junk of [
      '%PDF-1.7\n%âãÏÓ\n1 0 obj',
      JSON.stringify(TOKEN),
      '',
      'Content-Type: text/plain\n\nhello',
    ]) {
      expect(errorCode(() => decryptServerToken(junk, ours, NOW))).toBe('NOT_A_TOKEN');
    }
    const { consumer_secret: _omit, ...missing } = TOKEN;
    for (const inner of [innerMime(JSON.stringify(missing)), innerMime('hello'), innerMime('[1,2]')]) {
      expect(errorCode(() => decryptServerToken(encrypt(inner), ours, NOW))).toBe('NOT_A_TOKEN');
    }
    const badDate = innerMime(JSON.stringify({ ...TOKEN, access_token_expiry: 'soon' }));
    expect(errorCode(() => decryptServerToken(encrypt(badDate), ours, NOW))).toBe('NOT_A_TOKEN');
    // A signed (not encrypted) S/MIME message.
    w.write('plain.txt', 'hello');
    w.openssl([
      'cms',
      '-sign',
      '-nodetach',
      '-in',
      'plain.txt',
      '-signer',
      'ours.pem',
      '-inkey',
      'ours.key',
      '-out',
      'signed.p7m',
    ]);
    expect(errorCode(() => decryptServerToken(w.read('signed.p7m'), ours, NOW))).toBe('NOT_A_TOKEN');
  });

  it('INVALID_KEY when our own key is unreadable or does not match the certificate', () => {
    const file = good();
    expect(errorCode(() => decryptServerToken(file, { ...ours, privateKeyPem: 'nope' }, NOW))).toBe(
      'INVALID_KEY',
    );
    const mismatched = { ...ours, privateKeyPem: w.read('other.key').toString() };
    expect(errorCode(() => decryptServerToken(file, mismatched, NOW))).toBe('INVALID_KEY');
  });

  it('BODY_TOO_LARGE for files far bigger than a token', () => {
    expect(errorCode(() => decryptServerToken('x'.repeat(65 * 1024), ours, NOW))).toBe('BODY_TOO_LARGE');
  });
});
