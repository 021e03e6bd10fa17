/**
 * Who sent an MDM message (check-in or command result), derived from its identifier keys. Apple's key
 * lists (`mdm/checkin/*.yaml` in apple/device-management;
 * docs/protocol/mdm.md#identifiers-per-enrollment-type):
 * - Device enrollment (ADDE): `UDID` is required; the macOS user channel adds `UserID` / `UserShortName`.
 * - User Enrollment (account-driven, "BYOD"): `EnrollmentID` is required and `UDID`, `SerialNumber`,
 *   `IMEI`, `MEID` are `userenrollment: forbidden`; the macOS user channel adds `EnrollmentUserID`.
 * Same resolution order as NanoMDM (`mdm/type.go`): UDID → device, else EnrollmentID → user enrollment.
 * Refusing forbidden keys instead of ignoring them keeps a personal device's hardware ids out of storage.
 */
import { AppleProtocolError } from './errors';
import type { EnrollmentType } from './os-version';
import type { PlistDict, PlistValue } from './plist';
import { isPlistDict } from './plist';

/** Shared iPad's user channel sends this `UserID` (no authentication); its user is `UserShortName`. */
export const SHARED_IPAD_USER_ID = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF';

/** Keys Apple forbids in User Enrollment messages (authenticate.yaml: `userenrollment: mode: forbidden`). */
const FORBIDDEN_IN_USER_ENROLLMENT = ['UDID', 'SerialNumber', 'IMEI', 'MEID'] as const;

export type MdmChannel = 'device' | 'user';

export type EnrollmentIdentity =
  | {
      /** Account-driven User Enrollment: the device is known only by its per-enrollment `EnrollmentID`. */
      enrollmentType: 'BYOD';
      channel: MdmChannel;
      enrollmentId: string;
      /** macOS user channel only. */
      enrollmentUserId?: string;
      /** Storage key: `eid:<EnrollmentID>`, user channel `eid:<EnrollmentID>:user:<EnrollmentUserID>`. */
      key: string;
    }
  | {
      /** Device enrollment (ADDE here): keyed by the hardware `UDID`. */
      enrollmentType: Extract<EnrollmentType, 'ADDE'>;
      channel: MdmChannel;
      udid: string;
      /** User channel: macOS `UserID` (a GUID), or Shared iPad's `UserShortName`. */
      userId?: string;
      /** Storage key: `udid:<UDID>`, user channel `udid:<UDID>:user:<UserID>`. */
      key: string;
    };

/**
 * `forbidden`: keys refused next to EnrollmentID. Check-ins use the full list; command results only UDID,
 * since their top level also holds command-specific result keys that we do not want to misread.
 */
export function deriveIdentity(
  dict: PlistDict,
  forbidden: readonly string[] = FORBIDDEN_IN_USER_ENROLLMENT,
): EnrollmentIdentity {
  const f = fields(dict);
  const enrollmentId = f.optId('EnrollmentID');
  const enrollmentUserId = f.optId('EnrollmentUserID');
  const udid = f.optId('UDID');
  if (enrollmentId !== undefined) {
    const present = forbidden.filter((k) => dict[k] !== undefined);
    if (present.length > 0) {
      throw new AppleProtocolError(
        'FORBIDDEN_DEVICE_IDENTIFIER',
        `A User Enrollment message (it has EnrollmentID) must not carry ${present.join(', ')}.`,
      );
    }
    const base = `eid:${enrollmentId}`;
    if (enrollmentUserId === undefined)
      return { enrollmentType: 'BYOD', channel: 'device', enrollmentId, key: base };
    const key = `${base}:user:${enrollmentUserId}`;
    return { enrollmentType: 'BYOD', channel: 'user', enrollmentId, enrollmentUserId, key };
  }
  if (udid === undefined) throw malformed('it has neither UDID nor EnrollmentID');
  if (enrollmentUserId !== undefined) throw malformed('it has EnrollmentUserID without EnrollmentID');
  const base = `udid:${udid}`;
  const rawUserId = f.optId('UserID');
  const userId = rawUserId === SHARED_IPAD_USER_ID ? f.string('UserShortName') : rawUserId;
  if (userId === undefined) return { enrollmentType: 'ADDE', channel: 'device', udid, key: base };
  return { enrollmentType: 'ADDE', channel: 'user', udid, userId, key: `${base}:user:${userId}` };
}

/**
 * For the caller once the stored enrollment is found: a BYOD enrollment must be addressed by EnrollmentID
 * and an ADDE one by UDID, so a device cannot switch identity scheme under an existing record.
 */
export function assertEnrollmentType(identity: EnrollmentIdentity, expected: EnrollmentType): void {
  if (identity.enrollmentType !== expected) {
    throw new AppleProtocolError(
      identity.enrollmentType === 'ADDE' ? 'FORBIDDEN_DEVICE_IDENTIFIER' : 'MALFORMED_MDM_MESSAGE',
      `The message identifies a ${identity.enrollmentType} enrollment, but this enrollment is ${expected}.`,
    );
  }
}

/** Typed, throwing accessors for plist keys (missing / wrong type → MALFORMED_MDM_MESSAGE). */
export function fields(dict: PlistDict) {
  const get = <T>(key: string, want: string, ok: (v: PlistValue) => boolean, required: boolean) => {
    const v = dict[key];
    if (v === undefined) {
      if (required) throw malformed(`the key ${key} is missing`);
      return undefined;
    }
    if (!ok(v)) throw malformed(`the key ${key} must be ${want}`);
    return v as T;
  };
  const isId = (v: PlistValue) => typeof v === 'string' && v !== '';
  const isData = (v: PlistValue) => v instanceof Uint8Array;
  return {
    /** Required keys and identifiers must be non-empty strings. */
    string: (key: string) => get<string>(key, 'a non-empty string', isId, true) as string,
    optId: (key: string) => get<string>(key, 'a non-empty string', isId, false),
    /** Optional descriptive keys (DeviceName, IMEI…): an empty string is kept as sent. */
    optString: (key: string) => get<string>(key, 'a string', (v) => typeof v === 'string', false),
    data: (key: string) => Buffer.from(get<Uint8Array>(key, 'data', isData, true) as Uint8Array),
    optData: (key: string) => {
      const v = get<Uint8Array>(key, 'data', isData, false);
      return v === undefined ? undefined : Buffer.from(v);
    },
    optBoolean: (key: string) => get<boolean>(key, 'a boolean', (v) => typeof v === 'boolean', false),
    optDict: (key: string) => get<PlistDict>(key, 'a dictionary', isPlistDict, false),
    optArray: (key: string) => get<PlistValue[]>(key, 'an array', Array.isArray, false),
  };
}

export function malformed(reason: string): AppleProtocolError {
  return new AppleProtocolError('MALFORMED_MDM_MESSAGE', `The MDM message is not valid: ${reason}.`);
}
