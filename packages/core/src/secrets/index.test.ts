import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AwsKms, KeyManagementError, keyManagementFromEnv, LocalKeyFile } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ade-key-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keyManagementFromEnv', () => {
  it('uses AWS KMS when ADE_KMS_KEY_ID is set, even if a local key file is too', () => {
    const km = keyManagementFromEnv({
      ADE_KMS_KEY_ID: 'alias/ade',
      ADE_LOCAL_KEY_FILE: join(dir, 'unused.key'),
    });
    expect(km).toBeInstanceOf(AwsKms);
    expect(km.description).toBe('AWS KMS key alias/ade');
    expect(() => statSync(join(dir, 'unused.key'))).toThrow();
  });

  it('uses (and creates) the local key file otherwise', () => {
    const path = join(dir, 'master.key');
    const km = keyManagementFromEnv({ ADE_KMS_KEY_ID: ' ', ADE_LOCAL_KEY_FILE: path });
    expect(km).toBeInstanceOf(LocalKeyFile);
    expect(km.description).toContain(path);
    expect(statSync(path).size).toBe(32);
  });

  it('refuses to guess when neither is set', () => {
    let error: unknown;
    try {
      keyManagementFromEnv({});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyManagementError);
    expect(error).toMatchObject({ code: 'NOT_CONFIGURED' });
    expect((error as Error).message).toMatch(/ADE_KMS_KEY_ID.*ADE_LOCAL_KEY_FILE/);
  });
});
