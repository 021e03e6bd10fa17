/**
 * What a function knows about its deployment, from environment variables set by infra (or by the
 * local runtime): the table (and for DynamoDB Local its endpoint), the public URL, the key
 * management for secrets (ADE_KMS_KEY_ID in AWS, ADE_LOCAL_KEY_FILE locally; the access-token signing
 * key is one of those secrets, see core/enrollment/token-key.ts) and APNs. The core itself is built
 * by core-from-env.ts (GraphQL and the worker, on the AWS SDK) or device-core-from-env.ts (the
 * device-facing functions, on db/wire.ts).
 */
import type { CoreOptions, PushNotifier } from '@ade/core/options';
import type { KeyManagement } from '@ade/core/secrets/index';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set.`);
  return value;
}

/**
 * Resolved on first use, so a function that never touches a secret never needs key configuration,
 * and loaded on first use: the KMS client is not part of any function's cold start (discovery and
 * the sign-in page never seal or open a secret; enrollment and check-in only on some requests).
 */
function keysFromEnv(): KeyManagement {
  let keys: Promise<KeyManagement> | undefined;
  const resolve = () => {
    keys ??= import('@ade/core/secrets/index').then(({ keyManagementFromEnv }) =>
      keyManagementFromEnv(process.env),
    );
    return keys;
  };
  return {
    description: process.env.ADE_KMS_KEY_ID
      ? `AWS KMS key ${process.env.ADE_KMS_KEY_ID}`
      : `local key file ${process.env.ADE_LOCAL_KEY_FILE ?? '(not configured)'}`,
    encrypt: async (plaintext, context) => (await resolve()).encrypt(plaintext, context),
    decrypt: async (sealed, context, options) => (await resolve()).decrypt(sealed, context, options),
  };
}

/**
 * APNs for a tenant's push certificate (api.push.apple.com; the sandbox with ADE_APNS_SANDBOX=1).
 * The HTTP/2 client loads when the first push is sent: most requests never push.
 */
function apnsFromEnv(certificate: { certificatePem: string; privateKeyPem: string }): PushNotifier {
  const client = import('@ade/apple/apns').then(({ createApnsClient }) =>
    createApnsClient({ ...certificate, sandbox: process.env.ADE_APNS_SANDBOX === '1' }),
  );
  return {
    send: async (pushes) => (await client).send(pushes),
    close: async () => (await client).close(),
  };
}

/** The table, and for DynamoDB Local its endpoint. */
export function tableFromEnv(): { tableName: string; endpoint?: string } {
  const endpoint = process.env.ADE_DYNAMODB_ENDPOINT || undefined;
  return { tableName: requireEnv('ADE_TABLE_NAME'), ...(endpoint ? { endpoint } : {}) };
}

export function optionsFromEnv(): Partial<CoreOptions> {
  return {
    keys: keysFromEnv(),
    publicUrl: requireEnv('ADE_PUBLIC_URL'),
    // ADE_APNS=off: no pushes (the local runtime, which cannot reach Apple); devices still poll.
    ...(process.env.ADE_APNS === 'off' ? {} : { push: apnsFromEnv }),
  };
}
