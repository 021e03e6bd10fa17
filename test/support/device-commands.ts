/**
 * What the simulated device does with the commands it receives on the command channel
 * (docs/protocol/mdm.md#the-command-channel):
 * read the command plist, check it against Apple's YAML for its RequestType, ask the test's policy, then
 * carry out InstallProfile / RemoveProfile / DeclarativeManagement. Other request types are answered as
 * the policy says, without effect. Error chains copy the shape of real devices' answers; the codes are
 * those seen in captures (MDMErrorDomain 12075 for removing a profile that is not installed;
 * MCInstallationErrorDomain 4001 over MCProfileErrorDomain 1000/1003 for a profile that cannot be installed).
 */
import type { CommandError, CommandStatus } from '@ade/apple/command-result';
import { isPlistDict, type PlistDict, parsePlistDict } from '@ade/apple/plist';
import { validateProfile } from '@ade/apple/schema/payload-schema';
import { commandKeys, validateShape } from '@ade/apple/schema/protocol-schema';
import { openSignedProfile, signedContent } from './device-crypto.ts';

export interface ReceivedCommand {
  commandUuid: string;
  requestType: string;
  /** The `Command` dictionary, RequestType included. */
  command: PlistDict;
}

/** What the test wants the device to answer; `Acknowledged` means "carry it out" (which may still fail). */
export type CommandAnswer = 'Acknowledged' | 'NotNow' | 'CommandFormatError' | { error: CommandError[] };
export type CommandPolicy = (command: ReceivedCommand) => CommandAnswer | Promise<CommandAnswer>;

/** One command and the answer the device sent for it. */
export interface CommandExchange extends ReceivedCommand {
  status: Exclude<CommandStatus, 'Idle'>;
  errorChain?: CommandError[];
}

export interface InstalledProfile {
  identifier: string;
  uuid: string;
  displayName?: string;
  /** PayloadType of each PayloadContent item, in order. */
  payloadTypes: string[];
  payloads: PlistDict[];
  /** openssl's signer subject when the profile was signed, else undefined. */
  signerSubject?: string;
}

export interface SyncTokens {
  DeclarationsToken: string;
  Timestamp: string;
}

/** What the device knows when it handles a command. */
export interface CommandContext {
  /** The tenant's certificates from the enrollment profile; undefined = profile signatures are not checked. */
  trustPems?: readonly string[];
  userEnrollment: boolean;
  installedProfiles: Map<string, InstalledProfile>;
}

/** The outcome of carrying out a command: the answer's Status and, for DeclarativeManagement, a sync to run. */
export interface CommandOutcome {
  status: Exclude<CommandStatus, 'Idle'>;
  errorChain?: CommandError[];
  declarativeSync?: { syncTokens?: SyncTokens };
}

/** A command body from the server; throws when it is not a command at all (no CommandUUID to answer). */
export function readCommand(body: Uint8Array): { received: ReceivedCommand; formatError: boolean } {
  const dict = parsePlistDict(body);
  const commandUuid = dict.CommandUUID;
  if (typeof commandUuid !== 'string' || commandUuid === '')
    throw new Error(
      `the server sent a command without CommandUUID: ${Buffer.from(body).toString('utf8').slice(0, 200)}`,
    );
  const command = isPlistDict(dict.Command) ? dict.Command : {};
  const requestType = typeof command.RequestType === 'string' ? command.RequestType : '';
  const { RequestType: _, ...keys } = command;
  const schema = commandKeys(requestType);
  const formatError =
    requestType === '' || (schema !== undefined && validateShape(keys, schema, requestType).length > 0);
  return { received: { commandUuid, requestType, command }, formatError };
}

