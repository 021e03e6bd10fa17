import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE } from './common.ts';

/**
 * "This domain belongs to that ADE configuration." Apple allows one account-driven setup per
 * domain, so the claim is global — the one kind of item whose key cannot lead with a tenant id.
 * It is created with attribute_not_exists in the transaction that saves the configuration, which
 * makes two concurrent claims end with exactly one owner. It is never returned to other tenants.
 */
export const domainClaimEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'domainClaim', version: '1' },
      attributes: {
        domain: { type: 'string', required: true, readOnly: true },
        tenantId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        claimedAt: {
          type: 'string',
          required: true,
          readOnly: true,
          default: () => new Date().toISOString(),
        },
      },
      indexes: {
        byDomain: {
          pk: { field: 'pk', composite: ['domain'], template: 'DOMAIN#${domain}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'CLAIM', casing: 'none' },
        },
      },
    },
    config,
  );
