/**
 * MDM commands as the server sends them in the body of a `200` on the command channel
 * (docs/protocol/mdm.md#the-command-channel):
 * an XML plist `{CommandUUID, Command: {RequestType, …}}` ("Commands and Queries",
 * https://developer.apple.com/documentation/devicemanagement/commands-and-queries). The keys of each
 * `Command` come from apple/device-management `mdm/commands/<name>.yaml`; the tests check them there.
 * The device echoes `CommandUUID` in its answer, which is how the server matches answers to its queue.
 */
import { syncTokensJson } from './ddm.ts';
import { AppleProtocolError } from './errors.ts';
import { buildPlist, type PlistDict } from './plist.ts';

export {
  type ConfigurationProfileInput,
  configurationProfile,
  type ProfilePayloadInput,
} from './configuration-profile.ts';

/**
 * profile.install.yaml: `Payload` is the profile's bytes — a plain plist, or CMS-signed (profile-signing.ts);
 * the plist's `<data>` carries them base64-encoded.
 */
export function installProfileCommand(commandUuid: string, profile: Uint8Array): Buffer {
  if (!(profile instanceof Uint8Array) || profile.byteLength === 0)
    throw invalid('InstallProfile needs the profile bytes (Payload)');
  return command(commandUuid, { RequestType: 'InstallProfile', Payload: Buffer.from(profile) });
}

/** profile.remove.yaml: `Identifier` is the top-level PayloadIdentifier of the installed profile. */
export function removeProfileCommand(commandUuid: string, identifier: string): Buffer {
  if (typeof identifier !== 'string' || identifier === '')
    throw invalid('RemoveProfile needs the profile identifier');
  return command(commandUuid, { RequestType: 'RemoveProfile', Identifier: identifier });
}

/**
 * declarativemanagement.yaml: `Data` is "the Declarative Management JSON request using a TokensResponse",
 * i.e. the UTF-8 JSON `{"SyncTokens":{"DeclarationsToken":…,"Timestamp":…}}` as plist data. It tells the
 * device which declarations state to sync to, so it can skip the `tokens` round trip when it is current;
 * the first DeclarativeManagement command also turns the device's DDM engine on.
 */
export function declarativeManagementCommand(
  commandUuid: string,
  syncTokens: { declarationsToken: string; timestamp: Date },
): Buffer {
  if (typeof syncTokens?.declarationsToken !== 'string' || syncTokens.declarationsToken === '')
    throw invalid('DeclarativeManagement needs a DeclarationsToken');
  const data = Buffer.from(
    JSON.stringify(syncTokensJson(syncTokens.declarationsToken, syncTokens.timestamp)),
  );
  return command(commandUuid, { RequestType: 'DeclarativeManagement', Data: data });
}

function command(commandUuid: string, body: PlistDict): Buffer {
  // Any string is a valid CommandUUID for Apple; an empty one could not be matched to an answer.
  if (typeof commandUuid !== 'string' || commandUuid.trim() === '' || commandUuid.length > 256)
    throw invalid('the CommandUUID must be a non-empty string (a UUID)');
  return Buffer.from(buildPlist({ CommandUUID: commandUuid, Command: body }), 'utf8');
}

function invalid(reason: string): AppleProtocolError {
  return new AppleProtocolError('INVALID_COMMAND_INPUT', `The MDM command cannot be built: ${reason}.`);
}
