import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLE_ROOT_CA_PEM, APPLE_ROOT_CA_SHA1, APPLE_ROOT_CA_SHA256 } from './apple-root-ca';
import { ENROLL_CAPTURE_PATH, type Workdir, workdir } from './testing/tools';

let w: Workdir;
beforeAll(() => {
  w = workdir();
  w.write('root.pem', APPLE_ROOT_CA_PEM);
});
afterAll(() => w.remove());

describe('embedded Apple Root CA', () => {
  it('has the fingerprints Apple publishes (computed by openssl from the PEM)', () => {
    const sha256 = w.openssl(['x509', '-in', 'root.pem', '-noout', '-fingerprint', '-sha256']).toString();
    const sha1 = w.openssl(['x509', '-in', 'root.pem', '-noout', '-fingerprint', '-sha1']).toString();
    expect(sha256.trim().split('=')[1]).toBe(APPLE_ROOT_CA_SHA256);
    expect(sha1.trim().split('=')[1]).toBe(APPLE_ROOT_CA_SHA1);
    // Apple's published value, written the way apple.com/certificateauthority shows it.
    expect(APPLE_ROOT_CA_SHA256.replaceAll(':', '')).toBe(
      'B0B1730ECBC7FF4505142C49F1295E6EDA6BCAED7E2C68C5BE91B5A11001F024',
    );
  });

  it('is self-signed and anchors the real device chain according to openssl', () => {
    expect(w.openssl(['verify', '-no_check_time', '-CAfile', 'root.pem', 'root.pem']).toString()).toContain(
      'OK',
    );
    const chain = w
      .openssl(['pkcs7', '-inform', 'DER', '-in', ENROLL_CAPTURE_PATH, '-print_certs'])
      .toString();
    w.write('chain.pem', chain);
    const leaf = chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 26);
    w.write('leaf.pem', leaf);
    const out = w.openssl([
      'verify',
      '-no_check_time',
      '-CAfile',
      'root.pem',
      '-untrusted',
      'chain.pem',
      'leaf.pem',
    ]);
    expect(out.toString()).toContain('leaf.pem: OK');
  });
});
