/**
 * The enrollment profile served on the second enrollment POST
 * (docs/protocol/enrollment.md#the-second-request-and-the-profile, docs/protocol/profile.md; Apple
 * DOC-SIMPLE / DOC-OAUTH; YAML mdm/profiles/com.apple.mdm.yaml, com.apple.security.pkcs12.yaml, TopLevel.yaml):
 * a `Configuration` profile with exactly two payloads — the device identity as PKCS #12 and the
 * `com.apple.mdm` payload that points at it through `IdentityCertificateUUID`.
 * Every rule that makes the device cancel enrollment is checked here, before anything is served.
 */
import { randomUUID } from 'node:crypto';
import { AppleProtocolError } from './errors';
import { buildPlist, type PlistDict } from './plist';

export type EnrollmentMode = 'BYOD' | 'ADDE';

export interface EnrollmentProfileInput {
  /** `BYOD` = account-driven User Enrollment, `ADDE` = account-driven Device Enrollment
   * (docs/protocol/profile.md#the-mdm-payload). */
  enrollmentMode: EnrollmentMode;
  /** The Managed Apple Account of the authenticated user; missing/invalid → the device cancels. */
  assignedManagedAppleId: string;
  serverUrl: string;
  checkInUrl: string;
  /** APNs topic from the push certificate, `com.apple.mgmt.External.<uuid>`. */
  topic: string;
  /** Reverse-DNS prefix for PayloadIdentifier; the device replaces a profile with the same identifier. */
  identifierPrefix: string;
  /** Tenant's branded name, shown on the profile detail screen. */
  displayName: string;
  organization: string;
  description?: string;
  /** Device identity from buildPkcs12 and its password. */
  identity: { pkcs12: Uint8Array; password: string };
  /** ADDE only; default 8191 (all 13 rights, as OREORE/Zentral). Must be absent for BYOD. */
  accessRights?: number;
}

/** All 13 rights of the AccessRights bitmask (1 … 4096) in com.apple.mdm.yaml. */
export const ALL_ACCESS_RIGHTS = 8191;
/**
 * GetToken (`com.apple.mdm.token`) and per-user connections (required for macOS user channel). Only values
 * from Apple's rangelist — never Fleet's non-Apple `UserEnrollment`
 * (docs/protocol/profile.md#the-mdm-payload).
 */
export const SERVER_CAPABILITIES = ['com.apple.mdm.per-user-connections', 'com.apple.mdm.token'] as const;

export function buildEnrollmentProfile(input: EnrollmentProfileInput): string {
  return buildPlist(enrollmentProfileDict(input));
}

/** The same profile as a dictionary (what buildEnrollmentProfile serialises); for checks and tests. */
export function enrollmentProfileDict(input: EnrollmentProfileInput): PlistDict {
  const mode = input.enrollmentMode;
  if (mode !== 'BYOD' && mode !== 'ADDE') throw invalid('EnrollmentMode', 'must be "BYOD" or "ADDE"');
  const prefix = input.identifierPrefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(prefix))
    throw invalid('PayloadIdentifier', 'identifierPrefix must be reverse-DNS, e.g. "net.example.mdm"');
  const appleId = input.assignedManagedAppleId;
  if (typeof appleId !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(appleId))
    throw invalid('AssignedManagedAppleID', 'must be the user’s Managed Apple Account (name@domain)');
  if (typeof input.topic !== 'string' || !/^com\.apple\.mgmt\.\S+$/.test(input.topic))
    throw invalid('Topic', 'must start with "com.apple.mgmt." (the push certificate’s topic)');
  requireText('PayloadDisplayName', input.displayName);
  requireText('PayloadOrganization', input.organization);
  if (!(input.identity?.pkcs12 instanceof Uint8Array) || input.identity.pkcs12.byteLength === 0)
    throw invalid('PayloadContent', 'the identity PKCS #12 is missing');
  requireText('Password', input.identity.password);

  const identityUuid = newUuid();
  const identity: PlistDict = {
    PayloadType: 'com.apple.security.pkcs12',
    PayloadVersion: 1,
    PayloadIdentifier: `${prefix}.identity`,
    PayloadUUID: identityUuid,
    PayloadDisplayName: `${input.displayName} identity`,
    PayloadOrganization: input.organization,
    PayloadCertificateFileName: 'identity.p12',
    PayloadContent: Buffer.from(input.identity.pkcs12),
    Password: input.identity.password,
  };
  const mdm: PlistDict = {
    PayloadType: 'com.apple.mdm',
    PayloadVersion: 1,
    PayloadIdentifier: `${prefix}.mdm`,
    PayloadUUID: newUuid(),
    PayloadDisplayName: input.displayName,
    PayloadOrganization: input.organization,
    ServerURL: checkUrl('ServerURL', input.serverUrl),
    CheckInURL: checkUrl('CheckInURL', input.checkInUrl),
    Topic: input.topic,
    IdentityCertificateUUID: identityUuid,
    SignMessage: true,
    CheckOutWhenRemoved: true,
    ServerCapabilities: [...SERVER_CAPABILITIES],
    EnrollmentMode: mode,
    AssignedManagedAppleID: appleId,
  };
  if (mode === 'BYOD') {
    // User Enrollment has fixed rights; AccessRights present → the device cancels
    // (docs/protocol/profile.md#the-mdm-payload).
    if (input.accessRights !== undefined) throw invalid('AccessRights', 'must not be set for BYOD');
  } else mdm.AccessRights = checkAccessRights(input.accessRights ?? ALL_ACCESS_RIGHTS);

  const profile: PlistDict = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: prefix,
    PayloadUUID: newUuid(),
    PayloadDisplayName: input.displayName,
    PayloadOrganization: input.organization,
    PayloadContent: [identity, mdm],
  };
  if (input.description !== undefined)
    profile.PayloadDescription = requireText('PayloadDescription', input.description);
  return profile;
}

/**
 * com.apple.mdm.yaml AccessRights: "Don't set to '0'. Specify '1' if you specify '2'. Specify '64' if you
 * specify '128'." Only the 13 documented bits may be set.
 */
export function checkAccessRights(rights: number): number {
  if (!Number.isInteger(rights) || rights <= 0 || rights > ALL_ACCESS_RIGHTS)
    throw invalid('AccessRights', `must be an integer from 1 to ${ALL_ACCESS_RIGHTS}, not ${rights}`);
  if (rights & 2 && !(rights & 1))
    throw invalid('AccessRights', 'bit 2 (install/remove profiles) requires bit 1');
  if (rights & 128 && !(rights & 64))
    throw invalid('AccessRights', 'bit 128 (install/remove provisioning profiles) requires bit 64');
  return rights;
}

/** https only (YAML format `^https://.*$`); plain http solely for a developer's own machine. */
function checkUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(key, `"${value}" is not a URL`);
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local))
    throw invalid(key, 'must be an https:// URL (http is allowed for localhost only)');
  if (url.username || url.password || url.hash)
    throw invalid(key, 'must not contain credentials or a fragment');
  return value;
}

/** Uppercase, like `uuidgen` (TopLevel.yaml); a fresh one for every profile served. */
function newUuid(): string {
  return randomUUID().toUpperCase();
}

function requireText(key: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(key, 'must not be empty');
  return value;
}

function invalid(key: string, reason: string): AppleProtocolError {
  return new AppleProtocolError('INVALID_PROFILE_INPUT', `Enrollment profile ${key}: ${reason}.`);
}
