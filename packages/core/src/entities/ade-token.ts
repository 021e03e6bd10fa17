import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * An ABM/ASM "MDM server": the key pair we generated, the server token the admin uploaded (its OAuth
 * credentials), and what Apple's /account says about it. The private key and the credentials are
 * sealed by the key-management provider, bound to the tenant and token ids; never returned.
 */
export const adeTokenEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'adeToken', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        tokenId: { type: 'string', required: true, readOnly: true },
        name: { type: 'string', required: true },
        /** The policy it is directly assigned to; unassigned tokens use the `-` index value. */
        policyId: { type: 'string' },
        policyKey: { type: 'string', required: true, hidden: true },
        certificatePem: { type: 'string', required: true, readOnly: true },
        certificateNotAfter: { type: 'string', required: true, readOnly: true },
        sealedPrivateKey: { type: 'any', required: true, readOnly: true },
        sealedCredentials: { type: 'any' },
        accessTokenExpiry: { type: 'string' },
        uploadedAt: { type: 'string' },
        serverName: { type: 'string' },
        serverUuid: { type: 'string' },
        orgName: { type: 'string' },
        orgId: { type: 'string' },
        orgEmail: { type: 'string' },
        adminId: { type: 'string' },
        lastSyncAt: { type: 'string' },
        lastSyncError: { type: 'string' },
        version: { type: 'number', required: true, default: 1 },
        createdBy: { type: 'string', required: true, readOnly: true },
        ...timestamps,
      },
      indexes: {
        // A tenant's tokens; one by id.
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['tokenId'], template: 'TOK#${tokenId}', casing: 'none' },
        },
        // The tokens directly assigned to one policy.
        byPolicy: {
          index: 'gsi1',
          pk: {
            field: 'gsi1pk',
            composite: ['tenantId', 'policyKey'],
            template: 'T#${tenantId}#TOKENS#${policyKey}',
            casing: 'none',
          },
          sk: { field: 'gsi1sk', composite: ['tokenId'], template: '${tokenId}', casing: 'none' },
        },
      },
    },
    config,
  );
