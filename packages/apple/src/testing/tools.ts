/**
 * Test support only (not exported from the package): run independent tools — the `openssl` CLI and
 * Python's `plistlib` — so that fixtures and cross-checks do not come from the code under test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAppleProtocolError } from '../errors';

/** A real iPhone's enrollment request body (what it is and where it comes from: fixtures/README.md). */
export const ENROLL_CAPTURE_PATH = fileURLToPath(
  new URL('./fixtures/enroll-request-iphone12-1.der', import.meta.url),
);

export interface Workdir {
  dir: string;
  path(name: string): string;
  write(name: string, data: string | Uint8Array): string;
  read(name: string): Buffer;
  /** Runs `openssl ...args` inside the directory; throws with openssl's stderr on failure. */
  openssl(args: string[], input?: string | Uint8Array): Buffer;
  remove(): void;
}

export function workdir(prefix = 'ade-apple-'): Workdir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    write: (name, data) => {
      writeFileSync(join(dir, name), data);
      return join(dir, name);
    },
    read: (name) => readFileSync(join(dir, name)),
    openssl: (args, input) => {
      const res = spawnSync('openssl', args, { cwd: dir, input, maxBuffer: 16 * 1024 * 1024 });
      if (res.error) throw res.error;
      if (res.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${res.stderr.toString()}`);
      return res.stdout;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Creates a key (RSA, or EC P-256) and a certificate: self-signed, or signed by `issuer` (file stems in
 * `w`). `keyIds: false` leaves out subject/authority key identifiers, so that only names and signatures
 * link a certificate to its issuer.
 */
export function makeCert(
  w: Workdir,
  name: string,
  subject: string,
  opts: { issuer?: string; ca?: boolean; bits?: number; ec?: boolean; keyIds?: boolean } = {},
): { cert: string; key: string } {
  const key = `${name}.key`;
  const cert = `${name}.pem`;
  const keyArgs = opts.ec
    ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
    : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${opts.bits ?? 2048}`];
  w.openssl(['genpkey', ...keyArgs, '-out', key]);
  const ext = opts.ca
    ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
    : ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
  const keyIds = opts.keyIds !== false;
  if (keyIds) ext.push('subjectKeyIdentifier=hash');
  else ext.push('subjectKeyIdentifier=none', 'authorityKeyIdentifier=none');
  if (opts.issuer) {
    if (keyIds) ext.push('authorityKeyIdentifier=keyid');
    w.write(`${name}.ext`, `${ext.join('\n')}\n`);
    w.openssl(['req', '-new', '-key', key, '-subj', subject, '-out', `${name}.csr`]);
    w.openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${opts.issuer}.pem`,
      '-CAkey',
      `${opts.issuer}.key`,
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      cert,
    ]);
  } else {
    const addext = ext.flatMap((e) => ['-addext', e]);
    w.openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      subject,
      '-days',
      '30',
      '-sha256',
      ...addext,
      '-out',
      cert,
    ]);
  }
  return { cert, key };
}

/**
 * Runs a Python 3 snippet (stdin → stdout) for plistlib cross-checks. Python 3 is required, not optional:
 * without it these tests fail with a message that says so, instead of passing without their cross-check.
 */
export function python3(script: string, input = ''): string {
  const res = spawnSync('python3', ['-c', script], { input, maxBuffer: 16 * 1024 * 1024 });
  if (res.error)
    throw new Error(
      `python3 is required for the plistlib cross-checks and could not be run (${res.error.message}); ` +
        'install it (e.g. apt-get install -y python3)',
    );
  if (res.status !== 0) throw new Error(`python3 failed (exit ${res.status}): ${res.stderr.toString()}`);
  return res.stdout.toString('utf8');
}

/** The AppleProtocolError code `fn` throws, or undefined if it returns; anything else is rethrown. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isAppleProtocolError(err)) return err.code;
    throw err;
  }
  return undefined;
}
