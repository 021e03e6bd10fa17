import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprintSha256, verifyMdmSignature } from './mdm-signature';
import { buildPlist } from './plist';
import { errorCode as code, makeCert, type Workdir, workdir } from './testing/tools';

/** Signatures come from the openssl CLI, as a device would send them: DER CMS, base64, one line. */
let w: Workdir;
const body = Buffer.from(
  buildPlist({ MessageType: 'Authenticate', EnrollmentID: 'E1', Topic: 'com.apple.mgmt.x' }),
);
beforeAll(() => {
  w = workdir();
  // Like our enrollment: a tenant CA issues the device identity certificate.
  makeCert(w, 'ca', '/CN=ADE Cloud device CA', { ca: true });
  makeCert(w, 'id', '/CN=device identity E1', { issuer: 'ca' });
  makeCert(w, 'other', '/CN=another device', { issuer: 'ca' });
  makeCert(w, 'ec', '/CN=ec device', { issuer: 'ca', ec: true });
  w.write('body.plist', body);
});
afterAll(() => w.remove());

function sign(signer: string, extra: string[] = [], input = 'body.plist'): string {
  const der = w.openssl([
    'cms',
    '-sign',
    '-binary',
    '-in',
    input,
    '-signer',
    `${signer}.pem`,
    '-inkey',
    `${signer}.key`,
    '-outform',
    'DER',
    ...extra,
  ]);
  return der.toString('base64');
}
function fingerprint(name: string): string {
  const out = w.openssl(['x509', '-in', `${name}.pem`, '-noout', '-fingerprint', '-sha256']).toString();
  return /=([0-9A-F:]+)/.exec(out)![1]!;
}
describe('verifyMdmSignature', () => {
  it('openssl cms -sign without -nodetach really produces a detached signature', () => {
    w.write('sig.der', Buffer.from(sign('id'), 'base64'));
    const printed = w.openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'sig.der']).toString();
    expect(printed).toMatch(/eContent: <ABSENT>/);
  });

  it.each([
    ['SHA-256 (devices today)', ['-md', 'sha256']],
    ['SHA-1', ['-md', 'sha1']],
    ['SHA-256 without signed attributes', ['-md', 'sha256', '-noattr']],
    ['chain included', ['-certfile', 'ca.pem']],
  ])('%s: returns the signer certificate and its fingerprint', (_name, extra) => {
    const r = verifyMdmSignature(sign('id', extra), body);
    expect(r.fingerprintSha256).toBe(fingerprint('id'));
    expect(r.certificatePem.trim()).toBe(w.read('id.pem').toString().trim());
    expect(
      r.certificateDer.equals(Buffer.from(r.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64')),
    ).toBe(true);
    expect(r.subject).toBe('CN=device identity E1');
    expect(certificateFingerprintSha256(w.read('id.pem').toString())).toBe(r.fingerprintSha256);
  });

  it('accepts an EC identity and a header wrapped over several lines', () => {
    const sig = sign('ec').replace(/.{64}/g, '$&\n');
    expect(verifyMdmSignature(sig, body).fingerprintSha256).toBe(fingerprint('ec'));
  });

  it('takes Node’s header shapes: a single-element array', () => {
    expect(verifyMdmSignature([sign('id')], body).fingerprintSha256).toBe(fingerprint('id'));
  });

  it('refuses a tampered body (one byte changed, one byte appended, empty)', () => {
    const sig = sign('id');
    const changed = Buffer.from(body);
    const at = changed.length - 20;
    changed[at] = changed[at]! ^ 0x01;
    for (const b of [changed, Buffer.concat([body, Buffer.from('\n')]), Buffer.alloc(0)])
      expect(code(() => verifyMdmSignature(sig, b))).toBe('SIGNATURE_INVALID');
  });

  it('another key → valid but a different fingerprint (the caller’s comparison catches it)', () => {
    const r = verifyMdmSignature(sign('other'), body);
    expect(r.fingerprintSha256).toBe(fingerprint('other'));
    expect(r.fingerprintSha256).not.toBe(fingerprint('id'));
  });

  it('attached content is accepted only when it is the body', () => {
    expect(verifyMdmSignature(sign('id', ['-nodetach']), body).fingerprintSha256).toBe(fingerprint('id'));
    w.write('other.plist', 'something else');
    expect(code(() => verifyMdmSignature(sign('id', ['-nodetach'], 'other.plist'), body))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('no signer certificate in the CMS → SIGNER_CERTIFICATE_MISSING', () => {
    expect(code(() => verifyMdmSignature(sign('id', ['-nocerts']), body))).toBe('SIGNER_CERTIFICATE_MISSING');
    // Only the CA certificate included: still not the signer's.
    expect(code(() => verifyMdmSignature(sign('id', ['-nocerts', '-certfile', 'ca.pem']), body))).toBe(
      'SIGNER_CERTIFICATE_MISSING',
    );
  });

  it.each([
    ['undefined', undefined, 'MDM_SIGNATURE_MISSING'],
    ['empty', '', 'MDM_SIGNATURE_MISSING'],
    ['blank', '   ', 'MDM_SIGNATURE_MISSING'],
    ['empty array', [], 'MDM_SIGNATURE_MISSING'],
    ['not base64', 'not*base64!', 'MALFORMED_CMS'],
    ['base64 of garbage', Buffer.from('hello world!').toString('base64'), 'MALFORMED_CMS'],
    ['base64 of a certificate', 'CERT', 'MALFORMED_CMS'],
    ['twice', ['QUJD', 'QUJD'], 'MALFORMED_CMS'],
    ['huge', 'A'.repeat(200_000), 'BODY_TOO_LARGE'],
  ])('%s header → %s', (_name, header, expected) => {
    const value =
      header === 'CERT'
        ? w
            .read('id.pem')
            .toString()
            .replace(/-----[^-]+-----|\s/g, '')
        : header;
    expect(code(() => verifyMdmSignature(value as string | string[] | undefined, body))).toBe(expected);
  });
});
