/**
 * What the domain needs from outside the database: key management for secrets, Apple's Device
 * Assignment API, the public URL devices reach us at, and a clock. Interfaces only at these seams;
 * tests pass local fakes (test/fakes), production passes the real thing (functions/env.ts).
 */

import type { PushNotifier } from '@ade/apple/apns';
import type { DeviceAssignmentApi, ServerTokenCredentials } from '@ade/apple/dep/index';
import { verifyPasscode } from './ade/passcode.ts';
import { SIGN_IN_LIMITS, type SignInLimits } from './enrollment/sign-in-limits.ts';
import type { KeyManagement } from './secrets/key-management.ts';
import type { TokenSigner } from './secrets/token-signer.ts';

// Types only: the HTTP/2 client itself loads where pushes are sent (functions/env.ts).
export type { MdmPush, PushNotifier, PushOutcome } from '@ade/apple/apns';

export interface CoreOptions {
  keys: KeyManagement;
  /** Signs and verifies access tokens (enrollment/tokens.ts); by default the deployment's sealed key (enrollment/token-key.ts). */
  tokenSigner: TokenSigner;
  /** A Device Assignment API client for one server token's credentials. */
  deviceAssignment: (credentials: ServerTokenCredentials) => DeviceAssignmentApi;
  /** e.g. https://mdm.example.net — discovery, enrollment and check-in URLs are built from it. */
  publicUrl: string;
  now: () => Date;
  /** APNs for a tenant's push certificate; without it, queued work waits for the device's next check-in. */
  push?: (certificate: { certificatePem: string; privateKeyPem: string }) => PushNotifier;
  /**
   * The sign-in page's guessing limits (enrollment/sign-in-limits.ts); by default SIGN_IN_LIMITS.
   * `null` counts nothing: only for measuring what the limits cost (pnpm bench:guessing).
   */
  signInLimits: SignInLimits | null;
  /** Checks a typed passcode against its stored hash (ade/passcode.ts): the one seam where passcodes are checked. */
  verifyPasscode: (passcode: string, stored: string) => Promise<boolean>;
}

const USER_AGENT = 'ade-cloud/1.0';

/**
 * Apple's Device Assignment API, its client loaded on first use: only the administration of ADE
 * tokens calls it, so the device-facing functions (device-core.ts) never load it at all.
 */
function appleDeviceAssignment(credentials: ServerTokenCredentials): DeviceAssignmentApi {
  let client: Promise<DeviceAssignmentApi> | undefined;
  const load = () =>
    (client ??= import('@ade/apple/dep/index').then(
      ({ DeviceAssignmentClient }) => new DeviceAssignmentClient({ credentials, userAgent: USER_AGENT }),
    ));
  return {
    account: async () => (await load()).account(),
    assignAccountDrivenEnrollmentProfile: async (url) =>
      (await load()).assignAccountDrivenEnrollmentProfile(url),
    fetchAccountDrivenEnrollmentProfile: async () => (await load()).fetchAccountDrivenEnrollmentProfile(),
    removeAccountDrivenEnrollmentProfile: async () => (await load()).removeAccountDrivenEnrollmentProfile(),
  };
}

/** Fails closed: without a configured provider, nothing can be sealed or unsealed. */
const unconfiguredKeys: KeyManagement = {
  description: 'unconfigured',
  encrypt: () =>
    Promise.reject(new Error('Key management is not configured (ADE_KMS_KEY_ID or ADE_LOCAL_KEY_FILE).')),
  decrypt: () =>
    Promise.reject(new Error('Key management is not configured (ADE_KMS_KEY_ID or ADE_LOCAL_KEY_FILE).')),
};

/** `defaultSigner`: the token signer when none is given (the deployment's sealed key, see core.ts). */
export function resolveOptions(
  options: Partial<CoreOptions>,
  defaultSigner: (keys: KeyManagement) => TokenSigner,
): CoreOptions {
  const keys = options.keys ?? unconfiguredKeys;
  return {
    keys,
    tokenSigner: options.tokenSigner ?? defaultSigner(keys),
    deviceAssignment: options.deviceAssignment ?? appleDeviceAssignment,
    publicUrl: (options.publicUrl ?? 'http://localhost:4000').replace(/\/+$/, ''),
    now: options.now ?? (() => new Date()),
    signInLimits: options.signInLimits === undefined ? SIGN_IN_LIMITS : options.signInLimits,
    verifyPasscode: options.verifyPasscode ?? verifyPasscode,
    ...(options.push ? { push: options.push } : {}),
  };
}
