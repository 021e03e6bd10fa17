import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/** A partner's client organisation. Everything tenant-scoped lives in its partition. */
export const tenantEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'tenant', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        partnerId: { type: 'string', required: true, readOnly: true },
        name: { type: 'string', required: true },
        rootPolicyId: { type: 'string', required: true, readOnly: true },
        /** Kept in the same transactions that create and delete policies, so totalCount costs nothing. */
        policyCount: { type: 'number', required: true, default: 1 },
        version: { type: 'number', required: true, default: 1 },
        createdBy: { type: 'string', required: true, readOnly: true },
        ...timestamps,
      },
      indexes: {
        // Get a tenant by id.
        byId: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: [], template: 'TENANT', casing: 'none' },
        },
        // A partner lists its tenants, oldest first.
        byPartner: {
          index: 'gsi1',
          pk: {
            field: 'gsi1pk',
            composite: ['partnerId'],
            template: 'P#${partnerId}#TENANTS',
            casing: 'none',
          },
          sk: { field: 'gsi1sk', composite: ['tenantId'], template: '${tenantId}', casing: 'none' },
        },
      },
    },
    config,
  );
