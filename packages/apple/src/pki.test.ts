import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppleProtocolError } from './errors';
import { createCertificateAuthority, issueCertificate, type PemKeyPair } from './pki';
import { type Workdir, workdir } from './testing/tools';

let w: Workdir;
let ca: PemKeyPair;
beforeAll(() => {
  w = workdir();
  ca = createCertificateAuthority({ commonName: 'Acme MDM CA' });
  w.write('ca.pem', ca.certificatePem);
});
afterAll(() => w.remove());

describe('createCertificateAuthority (checked by openssl)', () => {
  it('is a self-signed RSA-2048 CA: basicConstraints critical CA:TRUE, keyUsage keyCertSign + cRLSign', () => {
    const text = w.openssl(['x509', '-in', 'ca.pem', '-noout', '-text']).toString();
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(w.openssl(['verify', '-CAfile', 'ca.pem', 'ca.pem']).toString()).toContain('ca.pem: OK');
    const years = w.openssl(['x509', '-in', 'ca.pem', '-noout', '-enddate']).toString().split('=')[1]!;
    expect(new Date(years).getUTCFullYear() - new Date().getUTCFullYear()).toBe(10);
  });
});

describe('issueCertificate (checked by openssl)', () => {
  it('issues an identity certificate for TLS client auth that verifies against the CA', () => {
    const id = issueCertificate({ ca, commonName: 'device 1', usage: 'identity', validityDays: 365 });
    w.write('id.pem', id.certificatePem);
    w.write('id.key', id.privateKeyPem);
    const out = w.openssl(['verify', '-CAfile', 'ca.pem', '-purpose', 'sslclient', 'id.pem']).toString();
    expect(out).toContain('id.pem: OK');
    const text = w.openssl(['x509', '-in', 'id.pem', '-noout', '-text']).toString();
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/Extended Key Usage: \s+TLS Web Client Authentication\n/);
    expect(text).toMatch(/Basic Constraints: \s+CA:FALSE/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    // The key we return is the certificate's key.
    const certMod = w.openssl(['x509', '-in', 'id.pem', '-noout', '-modulus']).toString();
    expect(w.openssl(['rsa', '-in', 'id.key', '-noout', '-modulus']).toString()).toBe(certMod);
  });

  it('issues a signing certificate: digitalSignature only, no EKU, verifies for S/MIME signing', () => {
    const s = issueCertificate({ ca, commonName: 'Profile signer', usage: 'signing', validityDays: 30 });
    w.write('s.pem', s.certificatePem);
    expect(w.openssl(['verify', '-CAfile', 'ca.pem', '-purpose', 'smimesign', 's.pem']).toString()).toContain(
      'OK',
    );
    const text = w.openssl(['x509', '-in', 's.pem', '-noout', '-text']).toString();
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(text).not.toContain('Extended Key Usage');
  });

  it('is not accepted by a different CA', () => {
    const other = createCertificateAuthority({ commonName: 'Acme MDM CA' }); // same name, other key
    w.write('other.pem', other.certificatePem);
    w.write(
      'id2.pem',
      issueCertificate({ ca, commonName: 'd', usage: 'identity', validityDays: 1 }).certificatePem,
    );
    expect(() => w.openssl(['verify', '-CAfile', 'other.pem', 'id2.pem'])).toThrow(/verification failed/);
  });

  it('refuses bad input with typed errors', () => {
    const issue = (o: Partial<Parameters<typeof issueCertificate>[0]>) => () =>
      issueCertificate({ ca, commonName: 'x', usage: 'identity', validityDays: 10, ...o });
    expect(issue({ commonName: '' })).toThrow(expect.objectContaining({ code: 'INVALID_CERTIFICATE_INPUT' }));
    expect(issue({ validityDays: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CERTIFICATE_INPUT' }),
    );
    expect(issue({ validityDays: 365 * 11 })).toThrow(/outlive its CA/);
    const leaf = issueCertificate({ ca, commonName: 'leaf', usage: 'signing', validityDays: 5 });
    expect(issue({ ca: leaf })).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    const other = createCertificateAuthority({ commonName: 'Other' });
    try {
      issue({ ca: { certificatePem: ca.certificatePem, privateKeyPem: other.privateKeyPem } })();
      expect.unreachable();
    } catch (err) {
      expect(isAppleProtocolError(err, 'INVALID_KEY')).toBe(true);
      expect((err as Error).message).toMatch(/does not belong/);
    }
  });
});
