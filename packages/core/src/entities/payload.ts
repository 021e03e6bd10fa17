import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * A payload on a policy: a configuration-profile payload (`kind: PROFILE`, delivered in an
 * InstallProfile command) or a declaration (`kind: DECLARATION`, delivered over declarative
 * management). Devices of the policy and of every descendant receive it. `settings` are kept as
 * the admin's JSON text, so integers and reals, dates and data survive exactly as validated.
 * `version` grows with every change; a device's deployment records the version it was sent.
 *
 * Secret values (the keys Apple's schema marks secret in the catalogue: passwords, shared secrets,
 * identity data; docs/payload-secrets.md) are not in `settingsJson`: they are sealed together in
 * `sealedSecrets` (purpose `payload-secret`, bound to tenant, payload and version), and
 * `secretPaths` lists where they go, so eligibility and the masked view need no decryption.
 */
export const payloadEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'payload', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        payloadId: { type: 'string', required: true, readOnly: true },
        policyId: { type: 'string', required: true, readOnly: true },
        kind: { type: ['PROFILE', 'DECLARATION'] as const, required: true, readOnly: true },
        payloadType: { type: 'string', required: true, readOnly: true },
        displayName: { type: 'string', required: true },
        settingsJson: { type: 'string', required: true },
        /** Key paths of the sealed secrets (names and array indices), e.g. [["Password"]]. */
        secretPaths: { type: 'any' },
        /** SealedSecret of the JSON list of { path, value } (payloads/secret-values.ts). */
        sealedSecrets: { type: 'any' },
        version: { type: 'number', required: true, default: 1 },
        createdBy: { type: 'string', required: true, readOnly: true },
        ...timestamps,
      },
      indexes: {
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['payloadId'], template: 'PLD#${payloadId}', casing: 'none' },
        },
        // The payloads of one policy (its own, not inherited).
        byPolicy: {
          index: 'gsi1',
          pk: {
            field: 'gsi1pk',
            composite: ['tenantId', 'policyId'],
            template: 'T#${tenantId}#PAYLOADS#${policyId}',
            casing: 'none',
          },
          sk: { field: 'gsi1sk', composite: ['payloadId'], template: '${payloadId}', casing: 'none' },
        },
      },
    },
    config,
  );
