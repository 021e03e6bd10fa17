/**
 * The typed check-in messages that checkin.ts produces. Field names are Apple's keys verbatim, so the types
 * read like apple/device-management `mdm/checkin/*.yaml`; `identity` and `raw` are ours.
 */
import type { EnrollmentIdentity } from './mdm-identity';
import type { PlistDict } from './plist';

export interface CheckinBase {
  identity: EnrollmentIdentity;
  /** The whole plist, for keys not modelled here. */
  raw: PlistDict;
}
/** User-channel keys (macOS; Shared iPad) that several messages share. */
export interface UserKeys {
  UserID?: string;
  UserShortName?: string;
  UserLongName?: string;
  EnrollmentUserID?: string;
}
export interface DeviceKeys {
  UDID?: string;
  EnrollmentID?: string;
}

/**
 * authenticate.yaml. Model/ModelName/DeviceName are macOS-only ("iOS: n/a"); OSVersion, BuildVersion,
 * ProductName, SerialNumber, IMEI, MEID depend on AccessRights (AllowQueryDeviceInformation), so all optional.
 */
export interface AuthenticateMessage extends CheckinBase, DeviceKeys {
  MessageType: 'Authenticate';
  Topic: string;
  SerialNumber?: string;
  IMEI?: string;
  MEID?: string;
  Model?: string;
  ModelName?: string;
  ProductName?: string;
  OSVersion?: string;
  BuildVersion?: string;
  DeviceName?: string;
}
/** tokenupdate.yaml: store Token/PushMagic (and UnlockToken) under `identity.key`. */
export interface TokenUpdateMessage extends CheckinBase, DeviceKeys, UserKeys {
  MessageType: 'TokenUpdate';
  Topic: string;
  /** APNs device token (binary; hex-encode it for APNs). */
  Token: Buffer;
  PushMagic: string;
  /** Device enrollment with AccessRights 4 only; forbidden in User Enrollment. Secret. */
  UnlockToken?: Buffer;
  AwaitingConfiguration?: boolean;
  NotOnConsole?: boolean;
}
export interface CheckOutMessage extends CheckinBase, DeviceKeys {
  MessageType: 'CheckOut';
  Topic: string;
}
/** declarativemanagement.yaml: Endpoint `tokens` | `declaration-items` | `status` | `declaration/<type>/<id>`. */
export interface DeclarativeManagementMessage extends CheckinBase, DeviceKeys, UserKeys {
  MessageType: 'DeclarativeManagement';
  Endpoint: string;
  /** JSON bytes (e.g. the status report); absent for plain fetches. */
  Data?: Buffer;
}
/** gettoken.yaml: unknown TokenServiceType must be answered with 400 by the caller (docs/protocol/mdm.md#check-in-messages). */
export interface GetTokenMessage extends CheckinBase, DeviceKeys, UserKeys {
  MessageType: 'GetToken';
  TokenServiceType: string;
  TokenParameters?: PlistDict;
}
/** userauthenticate.yaml (macOS device enrollment user channel; forbidden in User Enrollment). */
export interface UserAuthenticateMessage extends CheckinBase, DeviceKeys, UserKeys {
  MessageType: 'UserAuthenticate';
  /** Absent on the first request; sent after the server's DigestChallenge. */
  DigestResponse?: string;
}
export interface GetBootstrapTokenMessage extends CheckinBase, DeviceKeys {
  MessageType: 'GetBootstrapToken';
  AwaitingConfiguration?: boolean;
}
export interface SetBootstrapTokenMessage extends CheckinBase, DeviceKeys {
  MessageType: 'SetBootstrapToken';
  /** Missing or empty means "remove the stored bootstrap token". */
  BootstrapToken?: Buffer;
  AwaitingConfiguration?: boolean;
}

export type CheckinMessage =
  | AuthenticateMessage
  | TokenUpdateMessage
  | CheckOutMessage
  | DeclarativeManagementMessage
  | GetTokenMessage
  | UserAuthenticateMessage
  | GetBootstrapTokenMessage
  | SetBootstrapTokenMessage;
