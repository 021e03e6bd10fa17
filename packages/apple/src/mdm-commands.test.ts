import { describe, expect, it } from 'vitest';
import {
  configurationProfile,
  declarativeManagementCommand,
  installProfileCommand,
  removeProfileCommand,
} from './mdm-commands.ts';
import { isPlistDict, type PlistDict, parsePlistDict } from './plist.ts';
import { signProfile } from './profile-signing.ts';
import { commandKeys, schemaKeys, validateShape } from './schema/protocol-schema.ts';
import { profileFixture } from './testing/profile-fixtures.ts';
import { errorCode } from './testing/tools.ts';

/** The command as a device reads it, with Command checked against mdm/commands/<type>.yaml. */
function read(bytes: Buffer): { uuid: string; command: PlistDict } {
  const dict = parsePlistDict(bytes);
  expect(Object.keys(dict).sort()).toEqual(['Command', 'CommandUUID']);
  const command = dict.Command;
  if (!isPlistDict(command)) throw new Error('Command is not a dictionary');
  const { RequestType, ...keys } = command;
  const schema = commandKeys(RequestType as string);
  expect(schema, `a YAML for ${String(RequestType)}`).toBeDefined();
  expect(validateShape(keys, schema!, String(RequestType))).toEqual([]);
  return { uuid: dict.CommandUUID as string, command };
}

const profile = configurationProfile({
  identifier: 'net.example.mdm.wifi',
  uuid: 'A0000000-0000-4000-8000-000000000001',
  displayName: 'Wi-Fi',
  payloads: [
    {
      type: 'com.apple.wifi.managed',
      identifier: 'net.example.mdm.wifi.payload',
      uuid: 'A0000000-0000-4000-8000-000000000002',
      settings: { SSID_STR: 'Acme', AutoJoin: true },
    },
  ],
});

describe('MDM commands', () => {
  it('InstallProfile carries the profile bytes (plain or signed) as Payload data', () => {
    const f = profileFixture();
    const signed = signProfile(profile, { ...f.signer, chainPems: [f.ca.certificatePem] });
    for (const bytes of [profile, signed]) {
      const { uuid, command } = read(installProfileCommand('C-1', bytes));
      expect(uuid).toBe('C-1');
      expect(command.RequestType).toBe('InstallProfile');
      expect(Buffer.from(command.Payload as Uint8Array).equals(bytes)).toBe(true);
    }
  });

  it('RemoveProfile names the profile by its top-level identifier', () => {
    const { command } = read(removeProfileCommand('C-2', 'net.example.mdm.wifi'));
    expect(command).toEqual({ RequestType: 'RemoveProfile', Identifier: 'net.example.mdm.wifi' });
  });

  it('DeclarativeManagement Data is a TokensResponse as JSON bytes', () => {
    const { command } = read(
      declarativeManagementCommand('C-3', {
        declarationsToken: 'abc123',
        timestamp: new Date('2025-01-10T12:00:00.250Z'),
      }),
    );
    expect(command.RequestType).toBe('DeclarativeManagement');
    const json = JSON.parse(Buffer.from(command.Data as Uint8Array).toString('utf8'));
    expect(json).toEqual({ SyncTokens: { DeclarationsToken: 'abc123', Timestamp: '2025-01-10T12:00:00Z' } });
    expect(
      validateShape(json, schemaKeys('declarative/protocol/tokensresponse.yaml'), 'TokensResponse'),
    ).toEqual([]);
  });

  it('refuses input it cannot turn into a command', () => {
    expect(errorCode(() => installProfileCommand('', profile))).toBe('INVALID_COMMAND_INPUT');
    expect(errorCode(() => installProfileCommand('C', new Uint8Array()))).toBe('INVALID_COMMAND_INPUT');
    expect(errorCode(() => removeProfileCommand('C', ''))).toBe('INVALID_COMMAND_INPUT');
    expect(
      errorCode(() => declarativeManagementCommand('C', { declarationsToken: '', timestamp: new Date() })),
    ).toBe('INVALID_COMMAND_INPUT');
    expect(
      errorCode(() =>
        declarativeManagementCommand('C', { declarationsToken: 't', timestamp: new Date('x') }),
      ),
    ).toBe('INVALID_COMMAND_INPUT');
  });
});
