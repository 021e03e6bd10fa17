import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE } from './common.ts';

/** Kept for about 400 days, then removed by DynamoDB's TTL. */
export const AUDIT_RETENTION_SECONDS = 400 * 24 * 3600;

/**
 * Something that happened, by whom, with what outcome. Written in the same transaction as the change
 * it describes, in the partition of the scope it belongs to; ids are ULIDs so the sort key is time.
 */
export const auditEventEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'auditEvent', version: '1' },
      attributes: {
        partition: { type: 'string', required: true, readOnly: true },
        eventId: { type: 'string', required: true, readOnly: true },
        tenantId: { type: 'string', readOnly: true },
        partnerId: { type: 'string', readOnly: true },
        action: { type: 'string', required: true, readOnly: true },
        actorKind: { type: 'string', required: true, readOnly: true },
        actorId: { type: 'string', required: true, readOnly: true },
        targetType: { type: 'string', required: true, readOnly: true },
        targetId: { type: 'string', required: true, readOnly: true },
        outcome: { type: ['SUCCESS', 'FAILURE'] as const, required: true, readOnly: true },
        reason: { type: 'string', readOnly: true },
        /** Small, non-secret facts about the change (e.g. old and new parent). */
        details: { type: 'any', readOnly: true },
        requestId: { type: 'string', readOnly: true },
        at: { type: 'string', required: true, readOnly: true },
        expiresAt: { type: 'number', readOnly: true, field: 'expiresAt' },
      },
      indexes: {
        // A scope's events, newest first when queried descending.
        byScope: {
          pk: { field: 'pk', composite: ['partition'], template: '${partition}', casing: 'none' },
          sk: { field: 'sk', composite: ['eventId'], template: 'AUD#${eventId}', casing: 'none' },
        },
      },
    },
    config,
  );
