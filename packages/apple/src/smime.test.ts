import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitMime, unwrapSmime, unwrapTokenJson } from './smime';
import { errorCode, makeCert, type Workdir, workdir } from './testing/tools';

/** The error code `fn` throws, or 'no error'. */
const code = (fn: () => unknown): string => errorCode(fn) ?? 'no error';

let w: Workdir;
beforeAll(() => {
  w = workdir();
  makeCert(w, 'r', '/CN=r');
  w.write('in.txt', 'payload');
});
afterAll(() => w.remove());

describe('unwrapSmime', () => {
  it('returns exactly the DER that openssl wrapped in its S/MIME output', () => {
    w.openssl(['cms', '-encrypt', '-aes256', '-in', 'in.txt', '-out', 'smime.p7m', 'r.pem']);
    // openssl itself extracts the DER from its S/MIME file; we must get the same bytes.
    w.openssl([
      'cms',
      '-cmsout',
      '-in',
      'smime.p7m',
      '-inform',
      'SMIME',
      '-outform',
      'DER',
      '-out',
      'extracted.der',
    ]);
    expect(Buffer.from(unwrapSmime(w.read('smime.p7m')))).toEqual(w.read('extracted.der'));
  });

  it('accepts the legacy x-pkcs7-mime type, CRLF and folded headers', () => {
    const b64 = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]).toString('base64');
    const file = `Content-Type: application/x-pkcs7-mime;\r\n\tsmime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`;
    expect(Array.from(unwrapSmime(file))).toEqual([0x30, 0x03, 0x02, 0x01, 0x05]);
    expect(splitMime(file)?.headers.get('content-type')).toBe(
      'application/x-pkcs7-mime; smime-type=enveloped-data',
    );
  });

  it.each([
    ['no headers', 'MIAGCSqGSIb3DQEHA6CA'],
    ['another MIME type', 'Content-Type: text/plain\n\nhello'],
    ['header garbage', 'this is: not\nmime at all\n\nbody'],
  ])('NOT_A_TOKEN: %s', (_n, text) => {
    expect(code(() => unwrapSmime(text))).toBe('NOT_A_TOKEN');
  });

  it('TOKEN_CORRUPTED when the body is not strict base64', () => {
    const head =
      'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\n';
    expect(code(() => unwrapSmime(`${head}MIAG*SqG`))).toBe('TOKEN_CORRUPTED');
    expect(code(() => unwrapSmime(`${head}MIAGC`))).toBe('TOKEN_CORRUPTED');
    expect(code(() => unwrapSmime(head))).toBe('TOKEN_CORRUPTED');
  });
});

describe('unwrapTokenJson', () => {
  const json = '{"consumer_key":"CK_1"}';
  it.each([
    [
      'headers + framing, CRLF',
      `Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\r\n${json}\r\n-----END MESSAGE-----\r\n`,
    ],
    ['headers, no framing', `Content-Type: text/plain\n\n${json}\n`],
    ['framing, no headers', `-----BEGIN MESSAGE-----\n${json}\n-----END MESSAGE-----`],
    ['bare JSON', json],
  ])('%s', (_n, text) => {
    expect(JSON.parse(unwrapTokenJson(text))).toEqual(JSON.parse(json));
  });
});
