/**
 * MDM check-in messages: `PUT` to CheckInURL with `Content-Type: application/x-apple-aspen-mdm-checkin`,
 * an XML plist dispatched on `MessageType` (docs/protocol/mdm.md#transport-and-authentication,
 * docs/protocol/mdm.md#check-in-messages; keys from apple/device-management
 * `mdm/checkin/*.yaml`, "Check-in" in https://developer.apple.com/documentation/devicemanagement/check-in).
 * Types in checkin-types.ts (Apple's key names verbatim); `identity` comes from mdm-identity.ts.
 * Unknown keys are kept in `raw` (Apple adds keys over time) and never rejected.
 */

import type {
  AuthenticateMessage,
  CheckinMessage,
  CheckOutMessage,
  DeclarativeManagementMessage,
  GetBootstrapTokenMessage,
  GetTokenMessage,
  SetBootstrapTokenMessage,
  TokenUpdateMessage,
  UserAuthenticateMessage,
} from './checkin-types';
import { AppleProtocolError } from './errors';
import { deriveIdentity, fields } from './mdm-identity';
import { DEFAULT_PLIST_MAX_BYTES, parsePlistDict } from './plist';

export type * from './checkin-types';

/** 1 MiB: check-ins are < 4 KiB; DeclarativeManagement `status` reports are the largest. */
export const MAX_CHECKIN_BODY_BYTES = DEFAULT_PLIST_MAX_BYTES;

export const CHECKIN_MESSAGE_TYPES = [
  'Authenticate',
  'TokenUpdate',
  'CheckOut',
  'DeclarativeManagement',
  'GetToken',
  'UserAuthenticate',
  'GetBootstrapToken',
  'SetBootstrapToken',
] as const;
export type CheckinMessageType = (typeof CHECKIN_MESSAGE_TYPES)[number];
const FORBIDDEN_IN_USER_ENROLLMENT: ReadonlySet<string> = new Set([
  'UserAuthenticate',
  'GetBootstrapToken',
  'SetBootstrapToken',
]);

/** Drops undefined values so optional keys are absent rather than present-and-undefined. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function parseCheckin(body: string | Uint8Array): CheckinMessage {
  const raw = parsePlistDict(body, { maxBytes: MAX_CHECKIN_BODY_BYTES });
  const f = fields(raw);
  const type = f.string('MessageType');
  if (!(CHECKIN_MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw new AppleProtocolError(
      'UNKNOWN_MESSAGE_TYPE',
      `The check-in MessageType "${type.slice(0, 64)}" is not one this server handles.`,
    );
  }
  const identity = deriveIdentity(raw);
  // userauthenticate.yaml, get/setbootstraptoken.yaml: `userenrollment: mode: forbidden` for the message.
  if (identity.enrollmentType === 'BYOD' && FORBIDDEN_IN_USER_ENROLLMENT.has(type))
    throw malformedType(type, 'an EnrollmentID, but User Enrollment does not allow this message');
  const ids = { UDID: f.optId('UDID'), EnrollmentID: f.optId('EnrollmentID') };
  const user = {
    UserID: f.optString('UserID'),
    UserShortName: f.optString('UserShortName'),
    UserLongName: f.optString('UserLongName'),
    EnrollmentUserID: f.optString('EnrollmentUserID'),
  };
  const base = { identity, raw, ...ids };
  switch (type as CheckinMessageType) {
    case 'Authenticate': {
      // UserAuthenticate is the user-channel variant; an Authenticate is always device channel.
      if (identity.channel !== 'device') throw malformedType('Authenticate', 'user-channel keys');
      const s = (k: string) => f.optString(k);
      return compact<AuthenticateMessage>({
        ...base,
        MessageType: 'Authenticate',
        Topic: f.string('Topic'),
        SerialNumber: s('SerialNumber'),
        IMEI: s('IMEI'),
        MEID: s('MEID'),
        Model: s('Model'),
        ModelName: s('ModelName'),
        ProductName: s('ProductName'),
        OSVersion: s('OSVersion'),
        BuildVersion: s('BuildVersion'),
        DeviceName: s('DeviceName'),
      });
    }
    case 'TokenUpdate':
      return compact<TokenUpdateMessage>({
        ...base,
        ...user,
        MessageType: 'TokenUpdate',
        Topic: f.string('Topic'),
        Token: f.data('Token'),
        PushMagic: f.string('PushMagic'),
        UnlockToken: f.optData('UnlockToken'),
        AwaitingConfiguration: f.optBoolean('AwaitingConfiguration'),
        NotOnConsole: f.optBoolean('NotOnConsole'),
      });
    case 'CheckOut':
      return compact<CheckOutMessage>({ ...base, MessageType: 'CheckOut', Topic: f.string('Topic') });
    case 'DeclarativeManagement':
      return compact<DeclarativeManagementMessage>({
        ...base,
        ...user,
        MessageType: 'DeclarativeManagement',
        Endpoint: f.string('Endpoint'),
        Data: f.optData('Data'),
      });
    case 'GetToken':
      return compact<GetTokenMessage>({
        ...base,
        ...user,
        MessageType: 'GetToken',
        TokenServiceType: f.string('TokenServiceType'),
        TokenParameters: f.optDict('TokenParameters'),
      });
    case 'UserAuthenticate':
      if (identity.channel !== 'user') throw malformedType('UserAuthenticate', 'no UserID');
      return compact<UserAuthenticateMessage>({
        ...base,
        ...user,
        MessageType: 'UserAuthenticate',
        DigestResponse: f.optString('DigestResponse'),
      });
    case 'GetBootstrapToken':
      return compact<GetBootstrapTokenMessage>({
        ...base,
        MessageType: 'GetBootstrapToken',
        AwaitingConfiguration: f.optBoolean('AwaitingConfiguration'),
      });
    case 'SetBootstrapToken':
      return compact<SetBootstrapTokenMessage>({
        ...base,
        MessageType: 'SetBootstrapToken',
        BootstrapToken: f.optData('BootstrapToken'),
        AwaitingConfiguration: f.optBoolean('AwaitingConfiguration'),
      });
  }
}

function malformedType(type: string, what: string): AppleProtocolError {
  return new AppleProtocolError('MALFORMED_MDM_MESSAGE', `The ${type} check-in has ${what}.`);
}
