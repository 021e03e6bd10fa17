import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * An enrolled (or enrolling) device. Its id is derived from the identity certificate we issued
 * for the enrollment (`dev_` + SHA-256 of the certificate, base32), so a check-in signed with that
 * identity (Mdm-Signature) finds its device with one GetItem, without trusting any id the request
 * claims. Apple's identifiers are stored verbatim: EnrollmentID (BYOD, new on every enrollment) or
 * UDID and serial number (ADDE only — User Enrollment never reveals them).
 */
export const deviceEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'device', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        deviceId: { type: 'string', required: true, readOnly: true },
        policyId: { type: 'string', required: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        enrollmentType: { type: ['BYOD', 'ADDE'] as const, required: true, readOnly: true },
        managedAppleId: { type: 'string', required: true, readOnly: true },
        tokenHash: { type: 'string', required: true, readOnly: true },
        identityFingerprint: { type: 'string', required: true, readOnly: true },
        status: {
          type: ['PROFILE_ISSUED', 'AUTHENTICATED', 'ENROLLED', 'UNENROLLED'] as const,
          required: true,
        },
        platform: { type: 'string' },
        product: { type: 'string' },
        model: { type: 'string' },
        modelName: { type: 'string' },
        osVersion: { type: 'string' },
        buildVersion: { type: 'string' },
        /**
         * The enrollment request that got the profile was signed by an identity whose chain reaches
         * Apple's device CAs (@ade/apple device-chain.ts): plausibly a real Apple device, not proof
         * of one. Unset on devices enrolled before it was recorded.
         */
        appleVerifiedDevice: { type: 'boolean' },
        enrollmentId: { type: 'string' },
        udid: { type: 'string' },
        serialNumber: { type: 'string' },
        deviceName: { type: 'string' },
        topic: { type: 'string' },
        sealedPush: { type: 'any' },
        /** APNs refused this device's token for good (BadDeviceToken, Unregistered, …). */
        pushError: { type: 'string' },
        pushErrorAt: { type: 'string' },
        profileIssuedAt: { type: 'string', required: true, readOnly: true },
        enrolledAt: { type: 'string' },
        lastCheckInAt: { type: 'string' },
        unenrolledAt: { type: 'string' },
        /** Set when the device enrolled again (same UDID) and this record was retired for that one. */
        replacedBy: { type: 'string' },
        version: { type: 'number', required: true, default: 1 },
        ...timestamps,
      },
      indexes: {
        // A tenant's devices; one by id (what a check-in's identity resolves to).
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['deviceId'], template: 'DEV#${deviceId}', casing: 'none' },
        },
        // The devices of one policy.
        byPolicy: {
          index: 'gsi1',
          pk: {
            field: 'gsi1pk',
            composite: ['tenantId', 'policyId'],
            template: 'T#${tenantId}#DEVICES#${policyId}',
            casing: 'none',
          },
          sk: { field: 'gsi1sk', composite: ['deviceId'], template: '${deviceId}', casing: 'none' },
        },
      },
    },
    config,
  );
