/**
 * The KMS key that wraps the data keys of secrets at rest (envelope encryption, see
 * packages/core/src/secrets/aws-kms.ts): ABM/ASM token keys and OAuth credentials, tenant CA and
 * profile-signing keys, APNs certificate keys and device push tokens. Losing it loses every secret
 * in the table, so production keeps it on removal and a deletion always waits 30 days.
 */
import { isProduction } from './database.ts';

export function createSecretsKey(stage: string) {
  const key = new aws.kms.Key(
    'SecretsKey',
    {
      description: `ADE Cloud ${stage}: wraps the data keys of secrets stored in the table`,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    },
    { retainOnDelete: isProduction(stage) },
  );
  new aws.kms.Alias('SecretsKeyAlias', {
    name: `alias/ade-cloud-${stage}-secrets`,
    targetKeyId: key.keyId,
  });
  return key;
}
