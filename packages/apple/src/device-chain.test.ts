import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainReachesAppleDeviceCa, isAppleDeviceCa } from './device-chain';
import { makeCert, type Workdir, workdir } from './testing/tools';

// A stand-in Apple PKI made by openssl, shaped like the real one (docs/protocol/enrollment.md#the-first-request):
// root → "Apple iPhone Certification Authority" → "Apple iPhone Device CA" → device leaf.
const APPLE = '/C=US/O=Apple Inc./OU=Apple Certification Authority';
let w: Workdir;
const c = (name: string) => new X509Certificate(w.read(`${name}.pem`));
beforeAll(() => {
  w = workdir();
  makeCert(w, 'root', `${APPLE}/CN=Test Root CA`, { ca: true });
  makeCert(w, 'iphoneca', `${APPLE}/CN=Apple iPhone Certification Authority`, { ca: true, issuer: 'root' });
  makeCert(w, 'deviceca', '/C=US/O=Apple Inc./OU=Apple iPhone/CN=Apple iPhone Device CA', {
    ca: true,
    issuer: 'iphoneca',
  });
  makeCert(w, 'leaf', '/CN=41B39CB1-0000-4000-8000-000000000000/O=Apple Inc./OU=iPhone', {
    issuer: 'deviceca',
  });
  // Same subject names, own keys, no key identifiers: only the signature can tell them apart.
  makeCert(w, 'fakedeviceca', '/C=US/O=Apple Inc./OU=Apple iPhone/CN=Apple iPhone Device CA', {
    ca: true,
    keyIds: false,
  });
  makeCert(w, 'fakeleaf', '/CN=fake/O=Apple Inc./OU=iPhone', { issuer: 'fakedeviceca', keyIds: false });
  makeCert(w, 'notapple', '/C=US/O=Evil Corp/CN=Apple iPhone Device CA', { ca: true, issuer: 'iphoneca' });
  makeCert(w, 'notca', '/C=US/O=Apple Inc./CN=Apple iPhone Device CA', { issuer: 'iphoneca' });
  // A longer chain than Apple's: root → m1 → m2 → m3 → m4 → device CA → leaf.
  makeCert(w, 'm1', '/O=Apple Inc./CN=M1', { ca: true, issuer: 'root' });
  makeCert(w, 'm2', '/O=Apple Inc./CN=M2', { ca: true, issuer: 'm1' });
  makeCert(w, 'm3', '/O=Apple Inc./CN=M3', { ca: true, issuer: 'm2' });
  makeCert(w, 'm4', '/O=Apple Inc./CN=M4', { ca: true, issuer: 'm3' });
  makeCert(w, 'deepdeviceca', '/O=Apple Inc./CN=Apple iPhone Device CA', { ca: true, issuer: 'm4' });
  makeCert(w, 'deepleaf', '/CN=deep', { issuer: 'deepdeviceca' });
});
afterAll(() => w.remove());

describe('isAppleDeviceCa', () => {
  it('needs an Apple Inc. CA certificate named "Apple … Device CA"', () => {
    expect(isAppleDeviceCa(c('deviceca'))).toBe(true);
    expect(isAppleDeviceCa(c('notapple'))).toBe(false);
    expect(isAppleDeviceCa(c('notca'))).toBe(false);
    expect(isAppleDeviceCa(c('iphoneca'))).toBe(false);
    expect(isAppleDeviceCa(c('leaf'))).toBe(false);
  });
});

describe('chainReachesAppleDeviceCa', () => {
  it('walks leaf → device CA → intermediate → anchor, in any bag order, and openssl agrees', () => {
    const bag = [c('iphoneca'), c('leaf'), c('deviceca')];
    expect(chainReachesAppleDeviceCa(c('leaf'), bag, [c('root')])).toBe(true);
    w.write('bag.pem', ['iphoneca', 'deviceca'].map((n) => w.read(`${n}.pem`).toString()).join(''));
    expect(
      w.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'bag.pem', 'leaf.pem']).toString(),
    ).toContain('OK');
  });

  it('accepts an anchor that is an intermediate itself', () => {
    expect(chainReachesAppleDeviceCa(c('leaf'), [c('deviceca')], [c('iphoneca')])).toBe(true);
  });

  it('fails when a link is missing or the anchor is a different root', () => {
    expect(chainReachesAppleDeviceCa(c('leaf'), [c('leaf'), c('deviceca')], [c('root')])).toBe(false);
    expect(chainReachesAppleDeviceCa(c('leaf'), [c('iphoneca')], [c('root')])).toBe(false);
    expect(chainReachesAppleDeviceCa(c('leaf'), [c('deviceca'), c('iphoneca')], [c('fakedeviceca')])).toBe(
      false,
    );
  });

  it('checks signatures, not just names: a look-alike device CA in the bag does not count', () => {
    // fakeleaf is signed by fakedeviceca; the bag holds the real deviceca with the identical subject.
    expect(chainReachesAppleDeviceCa(c('fakeleaf'), [c('deviceca'), c('iphoneca')], [c('root')])).toBe(false);
    expect(() =>
      w.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'bag.pem', 'fakeleaf.pem']),
    ).toThrow();
    // The fake chain is internally consistent (its self-signed CA as anchor passes), so the refusal above
    // came from the signature check.
    expect(chainReachesAppleDeviceCa(c('fakeleaf'), [c('fakedeviceca')], [c('fakedeviceca')])).toBe(true);
  });

  it('requires the leaf’s direct issuer to be a device CA', () => {
    expect(chainReachesAppleDeviceCa(c('deviceca'), [c('iphoneca')], [c('root')])).toBe(false);
  });

  it('gives up on chains much longer than Apple’s', () => {
    const bag = ['m1', 'm2', 'm3', 'm4', 'deepdeviceca'].map(c);
    expect(chainReachesAppleDeviceCa(c('deepleaf'), bag, [c('root')])).toBe(false);
    expect(chainReachesAppleDeviceCa(c('deepleaf'), bag, [c('m2')])).toBe(true);
  });
});
