import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition } from './common.ts';

/**
 * "This UDID is that device record's" (ADDE only; User Enrollment never reveals a UDID). A device
 * holds one MDM enrollment at a time, so when an Authenticate names a UDID another record holds, the
 * device enrolled again and that record is over (enrollment/reenrollment.ts). The claim is written
 * under a condition in the Authenticate's own transaction, which is what makes "one active record
 * per UDID" hold under concurrency; a device index (a GSI) could not be read inside a transaction.
 * Keyed by a SHA-256 of the UDID: the device sends it, and a sort key has a size limit.
 */
export const udidClaimEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'udidClaim', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        udidHash: { type: 'string', required: true, readOnly: true },
        deviceId: { type: 'string', required: true },
        claimedAt: { type: 'string', required: true },
      },
      indexes: {
        byUdid: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['udidHash'], template: 'UDID#${udidHash}', casing: 'none' },
        },
      },
    },
    config,
  );