/** Carries out an acknowledged command. */
export function carryOut(received: ReceivedCommand, context: CommandContext): CommandOutcome {
  try {
    switch (received.requestType) {
      case 'InstallProfile':
        installProfile(received.command.Payload as Uint8Array, context);
        return { status: 'Acknowledged' };
      case 'RemoveProfile':
        removeProfile(received.command.Identifier as string, context);
        return { status: 'Acknowledged' };
      case 'DeclarativeManagement':
        return {
          status: 'Acknowledged',
          declarativeSync: { syncTokens: syncTokensOf(received.command.Data) },
        };
      default:
        return { status: 'Acknowledged' };
    }
  } catch (error) {
    if (error instanceof DeviceError) return { status: error.status, errorChain: error.chain };
    throw error;
  }
}

function installProfile(payload: Uint8Array, context: CommandContext): void {
  const bytes = Buffer.from(payload);
  let xml: Buffer;
  let signerSubject: string | undefined;
  if (bytes[0] === 0x30) {
    try {
      if (context.trustPems) {
        const opened = openSignedProfile(bytes, context.trustPems);
        xml = opened.content;
        signerSubject = opened.signerSubject;
      } else xml = signedContent(bytes);
    } catch (error) {
      const reason = (error as Error).message.replace(/^[\s\S]*?failed: /, '').split('\n')[0];
      throw installFailed(1000, `The profile signature cannot be verified: ${reason}`);
    }
  } else xml = bytes;
  let profile: PlistDict;
  try {
    profile = parsePlistDict(xml);
  } catch {
    throw installFailed(1000, 'The profile is not a property list.');
  }
  const identifier = profile.PayloadIdentifier;
  if (profile.PayloadType !== 'Configuration' || typeof identifier !== 'string')
    throw installFailed(1000, 'The profile is not a Configuration profile with a PayloadIdentifier.');
  const issues = validateProfile(profile, { userEnrollment: context.userEnrollment });
  if (issues.length > 0) throw installFailed(1003, issues.join('; '));
  const payloads = (profile.PayloadContent as PlistDict[] | undefined) ?? [];
  // Like a device: a profile with the identifier of an installed one replaces it.
  context.installedProfiles.set(identifier, {
    identifier,
    uuid: profile.PayloadUUID as string,
    ...(typeof profile.PayloadDisplayName === 'string' ? { displayName: profile.PayloadDisplayName } : {}),
    payloadTypes: payloads.map((p) => p.PayloadType as string),
    payloads,
    ...(signerSubject ? { signerSubject } : {}),
  });
}

function removeProfile(identifier: string, context: CommandContext): void {
  if (!context.installedProfiles.delete(identifier)) {
    const text = `The profile “${identifier}” is not installed.`;
    throw new DeviceError('Error', [
      {
        ErrorCode: 12075,
        ErrorDomain: 'MDMErrorDomain',
        LocalizedDescription: text,
        USEnglishDescription: text,
      },
    ]);
  }
}

/** declarativemanagement.yaml: optional `Data` = TokensResponse JSON. Unreadable Data is a format error. */
function syncTokensOf(data: unknown): SyncTokens | undefined {
  if (data === undefined) return undefined;
  try {
    const tokens = JSON.parse(Buffer.from(data as Uint8Array).toString('utf8')).SyncTokens;
    if (typeof tokens?.DeclarationsToken === 'string' && typeof tokens.Timestamp === 'string') return tokens;
  } catch {}
  throw new DeviceError('CommandFormatError', []);
}

class DeviceError extends Error {
  constructor(
    readonly status: 'Error' | 'CommandFormatError',
    readonly chain: CommandError[],
  ) {
    super(chain[0]?.USEnglishDescription ?? status);
  }
}

function installFailed(code: 1000 | 1003, reason: string): DeviceError {
  const outer = 'Profile Installation Failed';
  return new DeviceError('Error', [
    {
      ErrorCode: 4001,
      ErrorDomain: 'MCInstallationErrorDomain',
      LocalizedDescription: outer,
      USEnglishDescription: outer,
    },
    {
      ErrorCode: code,
      ErrorDomain: 'MCProfileErrorDomain',
      LocalizedDescription: reason,
      USEnglishDescription: reason,
    },
  ]);
}
