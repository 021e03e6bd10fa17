import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyManagementError, LocalKeyFile } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ade-key-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context = { tenantId: 'ten_01J0000000000000000000000A', purpose: 'asm-token' };
const posix = process.platform !== 'win32';

function keyFileError(path: string): KeyManagementError {
  try {
    LocalKeyFile.open(path);
  } catch (error) {
    expect(error).toBeInstanceOf(KeyManagementError);
    expect((error as KeyManagementError).code).toBe('KEY_FILE_INVALID');
    return error as KeyManagementError;
  }
  throw new Error('expected LocalKeyFile.open to refuse the file');
}

describe('LocalKeyFile', () => {
  it('creates a missing key file (and its folder) with mode 0600, then keeps using it', async () => {
    const path = join(dir, 'data', 'nested', 'master.key');
    const first = LocalKeyFile.open(path);
    const bytes = readFileSync(path);
    expect(bytes).toHaveLength(32);
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600);
    const sealed = await first.encrypt('secret', context);

    // A restart reads the same key: it never overwrites, and old secrets still open.
    const second = LocalKeyFile.open(path);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(second.keyId).toBe(first.keyId);
    expect((await second.decrypt(sealed, context)).toString()).toBe('secret');
  });

  it('accepts a base64 key file (openssl rand -base64 32)', async () => {
    const key = Buffer.alloc(32, 7);
    const path = join(dir, 'base64.key');
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600 });
    expect(LocalKeyFile.open(path).keyId).toBe(LocalKeyFile.inMemory(key).keyId);
  });

  it('refuses a key file that group or others can read (where the OS has such modes)', () => {
    const path = join(dir, 'shared.key');
    writeFileSync(path, Buffer.alloc(32, 1), { mode: 0o600 });
    chmodSync(path, 0o644);
    if (!posix) {
      // Windows has no group/other mode bits to check: the file opens, and that is the rule there.
      expect(LocalKeyFile.open(path).keyId).toBe(LocalKeyFile.inMemory(Buffer.alloc(32, 1)).keyId);
      return;
    }
    const error = keyFileError(path);
    expect(error.message).toContain(path);
    expect(error.message).toContain('mode 644');
    expect(error.message).toContain(`chmod 600 ${path}`);
    chmodSync(path, 0o640);
    expect(keyFileError(path).message).toContain('mode 640');
  });

  it('refuses a key file of the wrong length, without overwriting it', () => {
    const path = join(dir, 'short.key');
    writeFileSync(path, Buffer.alloc(16, 1), { mode: 0o600 });
    const error = keyFileError(path);
    expect(error.message).toMatch(/must hold exactly 32 bytes .* holds 16 bytes/);
    expect(readFileSync(path)).toHaveLength(16);
    writeFileSync(path, '', { mode: 0o600 });
    expect(keyFileError(path).message).toContain('holds 0 bytes');
  });

  it('refuses a directory where the key file should be', () => {
    expect(keyFileError(dir).message).toContain('not a regular file');
  });

  it('never shows its master key: description, logging, JSON', () => {
    const key = Buffer.alloc(32, 0xab);
    const km = LocalKeyFile.inMemory(key);
    const printed = [km.description, inspect(km, { showHidden: true, depth: 5 }), JSON.stringify(km)].join(
      '\n',
    );
    for (const form of [key.toString('hex'), key.toString('base64')]) {
      expect(printed).not.toContain(form);
    }
    expect(km.description).toMatch(/^local master key local:[0-9a-f]{16} \(in memory\)$/);
    expect(() => LocalKeyFile.inMemory(Buffer.alloc(31))).toThrow(/32 bytes/);
  });
});
