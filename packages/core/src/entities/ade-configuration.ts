import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * An account-driven enrollment setup, attached to one policy. Its `discoveryId` is the public,
 * unguessable name devices reach it by; it embeds the tenant and configuration ids so that a
 * discovery request is one GetItem under the tenant's partition (see ade/discovery-id.ts).
 */
export const adeConfigurationEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'adeConfiguration', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        policyId: { type: 'string', required: true },
        discoveryId: { type: 'string', required: true, readOnly: true },
        enrollmentType: { type: ['USER', 'DEVICE'] as const, required: true },
        /** Lower-case punycode; each is claimed in a domainClaim item. */
        domains: { type: 'list', items: { type: 'string' }, required: true },
        authMethod: { type: ['MANAGED_APPLE_ACCOUNT', 'PASSCODE'] as const, required: true },
        /** scrypt hash of the enrollment passcode (PASSCODE only). */
        passcodeHash: { type: 'string' },
        enabled: { type: 'boolean', required: true, default: false },
        /** Refuse enrollment requests whose signer does not chain to Apple's device CAs (off by default). */
        requireAppleVerifiedDevice: { type: 'boolean', required: true, default: false },
        /** ADE tokens (tok_…) through which our discovery URL is registered with Apple. */
        fallbackTokenIds: { type: 'list', items: { type: 'string' }, required: true, default: () => [] },
        version: { type: 'number', required: true, default: 1 },
        createdBy: { type: 'string', required: true, readOnly: true },
        ...timestamps,
      },
      indexes: {
        // A tenant's configurations; one by id.
        byTenant: {
          pk: tenantPartition,
          sk: {
            field: 'sk',
            composite: ['configurationId'],
            template: 'CFG#${configurationId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );
