import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition } from './common.ts';

/**
 * One guessing counter of the sign-in page (enrollment/sign-in-limits.ts): the passcode attempts
 * counted in one clock hour (`window`, hours since the epoch) against one subject of one
 * configuration — a person (`USER`), the whole configuration (`CONFIGURATION`) or a source address
 * (`SOURCE_ADDRESS`). The window is part of the key, so a new hour starts a new item and nothing
 * ever resets a counter but an admin (clearSignInLockout) or a successful sign-in; TTL removes old
 * ones. Written only by conditional `ADD`s, never read-then-written.
 */
export const signInCounterEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'signInCounter', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        configurationId: { type: 'string', required: true, readOnly: true },
        window: { type: 'number', required: true, readOnly: true },
        scope: { type: ['USER', 'CONFIGURATION', 'SOURCE_ADDRESS'] as const, required: true, readOnly: true },
        /** SHA-256 (base64url) of the subject: fixed length whatever an unauthenticated party sends. */
        subjectKey: { type: 'string', required: true, readOnly: true },
        /** What admins see: the Managed Apple Account or the address (bounded); none for CONFIGURATION. */
        subject: { type: 'string' },
        /** Attempts counted before their check (a successful one gives its count back). */
        attempts: { type: 'number' },
        /** Epoch milliseconds of the last counted attempt (the backoff is measured from it). */
        lastAttemptAt: { type: 'number' },
        /** Attempts refused by this counter in this window (audited at 1, 10, 100, …). */
        refused: { type: 'number' },
        /** Set once, with the audit event, when the counter first reached its limit. */
        lockedAt: { type: 'number' },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byWindow: {
          pk: tenantPartition,
          sk: {
            field: 'sk',
            composite: ['configurationId', 'window', 'scope', 'subjectKey'],
            template: 'SIGNIN#${configurationId}#${window}#${scope}#${subjectKey}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );
