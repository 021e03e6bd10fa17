import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParseEnrollRequestOptions, parseEnrollRequest } from './enroll-request';
import { parsePlistDict } from './plist';
import { ENROLL_CAPTURE_PATH, errorCode, makeCert, type Workdir, workdir } from './testing/tools';

const capture = readFileSync(ENROLL_CAPTURE_PATH);
const PLIST = (keys: Record<string, string>) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>${Object.entries(keys)
    .map(([k, v]) => `<key>${k}</key><string>${v}</string>`)
    .join('')}</dict></plist>\n`;
const DEVICE = { LANGUAGE: 'en-US', PRODUCT: 'iPhone17,2', VERSION: '23A341' };

/** The error code `fn` throws, or 'no error'. */
const code = (fn: () => unknown): string => errorCode(fn) ?? 'no error';

let w: Workdir;
beforeAll(() => {
  w = workdir();
  w.write('capture.der', capture);
  // A stand-in PKI made by openssl: test root → "Apple iPhone Device CA" (O=Apple Inc.) → device leaf.
  makeCert(w, 'root', '/O=Test/CN=Test Root', { ca: true });
  makeCert(w, 'deviceca', '/C=US/O=Apple Inc./OU=Apple iPhone/CN=Apple iPhone Device CA', {
    ca: true,
    issuer: 'root',
  });
  makeCert(w, 'leaf', '/CN=6F1C2D3E-0000-4000-8000-000000000001/O=Apple Inc./OU=iPhone', {
    issuer: 'deviceca',
  });
  makeCert(w, 'evilca', '/C=US/O=Apple Inc./CN=Apple Developer CA', { ca: true, issuer: 'root' });
  makeCert(w, 'evilleaf', '/CN=impostor/O=Apple Inc.', { issuer: 'evilca' });
  makeCert(w, 'rootleaf', '/CN=direct/O=Apple Inc.', { issuer: 'root' });
  makeCert(w, 'selfsigned', '/CN=self/O=Apple Inc.');
  w.write('device.plist', PLIST(DEVICE));
});
afterAll(() => w.remove());

/** `openssl cms -sign`, attached content, BER with indefinite lengths (-stream) like a device. */
function opensslSign(
  signer: string,
  opts: { md?: string; certfile?: string; detached?: boolean; keyid?: boolean; input?: string } = {},
) {
  const args = [
    'cms',
    '-sign',
    '-binary',
    '-in',
    opts.input ?? 'device.plist',
    '-signer',
    `${signer}.pem`,
    '-inkey',
    `${signer}.key`,
  ];
  args.push('-md', opts.md ?? 'sha1', '-outform', 'DER', '-out', 'signed.der');
  if (!opts.detached) args.push('-nodetach', '-stream');
  if (opts.certfile) args.push('-certfile', `${opts.certfile}.pem`);
  if (opts.keyid) args.push('-keyid');
  w.openssl(args);
  return w.read('signed.der');
}
const testRoot = (): ParseEnrollRequestOptions => ({ trustAnchors: [w.read('root.pem').toString()] });

describe('parseEnrollRequest on the real device capture (TV-A)', () => {
  it('returns the signed plist, a valid signature and an Apple device chain, agreeing with openssl', () => {
    const r = parseEnrollRequest(capture);
    // openssl extracts the content and checks the signature independently (exit status 0 = verified).
    const content = w.openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', 'capture.der']);
    const expected = parsePlistDict(content);
    expect(r.fields).toEqual(expected);
    expect([r.language, r.product, r.version]).toEqual([
      expected.LANGUAGE,
      expected.PRODUCT,
      expected.VERSION,
    ]);
    expect([r.language, r.product, r.version]).toEqual(['ja-JP', 'iPhone12,1', '19H12']); // TV-A, docs/protocol/test-vectors.md#the-real-capture
    expect(r.signature.valid).toBe(true);
    expect(r.signature.chainReachesAppleDeviceCa).toBe(true);
    const printed = w
      .openssl(['pkcs7', '-inform', 'DER', '-in', 'capture.der', '-print_certs', '-noout'])
      .toString();
    const leafSubject = /subject=(.*)\nissuer=.*Apple iPhone Device CA/
      .exec(printed)?.[1]
      ?.replaceAll(' = ', '=');
    expect(r.signature.signerSubject).toBe(leafSubject);
    expect(r.signature.signingTime?.toISOString()).toBe('2023-08-06T07:40:58.000Z');
  });

  it('accepts the same body base64-encoded, as text or bytes, with line breaks', () => {
    const b64 = capture.toString('base64').replace(/.{76}/g, '$&\n');
    const raw = parseEnrollRequest(capture);
    expect(parseEnrollRequest(b64)).toEqual(raw);
    expect(parseEnrollRequest(Buffer.from(b64))).toEqual(raw);
  });

  it('reports a tampered plist as an invalid signature (openssl rejects it too)', () => {
    const tampered = Buffer.from(capture);
    tampered[tampered.indexOf('iPhone12,1') + 7] = '3'.charCodeAt(0);
    w.write('tampered.der', tampered);
    expect(() =>
      w.openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', 'tampered.der']),
    ).toThrow();
    const r = parseEnrollRequest(tampered);
    expect(r.product).toBe('iPhone13,1');
    expect(r.signature).toMatchObject({ valid: false, chainReachesAppleDeviceCa: false });
    expect(code(() => parseEnrollRequest(tampered, { requireValidSignature: true }))).toBe(
      'SIGNATURE_INVALID',
    );
    expect(parseEnrollRequest(capture, { requireValidSignature: true }).signature.valid).toBe(true);
  });

  it('reports tampered signed attributes (signingTime) as an invalid signature', () => {
    const tampered = Buffer.from(capture);
    tampered[tampered.indexOf('230806074058Z') + 11] = '9'.charCodeAt(0);
    expect(parseEnrollRequest(tampered).signature.valid).toBe(false);
  });

  it('does not reach the device CA when Apple Root CA is not the anchor', () => {
    const r = parseEnrollRequest(capture, testRoot());
    expect(r.signature).toMatchObject({ valid: true, chainReachesAppleDeviceCa: false });
  });
});

describe('parseEnrollRequest on openssl-made messages', () => {
  it('verifies a BER (indefinite-length) SHA-1 message and walks leaf → device CA → anchor', () => {
    const der = opensslSign('leaf', { certfile: 'deviceca' });
    expect([der[0], der[1]]).toEqual([0x30, 0x80]);
    const r = parseEnrollRequest(der, testRoot());
    expect(r).toMatchObject({ ...{ language: 'en-US', product: 'iPhone17,2', version: '23A341' } });
    expect(r.signature).toMatchObject({ valid: true, chainReachesAppleDeviceCa: true });
    expect(r.signature.signerSubject).toContain('CN=6F1C2D3E-0000-4000-8000-000000000001');
    // The same message against the real Apple Root CA: a look-alike "Apple iPhone Device CA" is not enough.
    expect(parseEnrollRequest(der).signature).toMatchObject({
      valid: true,
      chainReachesAppleDeviceCa: false,
    });
  });

  it('verifies SHA-256 and subjectKeyIdentifier signer ids', () => {
    const r = parseEnrollRequest(
      opensslSign('leaf', { certfile: 'deviceca', md: 'sha256', keyid: true }),
      testRoot(),
    );
    expect(r.signature).toMatchObject({ valid: true, chainReachesAppleDeviceCa: true });
  });

  it.each([
    ['an Apple CA that is not a device CA', 'evilleaf', 'evilca'],
    ['a leaf signed directly by the anchor', 'rootleaf', undefined],
    ['a self-signed leaf', 'selfsigned', undefined],
    ['a device leaf whose CA is missing from the message', 'leaf', undefined],
  ])('valid signature but no device chain: %s', (_name, signer, certfile) => {
    const r = parseEnrollRequest(opensslSign(signer, certfile ? { certfile } : {}), testRoot());
    expect(r.signature).toMatchObject({ valid: true, chainReachesAppleDeviceCa: false });
  });

  it('refuses a detached signature, EnvelopedData, a non-plist and a plist without PRODUCT', () => {
    expect(code(() => parseEnrollRequest(opensslSign('leaf', { detached: true })))).toBe('MALFORMED_CMS');
    w.openssl([
      'cms',
      '-encrypt',
      '-aes256',
      '-in',
      'device.plist',
      '-outform',
      'DER',
      '-out',
      'env.der',
      'leaf.pem',
    ]);
    expect(code(() => parseEnrollRequest(w.read('env.der')))).toBe('MALFORMED_CMS');
    w.write('text.txt', 'hello, not a plist');
    expect(code(() => parseEnrollRequest(opensslSign('leaf', { input: 'text.txt' })))).toBe(
      'MALFORMED_PLIST',
    );
    w.write('noproduct.plist', PLIST({ LANGUAGE: 'en', VERSION: '23A341' }));
    expect(code(() => parseEnrollRequest(opensslSign('leaf', { input: 'noproduct.plist' })))).toBe(
      'MALFORMED_ENROLL_REQUEST',
    );
  });

  it.each([
    ['a SEQUENCE', 0x30],
    ['a SET', 0x31],
    ['a context tag', 0xa0],
  ])(
    'refuses signed content that is %s instead of an OCTET STRING as malformed (found by fuzzing)',
    (_name, tag) => {
      // The capture's eContent: `[0] (indefinite) { 24 80 … }`, a constructed OCTET STRING after the data OID.
      const oid = Buffer.from('06092a864886f70d010701a080', 'hex');
      const mutated = Buffer.from(capture);
      const at = mutated.indexOf(oid) + oid.length;
      expect(mutated[at]).toBe(0x24);
      mutated[at] = tag;
      expect(code(() => parseEnrollRequest(mutated))).toBe('MALFORMED_CMS');
    },
  );

  it('refuses bodies over 64 KiB, even validly signed ones', () => {
    w.write('big.plist', PLIST({ ...DEVICE, PAD: 'x'.repeat(70 * 1024) }));
    const big = opensslSign('leaf', { input: 'big.plist' });
    expect(code(() => parseEnrollRequest(big))).toBe('BODY_TOO_LARGE');
    expect(code(() => parseEnrollRequest(big.toString('base64')))).toBe('BODY_TOO_LARGE');
  });
});

describe('parseEnrollRequest on garbage', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('LANGUAGE=en&PRODUCT=iPhone')],
    ['truncated capture', capture.subarray(0, capture.length >> 1)],
    ['capture missing its last byte', capture.subarray(0, capture.length - 1)],
    ['capture with trailing data', Buffer.concat([capture, Buffer.from('xx')])],
    [
      'random bytes after a SEQUENCE tag',
      Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), Buffer.alloc(256, 7)]),
    ],
    ['base64 of garbage', Buffer.from(Buffer.from('not cms at all').toString('base64'))],
    [
      'a certificate instead of CMS',
      Buffer.from(
        '-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END CERTIFICATE-----\n',
      ),
    ],
  ])('%s → MALFORMED_CMS', (_name, body) => {
    expect(code(() => parseEnrollRequest(body))).toBe('MALFORMED_CMS');
  });
});
