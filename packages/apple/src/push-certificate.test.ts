import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePushCertificate } from './push-certificate';
import { errorCode as code, makeCert, type Workdir, workdir } from './testing/tools';

/** Certificates shaped like the portal's: `UID=com.apple.mgmt.External.<uuid>, CN=APSP:<uuid>, C=US`. */
const UUID = '2b9e3c4d-5f60-4a1b-8c2d-3e4f5a6b7c8d';
const TOPIC = `com.apple.mgmt.External.${UUID}`;
let w: Workdir;
const pem = (name: string) => w.read(name).toString();
beforeAll(() => {
  w = workdir();
  makeCert(w, 'push', `/UID=${TOPIC}/CN=APSP:${UUID}/C=US`);
  makeCert(w, 'other', '/CN=unrelated');
  makeCert(w, 'wrongtopic', `/UID=com.example.push/CN=APSP:${UUID}/C=US`);
  makeCert(w, 'prefixonly', '/UID=com.apple.mgmt./CN=x');
  makeCert(w, 'cnonly', `/CN=${TOPIC}`);
  w.write('pkcs1.key', w.openssl(['pkey', '-in', 'push.key', '-traditional']));
  w.write(
    'enc.key',
    w.openssl(['pkcs8', '-topk8', '-in', 'push.key', '-v2', 'aes-256-cbc', '-passout', 'pass:x']),
  );
});
afterAll(() => w.remove());

function opensslDate(flag: '-startdate' | '-enddate'): Date {
  const out = w.openssl(['x509', '-in', 'push.pem', '-noout', flag]).toString();
  return new Date(out.split('=')[1]!.trim());
}
describe('parsePushCertificate', () => {
  it('reads the topic from the subject UID and the dates / fingerprint openssl reports', () => {
    const r = parsePushCertificate(pem('push.pem'), pem('push.key'));
    expect(r.topic).toBe(TOPIC);
    expect(r.subject).toBe(`UID=${TOPIC}, CN=APSP:${UUID}, C=US`);
    expect(r.notBefore).toEqual(opensslDate('-startdate'));
    expect(r.notAfter).toEqual(opensslDate('-enddate'));
    const fp = w.openssl(['x509', '-in', 'push.pem', '-noout', '-fingerprint', '-sha256']).toString();
    expect(r.fingerprintSha256).toBe(/=([0-9A-F:]+)/.exec(fp)![1]);
  });

  it('accepts a PKCS #1 key and a PEM bundle whose first certificate is the push certificate', () => {
    const bundle = pem('push.pem') + pem('other.pem');
    expect(parsePushCertificate(bundle, pem('pkcs1.key')).topic).toBe(TOPIC);
  });

  it.each([
    ['UID outside com.apple.mgmt.', 'wrongtopic'],
    ['UID is only the prefix', 'prefixonly'],
    ['topic-like CN but no UID', 'cnonly'],
    ['no UID at all', 'other'],
  ])('%s → NOT_A_PUSH_CERTIFICATE', (_name, cert) => {
    expect(code(() => parsePushCertificate(pem(`${cert}.pem`), pem(`${cert}.key`)))).toBe(
      'NOT_A_PUSH_CERTIFICATE',
    );
  });

  it('checks validity against `now`: expired one second after notAfter, not yet valid before notBefore', () => {
    const notAfter = opensslDate('-enddate');
    const notBefore = opensslDate('-startdate');
    const at = (d: Date) => () => parsePushCertificate(pem('push.pem'), pem('push.key'), { now: d });
    expect(code(at(notAfter))).toBeUndefined();
    expect(code(at(new Date(notAfter.getTime() + 1000)))).toBe('CERTIFICATE_EXPIRED');
    expect(code(at(new Date(notBefore.getTime() - 1000)))).toBe('CERTIFICATE_NOT_YET_VALID');
  });

  it('refuses the private key of another certificate', () => {
    expect(code(() => parsePushCertificate(pem('push.pem'), pem('other.key')))).toBe('KEY_MISMATCH');
  });

  it.each([
    ['garbage certificate', () => 'hello', () => pem('push.key')],
    [
      'certificate PEM with broken base64',
      () => '-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----',
      () => pem('push.key'),
    ],
    [
      'certificate PEM with non-certificate DER',
      () => pem('push.key').replace(/PRIVATE KEY/g, 'CERTIFICATE'),
      () => pem('push.key'),
    ],
    ['a key where the certificate goes', () => pem('push.key'), () => pem('push.key')],
    ['garbage key', () => pem('push.pem'), () => 'hello'],
    ['a certificate where the key goes', () => pem('push.pem'), () => pem('push.pem')],
    [
      'key PEM with broken content',
      () => pem('push.pem'),
      () => '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    ],
    ['encrypted key', () => pem('push.pem'), () => pem('enc.key')],
  ])('%s → MALFORMED_PEM', (_name, cert, key) => {
    expect(code(() => parsePushCertificate(cert(), key()))).toBe('MALFORMED_PEM');
  });
});
