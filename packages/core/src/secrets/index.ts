/**
 * Secrets at rest. Seal with `encrypt(secret, { tenantId, purpose })`, store the SealedSecret, open
 * with the same context rebuilt from where it is read. Never return or log what `decrypt` yields.
 */
import { AwsKms } from './aws-kms.ts';
import { type KeyManagement, KeyManagementError } from './key-management.ts';
import { LocalKeyFile } from './local-key-file.ts';

export { AwsKms, type AwsKmsOptions } from './aws-kms.ts';
export {
  canonicalContext,
  type DecryptOptions,
  type EncryptionContext,
  type KeyManagement,
  KeyManagementError,
  type KeyManagementErrorCode,
  type SealedSecret,
  SecretDecryptionError,
  type SecretProvider,
} from './key-management.ts';
export { LocalKeyFile } from './local-key-file.ts';
export { hmacTokenSigner, newTokenKey, type TokenSigner } from './token-signer.ts';

/** A throwaway key for tests: secrets sealed with it die with the process. */
export function ephemeralKeyManagement(): KeyManagement {
  return LocalKeyFile.inMemory();
}

/**
 * The provider the environment asks for: `ADE_KMS_KEY_ID` (id, ARN or alias) → AWS KMS; else
 * `ADE_LOCAL_KEY_FILE` (path, created if missing) → local key file. There is deliberately no
 * silent fallback: sealing secrets under a key nobody chose would lose them on the next deploy.
 */
export function keyManagementFromEnv(env: NodeJS.ProcessEnv = process.env): KeyManagement {
  const kmsKeyId = env.ADE_KMS_KEY_ID?.trim();
  if (kmsKeyId) return new AwsKms({ keyId: kmsKeyId });
  const keyFile = env.ADE_LOCAL_KEY_FILE?.trim();
  if (keyFile) return LocalKeyFile.open(keyFile);
  throw new KeyManagementError(
    'NOT_CONFIGURED',
    'No key management is configured for secrets at rest: set ADE_KMS_KEY_ID to a KMS key id, ARN or ' +
      'alias (AWS), or ADE_LOCAL_KEY_FILE to the path of a 32-byte master key file, created if missing (local).',
  );
}
