import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, timestamps } from './common.ts';

/** An MSP. Created by the operator; owns tenants. */
export const partnerEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'partner', version: '1' },
      attributes: {
        partnerId: { type: 'string', required: true, readOnly: true },
        name: { type: 'string', required: true },
        createdBy: { type: 'string', required: true, readOnly: true },
        ...timestamps,
      },
      indexes: {
        // Get a partner by id.
        byId: {
          pk: { field: 'pk', composite: ['partnerId'], template: 'P#${partnerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'PARTNER', casing: 'none' },
        },
        // The operator lists all partners (a few hundred at most: one partition is fine).
        all: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: [], template: 'PARTNERS', casing: 'none' },
          sk: { field: 'gsi1sk', composite: ['partnerId'], template: '${partnerId}', casing: 'none' },
        },
      },
    },
    config,
  );
