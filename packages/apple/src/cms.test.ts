import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateFromDer,
  decodeBase64Strict,
  identifierMatches,
  OID,
  parseContentInfo,
  pemToDer,
  subjectString,
  toX509,
} from './cms';
import { ENROLL_CAPTURE_PATH, makeCert, type Workdir, workdir } from './testing/tools';

let w: Workdir;
beforeAll(() => {
  w = workdir();
  makeCert(w, 'a', '/CN=a');
});
afterAll(() => w.remove());

describe('decodeBase64Strict', () => {
  it('decodes what openssl encodes, with line breaks', () => {
    const bytes = randomBytes(1000);
    w.write('bytes.bin', bytes);
    const b64 = w.openssl(['base64', '-in', 'bytes.bin']).toString();
    expect(b64).toContain('\n');
    expect(Buffer.from(decodeBase64Strict(b64)!)).toEqual(bytes);
  });

  it.each(['', 'abc', 'ab!d', 'YW=Jj', '%2Babc'])('refuses %j', (text) => {
    expect(decodeBase64Strict(text)).toBeUndefined();
  });
});

describe('pemToDer / certificateFromDer / toX509', () => {
  it('gives the same DER as openssl and round-trips it exactly', () => {
    w.openssl(['x509', '-in', 'a.pem', '-outform', 'DER', '-out', 'a.der']);
    const der = pemToDer(w.read('a.pem').toString(), 'CERTIFICATE');
    expect(Buffer.from(der!)).toEqual(w.read('a.der'));
    expect(toX509(certificateFromDer(der!)).raw).toEqual(w.read('a.der'));
    expect(pemToDer(w.read('a.pem').toString(), 'PRIVATE KEY')).toBeUndefined();
  });
});

describe('parseContentInfo / identifierMatches / subjectString on the device capture', () => {
  const capture = readFileSync(ENROLL_CAPTURE_PATH);

  it('parses BER SignedData and names exactly one certificate as signer', () => {
    const info = parseContentInfo(capture);
    expect(info.contentType).toBe(OID.signedData);
    const sd = new pkijs.SignedData({ schema: info.content });
    const certs = (sd.certificates ?? []) as pkijs.Certificate[];
    const matches = certs.filter((c) => identifierMatches(sd.signerInfos[0]!.sid, c));
    expect(matches).toHaveLength(1);
    const printed = w
      .openssl(['pkcs7', '-inform', 'DER', '-in', ENROLL_CAPTURE_PATH, '-print_certs', '-noout'])
      .toString();
    const subjects = [...printed.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]!.replaceAll(' = ', '='));
    expect(certs.map((c) => subjectString(toX509(c)))).toEqual(subjects);
  });

  it.each([
    ['empty', Buffer.alloc(0), /empty/],
    ['trailing data', Buffer.concat([capture, Buffer.from([0])]), /trailing/],
    ['truncated', capture.subarray(0, 100), /ASN\.1/],
  ])('throws a reason: %s', (_n, der, reason) => {
    expect(() => parseContentInfo(der)).toThrow(reason);
  });

  it('throws for valid ASN.1 that is not a ContentInfo', () => {
    expect(() => parseContentInfo(w.read('a.der'))).toThrow(/not a CMS ContentInfo/);
  });
});
