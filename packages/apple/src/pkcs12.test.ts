import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPkcs12 } from './pkcs12';
import { readPkcs12 } from './pkcs12-read';
import { createCertificateAuthority, issueCertificate, type PemKeyPair } from './pki';
import { type Workdir, workdir } from './testing/tools';

const PASSWORD = 'c0rrect hörse';
let w: Workdir;
let ca: PemKeyPair;
let id: PemKeyPair;
let p12: Buffer;
beforeAll(() => {
  w = workdir();
  ca = createCertificateAuthority({ commonName: 'Acme MDM CA' });
  id = issueCertificate({ ca, commonName: 'device 1', usage: 'identity', validityDays: 365 });
  p12 = buildPkcs12({
    ...id,
    caPem: ca.certificatePem,
    password: PASSWORD,
    friendlyName: 'Acme MDM identity',
  });
  w.write('id.p12', p12);
  w.write('ca.pem', ca.certificatePem);
});
afterAll(() => w.remove());

describe('buildPkcs12, read by openssl 3 (no -legacy)', () => {
  it('uses 3DES PBE for key and certificates and an HMAC-SHA-1 MAC (readable by iOS 15+)', () => {
    // `-info` prints the algorithm lines on stderr.
    const res = spawnSync(
      'openssl',
      ['pkcs12', '-info', '-nodes', '-in', 'id.p12', '-passin', `pass:${PASSWORD}`],
      {
        cwd: w.dir,
      },
    );
    expect(res.status).toBe(0);
    const text = res.stdout.toString() + res.stderr.toString();
    expect(text).toContain('MAC: sha1, Iteration 2048');
    expect(text).toContain('PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048');
    expect(text).toContain('Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048');
    expect(text).toContain('friendlyName: Acme MDM identity');
    expect(text.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(text).toContain('BEGIN PRIVATE KEY');
  });

  it('holds the identity and the CA: the extracted leaf verifies and matches the key', () => {
    const pass = `pass:${PASSWORD}`;
    w.write('leaf.pem', w.openssl(['pkcs12', '-in', 'id.p12', '-passin', pass, '-clcerts', '-nokeys']));
    w.write('key.pem', w.openssl(['pkcs12', '-in', 'id.p12', '-passin', pass, '-nocerts', '-nodes']));
    expect(w.openssl(['verify', '-CAfile', 'ca.pem', 'leaf.pem']).toString()).toContain('leaf.pem: OK');
    const mod = w.openssl(['x509', '-in', 'leaf.pem', '-noout', '-modulus']).toString();
    expect(w.openssl(['rsa', '-in', 'key.pem', '-noout', '-modulus']).toString()).toBe(mod);
    const cacerts = w.openssl(['pkcs12', '-in', 'id.p12', '-passin', pass, '-cacerts', '-nokeys']).toString();
    expect(cacerts).toContain('subject=CN = Acme MDM CA');
  });

  it('is refused by openssl with a wrong password', () => {
    expect(() => w.openssl(['pkcs12', '-info', '-nodes', '-in', 'id.p12', '-passin', 'pass:wrong'])).toThrow(
      /Mac verify error/i,
    );
  });

  it('reads back openssl-built legacy files the same way (our KDF agrees with OpenSSL)', () => {
    w.write('id.key', id.privateKeyPem);
    w.write('id.pem', id.certificatePem);
    const args = ['pkcs12', '-export', '-in', 'id.pem', '-inkey', 'id.key', '-passout', 'pass:pw'];
    w.openssl([
      ...args,
      '-keypbe',
      'PBE-SHA1-3DES',
      '-certpbe',
      'PBE-SHA1-3DES',
      '-macalg',
      'sha1',
      '-out',
      'o.p12',
    ]);
    const back = readPkcs12(w.read('o.p12'), 'pw');
    expect(back.certificatePems).toEqual([id.certificatePem]);
  });
});

describe('readPkcs12 (our own parser)', () => {
  it('returns leaf first, the chain, the key and the friendly name', () => {
    const back = readPkcs12(p12, PASSWORD);
    expect(back.certificatePems).toEqual([id.certificatePem, ca.certificatePem]);
    expect(createPrivateKey(back.privateKeyPem).export({ format: 'jwk' })).toEqual(
      createPrivateKey(id.privateKeyPem).export({ format: 'jwk' }),
    );
    expect(back.friendlyName).toBe('Acme MDM identity');
  });

  it('refuses a wrong password and a tampered file with INVALID_PKCS12', () => {
    expect(() => readPkcs12(p12, 'wrong')).toThrow(expect.objectContaining({ code: 'INVALID_PKCS12' }));
    expect(() => readPkcs12(p12, 'wrong')).toThrow(/password is wrong/);
    const tampered = Buffer.from(p12);
    tampered[tampered.length - 60]! ^= 1;
    expect(() => readPkcs12(tampered, PASSWORD)).toThrow(expect.objectContaining({ code: 'INVALID_PKCS12' }));
  });

  it('refuses building without a password', () => {
    expect(() => buildPkcs12({ ...id, password: '', friendlyName: 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PKCS12' }),
    );
  });
});
