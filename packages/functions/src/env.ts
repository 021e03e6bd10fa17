/**
 * What a function knows about its deployment, from environment variables set by infra (or by the
 * local runtime): the table (and for DynamoDB Local its endpoint), the public URL, and the key
 * management for secrets (ADE_KMS_KEY_ID in AWS, ADE_LOCAL_KEY_FILE locally).
 */
import { type Core, createCore, createDatabase } from '@ade/core';
import { type KeyManagement, keyManagementFromEnv } from '@ade/core/secrets/index';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set.`);
  return value;
}

/** Resolved on first use, so a function that never touches a secret never needs key configuration. */
function keysFromEnv(): KeyManagement {
  let keys: KeyManagement | undefined;
  const resolve = () => {
    keys ??= keyManagementFromEnv(process.env);
    return keys;
  };
  return {
    get description() {
      return resolve().description;
    },
    encrypt: (plaintext, context) => resolve().encrypt(plaintext, context),
    decrypt: (sealed, context) => resolve().decrypt(sealed, context),
  };
}

let core: Core | undefined;

/** One core per process (Lambda container), built on first use. */
export function coreFromEnv(): Core {
  core ??= createCore(
    createDatabase({
      tableName: requireEnv('ADE_TABLE_NAME'),
      endpoint: process.env.ADE_DYNAMODB_ENDPOINT || undefined,
    }),
    { keys: keysFromEnv(), publicUrl: requireEnv('ADE_PUBLIC_URL') },
  );
  return core;
}
