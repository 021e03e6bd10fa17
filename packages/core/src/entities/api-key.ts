import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, timestamps } from './common.ts';

/**
 * An API key, stored in its owner's partition (`OPERATOR`, `P#<partnerId>` or `T#<tenantId>`).
 * Only a SHA-256 of the secret is kept: the secret is 256 random bits, so a fast hash is as strong
 * as a slow one and keeps authentication to a single GetItem.
 */
export const apiKeyEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'apiKey', version: '1' },
      attributes: {
        partition: { type: 'string', required: true, readOnly: true },
        keyId: { type: 'string', required: true, readOnly: true },
        ownerKind: { type: ['operator', 'partner', 'tenant'] as const, required: true, readOnly: true },
        partnerId: { type: 'string', readOnly: true },
        tenantId: { type: 'string', readOnly: true },
        name: { type: 'string', required: true },
        role: { type: ['ADMIN', 'READ_ONLY'] as const, required: true, readOnly: true },
        secretHash: { type: 'string', required: true, readOnly: true, hidden: false },
        /** The last four characters of the secret, so a person can tell keys apart. */
        hint: { type: 'string', required: true, readOnly: true },
        createdBy: { type: 'string', required: true, readOnly: true },
        createdAt: timestamps.createdAt,
        lastUsedAt: { type: 'string' },
        revokedAt: { type: 'string' },
        revokedBy: { type: 'string' },
      },
      indexes: {
        // Authentication and listing: the keys of one owner.
        byOwner: {
          pk: { field: 'pk', composite: ['partition'], template: '${partition}', casing: 'none' },
          sk: { field: 'sk', composite: ['keyId'], template: 'KEY#${keyId}', casing: 'none' },
        },
      },
    },
    config,
  );
