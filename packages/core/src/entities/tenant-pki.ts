import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * A tenant's certificate authority (it issues each enrollment's device identity) and the
 * certificate that signs its enrollment profiles. Made on first use; private keys sealed.
 */
export const tenantPkiEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'tenantPki', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        caCertificatePem: { type: 'string', required: true, readOnly: true },
        sealedCaKey: { type: 'any', required: true, readOnly: true },
        signingCertificatePem: { type: 'string', required: true, readOnly: true },
        sealedSigningKey: { type: 'any', required: true, readOnly: true },
        createdAt: timestamps.createdAt,
      },
      indexes: {
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: [], template: 'PKI', casing: 'none' },
        },
      },
    },
    config,
  );

/** The tenant's APNs MDM push certificate (its topic goes into every enrollment profile). */
export const pushCertificateEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'pushCertificate', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        certificatePem: { type: 'string', required: true },
        sealedPrivateKey: { type: 'any', required: true },
        topic: { type: 'string', required: true },
        notAfter: { type: 'string', required: true },
        fingerprintSha256: { type: 'string', required: true },
        uploadedAt: { type: 'string', required: true },
        version: { type: 'number', required: true, default: 1 },
      },
      indexes: {
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: [], template: 'PUSHCERT', casing: 'none' },
        },
      },
    },
    config,
  );

/**
 * A secret of the whole deployment (not of a tenant), sealed: today the access-token signing key.
 * Made on first use with a conditional put, so two containers racing end with one key.
 */
export const deploymentSecretEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'deploymentSecret', version: '1' },
      attributes: {
        name: { type: 'string', required: true, readOnly: true },
        sealed: { type: 'any', required: true, readOnly: true },
        createdAt: timestamps.createdAt,
      },
      indexes: {
        byName: {
          pk: { field: 'pk', composite: [], template: 'OPERATOR', casing: 'none' },
          sk: { field: 'sk', composite: ['name'], template: 'SECRET#${name}', casing: 'none' },
        },
      },
    },
    config,
  );
