import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition } from './common.ts';

/**
 * Whether our discovery URL is registered with Apple through one ADE token, for one configuration:
 * what we want (`desired`), what we last achieved (`state`), and when and how it last went. Apple's
 * side effect cannot share a DynamoDB transaction, so the wish is saved first and the call follows;
 * retrying replays the wish, which is safe because Apple's assign and remove are idempotent.
 */
export const fallbackRegistrationEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'fallbackRegistration', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        tokenId: { type: 'string', required: true, readOnly: true },
        desired: { type: ['REGISTERED', 'REMOVED'] as const, required: true },
        url: { type: 'string', required: true },
        state: {
          type: ['PENDING', 'REGISTERED', 'REMOVED', 'FAILED'] as const,
          required: true,
          default: 'PENDING',
        },
        lastSuccessAt: { type: 'string' },
        lastAttemptAt: { type: 'string' },
        lastError: { type: 'string' },
        lastErrorCode: { type: 'string' },
      },
      indexes: {
        // The registrations of one configuration.
        byConfiguration: {
          pk: tenantPartition,
          sk: {
            field: 'sk',
            composite: ['configurationId', 'tokenId'],
            template: 'FBR#${configurationId}#${tokenId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );
