import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * A web-authentication session: opened by the 401 challenge of one enrollment request, named in the
 * challenge URL's path (devices replace the URL's query with `user-identifier`), and gone after
 * 15 minutes (TTL). Passcode attempts are not counted here but per person, configuration and
 * source address (sign-in-counter.ts), so that a new session resets nothing.
 */
export const authSessionEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'authSession', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        sessionId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        /** SHA-256 of the CSRF token of the page last shown (renewed on each view). */
        csrfHash: { type: 'string', required: true },
        state: { type: ['OPEN', 'COMPLETED'] as const, required: true, default: 'OPEN' },
        product: { type: 'string', readOnly: true },
        osVersion: { type: 'string', readOnly: true },
        /** The request's signer chains to Apple's device CAs (@ade/apple device-chain.ts). */
        appleVerifiedDevice: { type: 'boolean', readOnly: true },
        createdAt: timestamps.createdAt,
        expiresAt: { type: 'number', required: true, readOnly: true },
      },
      indexes: {
        byId: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['sessionId'], template: 'AUTHS#${sessionId}', casing: 'none' },
        },
      },
    },
    config,
  );

/**
 * An enrollment access token (the bearer of `apple-as-web`), stored as a SHA-256 of its secret.
 * It is bound to one configuration, enrollment type and Managed Apple Account; it can be redeemed
 * for one enrollment profile only; afterwards the device keeps sending it on MDM requests, where
 * it is accepted only for the enrollment it was redeemed for — and refused once revoked.
 */
export const enrollmentTokenEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'enrollmentToken', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        tokenHash: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        enrollmentType: { type: ['USER', 'DEVICE'] as const, required: true, readOnly: true },
        managedAppleId: { type: 'string', required: true, readOnly: true },
        issuedAt: { type: 'string', required: true, readOnly: true },
        /** Until redeemed: a short deadline. Redeemed tokens live as long as their enrollment. */
        redeemBefore: { type: 'string', required: true, readOnly: true },
        redeemedAt: { type: 'string' },
        enrollmentId: { type: 'string' },
        revokedAt: { type: 'string' },
        expiresAt: { type: 'number' },
      },
      indexes: {
        byHash: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['tokenHash'], template: 'ETOK#${tokenHash}', casing: 'none' },
        },
      },
    },
    config,
  );
