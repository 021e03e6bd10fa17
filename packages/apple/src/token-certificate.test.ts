import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptServerToken } from './server-token';
import { type Workdir, workdir } from './testing/tools';
import { generateTokenCertificate, type TokenCertificate } from './token-certificate';

let w: Workdir;
let generated: TokenCertificate;
beforeAll(() => {
  w = workdir();
  generated = generateTokenCertificate({ commonName: 'ADE Cloud – tenant 42' });
  w.write('cert.pem', generated.certificatePem);
  w.write('key.pem', generated.privateKeyPem);
});
afterAll(() => w.remove());

describe('generateTokenCertificate, checked by openssl', () => {
  it('is an X.509 v3 RSA-2048 certificate with the required key usage', () => {
    const text = w.openssl(['x509', '-in', 'cert.pem', '-noout', '-text']).toString();
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    const subject = w
      .openssl(['x509', '-in', 'cert.pem', '-noout', '-subject', '-issuer', '-nameopt', 'utf8'])
      .toString();
    expect(subject).toBe('subject=CN=ADE Cloud – tenant 42\nissuer=CN=ADE Cloud – tenant 42\n');
  });

  it('is correctly self-signed and its validity matches what we report', () => {
    expect(w.openssl(['verify', '-CAfile', 'cert.pem', '-purpose', 'any', 'cert.pem']).toString()).toContain(
      'cert.pem: OK',
    );
    const end = w.openssl(['x509', '-in', 'cert.pem', '-noout', '-enddate']).toString().trim().split('=')[1]!;
    expect(new Date(end)).toEqual(generated.notAfter);
    const days = (generated.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(365.1);
  });

  it('has a private key openssl accepts and that belongs to the certificate', () => {
    expect(w.openssl(['pkey', '-in', 'key.pem', '-check', '-noout']).toString()).toMatch(/valid/i);
    const fromKey = w.openssl(['pkey', '-in', 'key.pem', '-pubout']).toString();
    const fromCert = w.openssl(['x509', '-in', 'cert.pem', '-noout', '-pubkey']).toString();
    expect(fromKey).toBe(fromCert);
  });

  it('decrypts a server token that openssl encrypted to it', () => {
    const json = JSON.stringify({
      consumer_key: 'CK_a1',
      consumer_secret: 'CS_b2',
      access_token: 'AT_c3',
      access_secret: 'AS_d4',
      access_token_expiry: '2031-05-06T07:08:09Z',
    });
    w.write(
      'inner.txt',
      `Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\r\n${json}\r\n-----END MESSAGE-----\r\n`,
    );
    w.openssl(['cms', '-encrypt', '-aes256', '-binary', '-in', 'inner.txt', '-out', 'token.p7m', 'cert.pem']);
    const token = decryptServerToken(w.read('token.p7m'), generated, new Date());
    expect(token).toEqual({
      consumerKey: 'CK_a1',
      consumerSecret: 'CS_b2',
      accessToken: 'AT_c3',
      accessSecret: 'AS_d4',
      accessTokenExpiry: new Date('2031-05-06T07:08:09Z'),
    });
  });

  it('makes a fresh key and serial every time, and honours validityDays', () => {
    const other = generateTokenCertificate({ validityDays: 10, notBefore: new Date('2026-01-01T00:00:00Z') });
    expect(other.privateKeyPem).not.toBe(generated.privateKeyPem);
    w.write('other.pem', other.certificatePem);
    const serial = (f: string) => w.openssl(['x509', '-in', f, '-noout', '-serial']).toString();
    expect(serial('other.pem')).not.toBe(serial('cert.pem'));
    const dates = w.openssl(['x509', '-in', 'other.pem', '-noout', '-startdate', '-enddate']).toString();
    expect(dates).toBe('notBefore=Jan  1 00:00:00 2026 GMT\nnotAfter=Jan 11 00:00:00 2026 GMT\n');
  });
});
