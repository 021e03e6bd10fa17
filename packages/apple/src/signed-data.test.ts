import { readFileSync } from 'node:fs';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContentInfo, toX509 } from './cms';
import { checkFirstSigner } from './signed-data';
import { ENROLL_CAPTURE_PATH, makeCert, type Workdir, workdir } from './testing/tools';

let w: Workdir;
beforeAll(() => {
  w = workdir();
  makeCert(w, 'rsa', '/CN=rsa signer');
  makeCert(w, 'ec', '/CN=ec signer', { ec: true });
  w.write('content.bin', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)));
});
afterAll(() => w.remove());

function check(der: Uint8Array, content?: Uint8Array) {
  const sd = new pkijs.SignedData({ schema: parseContentInfo(der).content });
  const certs = (sd.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => ({ pkijs: c, x509: toX509(c) }));
  return checkFirstSigner(sd, content ?? new Uint8Array(sd.encapContentInfo.eContent!.getValue()), certs);
}
function sign(signer: string, extra: string[] = []) {
  w.openssl([
    'cms',
    '-sign',
    '-binary',
    '-nodetach',
    '-in',
    'content.bin',
    '-signer',
    `${signer}.pem`,
    '-inkey',
    `${signer}.key`,
    '-outform',
    'DER',
    '-out',
    's.der',
    ...extra,
  ]);
  return w.read('s.der');
}

describe('checkFirstSigner', () => {
  it('verifies the real device capture and reads signingTime as openssl prints it', () => {
    const der = readFileSync(ENROLL_CAPTURE_PATH);
    const r = check(der);
    expect(r.valid).toBe(true);
    const printed = w
      .openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', ENROLL_CAPTURE_PATH])
      .toString();
    const utc = /UTCTIME:(\w{3}) +(\d+) (\d\d:\d\d:\d\d) (\d{4}) GMT/.exec(printed);
    expect(utc).not.toBeNull();
    expect(r.signingTime).toEqual(new Date(`${utc![1]} ${utc![2]} ${utc![4]} ${utc![3]} GMT`));
  });

  it.each([
    ['SHA-1', ['-md', 'sha1']],
    ['SHA-256', ['-md', 'sha256']],
    ['SHA-512', ['-md', 'sha512']],
    ['no signed attributes (signature over the content itself)', ['-noattr']],
    ['subjectKeyIdentifier signer id', ['-keyid']],
  ])('valid: RSA, %s', (_n, extra) => {
    expect(check(sign('rsa', extra)).valid).toBe(true);
  });

  it('valid: ECDSA P-256', () => {
    expect(check(sign('ec')).valid).toBe(true);
  });

  it('invalid: other content than what was signed (messageDigest mismatch), with and without attributes', () => {
    const other = new TextEncoder().encode('something else');
    expect(check(sign('rsa'), other).valid).toBe(false);
    expect(check(sign('rsa', ['-noattr']), other).valid).toBe(false);
  });

  it('invalid without the signer certificate, and with RSASSA-PSS (not used by devices)', () => {
    const noCerts = check(sign('rsa', ['-nocerts']));
    expect(noCerts).toEqual({ valid: false });
    expect(check(sign('rsa', ['-keyopt', 'rsa_padding_mode:pss'])).valid).toBe(false);
  });
});
