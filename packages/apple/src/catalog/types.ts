/**
 * Shape of the eligibility catalogue that `pnpm catalog:generate` writes to catalog.generated.ts from
 * the facts of Apple's device-management schemas (../schema/; the YAML format is described in
 * https://github.com/apple/device-management/blob/3b90e3fb6874afc707945774cdf929da3d8d03b6/docs/schema.md). Only what
 * the rules in index.ts and validate.ts need is kept: no titles, descriptions or defaults.
 *
 * Apple's `supportedOS` is per platform. A key "inherits" its payload's values and overrides some
 * (the schema format's "supportedOS Object"); the catalogue stores a key's overrides only where they can
 * change the answer (a later `introduced`, `supervised: true`, a User Enrollment mode other than
 * `allowed`, …).
 */

/** Platforms as Apple's YAML names them. */
export type CatalogPlatform = 'iOS' | 'macOS' | 'tvOS' | 'visionOS' | 'watchOS';
export const CATALOG_PLATFORMS: readonly CatalogPlatform[] = ['iOS', 'macOS', 'tvOS', 'visionOS', 'watchOS'];

/** `userenrollment.mode`: how the item behaves when User Enrollment is in effect. */
export type UserEnrollmentMode = 'allowed' | 'forbidden' | 'ignored' | 'required';

/** Declarations' `allowed-enrollments` and `allowed-scopes`. */
export type DeclarationEnrollment = 'supervised' | 'device' | 'user' | 'local';
export type DeclarationScope = 'system' | 'user';

/** One platform's entry of an item's `supportedOS` (platforms where `introduced` is `n/a` are left out). */
export interface PlatformRule {
  introduced: string;
  deprecated?: string;
  removed?: string;
  /** `supervised: true` — only on supervised devices. */
  supervised?: true;
  /** `requiresdep: true` — only on devices enrolled through Automated Device Enrollment. */
  requiresDep?: true;
  /** `userenrollment.mode`; absent when Apple gives none for this platform. */
  userEnrollment?: UserEnrollmentMode;
  /** `sharedipad.mode: required` — only on Shared iPad. */
  sharedIpadOnly?: true;
  /** `devicechannel: false` / `userchannel: false` (macOS): which MDM channel may carry it. */
  deviceChannel?: false;
  userChannel?: false;
  /** `multiple: false` — at most one payload of this type may be installed. */
  multiple?: false;
  /** Declarations only: `allowed-enrollments` and `allowed-scopes`. */
  enrollments?: readonly DeclarationEnrollment[];
  scopes?: readonly DeclarationScope[];
}

export type Platforms = Partial<Record<CatalogPlatform, PlatformRule>>;

/** A key's own overrides on one platform; `null` = the key does not exist there (`introduced: n/a`). */
export interface KeyPlatformRule {
  introduced?: string;
  removed?: string;
  supervised?: true;
  requiresDep?: true;
  userEnrollment?: Exclude<UserEnrollmentMode, 'allowed'>;
  sharedIpadOnly?: true;
  /** Declaration keys: `allowed-enrollments`, when narrower than the declaration's. */
  enrollments?: readonly DeclarationEnrollment[];
}

export type KeyType =
  | 'string'
  | 'integer'
  | 'real'
  | 'boolean'
  | 'date'
  | 'data'
  | 'array'
  | 'dictionary'
  | 'any';

export interface KeyDef {
  name: string;
  type: KeyType;
  /** `presence: required`. */
  required?: true;
  /** `rangelist`, when short enough to be a closed set (see the generator). */
  values?: readonly (string | number | boolean)[];
  /** `range`. */
  min?: number;
  max?: number;
  /** `format`: a regular expression the string must match. */
  pattern?: string;
  /**
   * Index into `keyLists`: a dictionary's keys, or an array's single item definition. A dictionary
   * whose only key is `ANY` takes free-form keys, each matching that definition.
   */
  sub?: number;
  os?: Partial<Record<CatalogPlatform, KeyPlatformRule | null>>;
  /**
   * The value is a secret (a password, shared secret, token, identity data): sealed at rest, never
   * shown back, write-only (secret-rule.ts says how the generator decides; docs/payload-secrets.md).
   */
  secret?: true;
}

export interface ProfileEntry {
  os: Platforms;
  /** Index into `keyLists`. */
  keys: number;
}

/** A declaration type: its rules and the keys of its `Payload` dictionary (Type, Identifier, … are the envelope's). */
export type DeclarationEntry = ProfileEntry;

export interface CatalogData {
  /** OS releases the schemas describe (from the schema repository's README). */
  source: string;
  /** CommonPayloadKeys.yaml: PayloadIdentifier, PayloadUUID, PayloadType, PayloadVersion, … */
  commonKeys: number;
  /** By PayloadType. */
  profiles: Readonly<Record<string, ProfileEntry>>;
  /** By RequestType. */
  commands: Readonly<Record<string, Platforms>>;
  /** By declaration Type. */
  declarations: Readonly<Record<string, DeclarationEntry>>;
  /** Key lists, shared by index: YAML anchors make some schemas reuse (and even nest) one list. */
  keyLists: readonly (readonly KeyDef[])[];
}
