/**
 * What a device PUTs to ServerURL on the command channel (`Content-Type: application/x-apple-aspen-mdm`):
 * a plist with the identity keys, `Status`, `CommandUUID` and, on failure, `ErrorChain`, plus result keys
 * specific to the command (docs/protocol/mdm.md#the-command-channel; Apple "Sending MDM commands to a device" / command response keys,
 * https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device).
 * In User Enrollment the identity is `EnrollmentID`, never `UDID` (FLEET-TRACE Idle example,
 * docs/protocol/mdm.md#identifiers-per-enrollment-type).
 */
import { deriveIdentity, type EnrollmentIdentity, fields, malformed } from './mdm-identity';
import { isPlistDict, type PlistDict, type PlistValue, parsePlistDict } from './plist';

/** Command responses can be large (e.g. InstalledApplicationList, CertificateList); 4 MiB leaves room. */
export const MAX_COMMAND_RESULT_BYTES = 4 * 1024 * 1024;

export const COMMAND_STATUSES = ['Idle', 'Acknowledged', 'Error', 'CommandFormatError', 'NotNow'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export interface CommandError {
  /** Numeric code within the domain (e.g. 12021 in MCProfileErrorDomain). */
  ErrorCode: number;
  ErrorDomain: string;
  LocalizedDescription?: string;
  USEnglishDescription?: string;
}

export interface CommandResult {
  identity: EnrollmentIdentity;
  Status: CommandStatus;
  /** Absent only for `Idle` (the device asks for the next command). */
  CommandUUID?: string;
  /** Outermost error first; present with `Error` / `CommandFormatError` (may be empty or missing). */
  ErrorChain?: CommandError[];
  UDID?: string;
  EnrollmentID?: string;
  EnrollmentUserID?: string;
  UserID?: string;
  /** Every key, including command-specific results (QueryResponses, ProfileList, …). */
  raw: PlistDict;
}

export function parseCommandResult(body: string | Uint8Array): CommandResult {
  const raw = parsePlistDict(body, { maxBytes: MAX_COMMAND_RESULT_BYTES });
  const f = fields(raw);
  const status = f.string('Status');
  if (!(COMMAND_STATUSES as readonly string[]).includes(status)) {
    throw malformed(`Status "${status.slice(0, 64)}" is not one Apple documents`);
  }
  const identity = deriveIdentity(raw, ['UDID']);
  const result: CommandResult = { identity, Status: status as CommandStatus, raw };
  const commandUuid = status === 'Idle' ? f.optId('CommandUUID') : f.string('CommandUUID');
  if (commandUuid !== undefined) result.CommandUUID = commandUuid;
  const chain = f.optArray('ErrorChain');
  if (chain !== undefined) result.ErrorChain = chain.map((item, i) => parseError(item, i));
  for (const key of ['UDID', 'EnrollmentID', 'EnrollmentUserID', 'UserID'] as const) {
    const value = f.optId(key);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function parseError(item: PlistValue, index: number): CommandError {
  if (!isPlistDict(item)) throw malformed(`ErrorChain[${index}] must be a dictionary`);
  const f = fields(item);
  const ErrorCode = item.ErrorCode;
  if (typeof ErrorCode !== 'number' || !Number.isInteger(ErrorCode))
    throw malformed(`ErrorChain[${index}].ErrorCode must be an integer`);
  const error: CommandError = { ErrorCode, ErrorDomain: f.string('ErrorDomain') };
  const localized = f.optString('LocalizedDescription');
  const english = f.optString('USEnglishDescription');
  if (localized !== undefined) error.LocalizedDescription = localized;
  if (english !== undefined) error.USEnglishDescription = english;
  return error;
}
