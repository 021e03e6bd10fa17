import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnrollRequest } from './enroll-request';
import { buildEnrollmentProfile } from './enrollment-profile';
import { signProfile } from './profile-signing';
import { type ProfileFixture, profileFixture } from './testing/profile-fixtures';
import { type Workdir, workdir } from './testing/tools';

let f: ProfileFixture;
let w: Workdir;
let xml: string;
let signed: Buffer;
beforeAll(() => {
  f = profileFixture();
  w = workdir();
  xml = buildEnrollmentProfile(f.input('BYOD'));
  signed = signProfile(xml, { ...f.signer, chainPems: [f.ca.certificatePem] });
  w.write('ca.pem', f.ca.certificatePem);
  w.write('profile.der', signed);
});
afterAll(() => w.remove());

describe('signProfile (checked by openssl cms)', () => {
  it('verifies against the tenant CA and outputs the exact plist', () => {
    const out = w.openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      'profile.der',
      '-CAfile',
      'ca.pem',
      '-purpose',
      'any',
    ]);
    expect(out.toString('utf8')).toBe(xml);
  });

  it('is SHA-256 with signed attributes, and carries signer + chain certificates', () => {
    const text = w.openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'profile.der']).toString();
    expect(text).toContain('algorithm: sha256 (2.16.840.1.101.3.4.2.1)');
    expect(text).toContain('object: messageDigest');
    expect(text).toContain('object: signingTime');
    expect(text).toContain('subject: CN=Acme profile signing');
    expect(text).toContain('subject: CN=Acme MDM CA');
    w.openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      'profile.der',
      '-noverify',
      '-certsout',
      'certs.pem',
    ]);
    expect(
      w
        .read('certs.pem')
        .toString()
        .match(/BEGIN CERTIFICATE/g),
    ).toHaveLength(2);
  });

  it('fails verification when the content is tampered with', () => {
    const tampered = Buffer.from(signed);
    const at = tampered.indexOf(Buffer.from('alice@example.com'));
    expect(at).toBeGreaterThan(0);
    tampered.write('mallory', at, 'utf8');
    w.write('tampered.der', tampered);
    expect(() =>
      w.openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        'tampered.der',
        '-CAfile',
        'ca.pem',
        '-purpose',
        'any',
      ]),
    ).toThrow(/digest failure|verification failure/i);
  });

  it('fails against a different CA', () => {
    const other = profileFixture();
    w.write('other.pem', other.ca.certificatePem);
    expect(() =>
      w.openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        'profile.der',
        '-CAfile',
        'other.pem',
        '-purpose',
        'any',
      ]),
    ).toThrow(/certificate verify error|verification failure/i);
  });

  it('is read by our own CMS verifier (enroll-request.ts) as validly signed', () => {
    // parseEnrollRequest expects PRODUCT/VERSION, so sign such a plist with the same function.
    const body = signProfile(
      '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>PRODUCT</key><string>iPhone12,1</string><key>VERSION</key><string>22C161</string></dict></plist>',
      f.signer,
    );
    const request = parseEnrollRequest(body);
    expect(request.product).toBe('iPhone12,1');
    expect(request.signature.valid).toBe(true);
    expect(request.signature.signerSubject).toBe('CN=Acme profile signing');
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(() =>
      signProfile(xml, { certificatePem: f.signer.certificatePem, privateKeyPem: f.identity.privateKeyPem }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
  });
});
