import { describe, expect, it } from 'vitest';
import {
  type Declaration,
  type DeclarationSet,
  declarationItemsResponse,
  declarationResponse,
  declarationsToken,
  parseDdmEndpoint,
  simpleActivation,
  tokensResponse,
} from './ddm.ts';
import { declarationKeys, schemaKeys, validateShape } from './schema/protocol-schema.ts';
import { errorCode } from './testing/tools.ts';

const UPDATE_TYPE = 'com.apple.configuration.softwareupdate.enforcement.specific';
const update: Declaration = {
  type: UPDATE_TYPE,
  identifier: 'net.example.update.ios18',
  serverToken: 'rev-1',
  payload: {
    TargetOSVersion: '18.2',
    TargetBuildVersion: '22C152',
    TargetLocalDateTime: '2025-02-01T09:00:00',
    DetailsURL: 'https://intranet.example.net/updates',
  },
};
const activation = simpleActivation('net.example.activation', 'rev-1', [update.identifier]);
const set = (): DeclarationSet => ({
  configurations: [update],
  activations: [activation],
  assets: [],
  management: [],
});

const protocol = (name: string) => schemaKeys(`declarative/protocol/${name}.yaml`);

describe('declarations against Apple’s YAML', () => {
  it('the software-update declaration used in tests matches its schema, and a typo would not', () => {
    const keys = declarationKeys(UPDATE_TYPE)!;
    expect(keys.map((k) => k.key)).toContain('TargetLocalDateTime');
    expect(validateShape(update.payload, keys, UPDATE_TYPE)).toEqual([]);
    expect(validateShape({ TargetOSVersoin: '18.2' }, keys, UPDATE_TYPE)).toEqual([
      expect.stringContaining('TargetOSVersoin: not a key'),
      expect.stringContaining('TargetOSVersion: required but missing'),
      expect.stringContaining('TargetLocalDateTime: required but missing'),
    ]);
  });

  it('simpleActivation is a com.apple.activation.simple with StandardConfigurations', () => {
    expect(activation).toEqual({
      type: 'com.apple.activation.simple',
      identifier: 'net.example.activation',
      serverToken: 'rev-1',
      payload: { StandardConfigurations: [update.identifier] },
    });
    expect(validateShape(activation.payload, declarationKeys(activation.type)!, activation.type)).toEqual([]);
  });

  it('tokensResponse is a TokensResponse with SynchronizationTokens', () => {
    const response = tokensResponse(set(), new Date('2025-01-10T12:00:00.999Z'));
    expect(validateShape(response, protocol('tokensresponse'), 'TokensResponse')).toEqual([]);
    // tokensresponse.yaml leaves SynchronizationTokens undescribed; Apple's documentation gives both keys.
    expect(response).toEqual({
      SyncTokens: { DeclarationsToken: declarationsToken(set()), Timestamp: '2025-01-10T12:00:00Z' },
    });
  });

  it('declarationItemsResponse lists every kind, even empty ones, with the same token', () => {
    const response = declarationItemsResponse(set());
    expect(validateShape(response, protocol('declarationitemsresponse'), 'DeclarationItemsResponse')).toEqual(
      [],
    );
    expect(response).toEqual({
      Declarations: {
        Activations: [{ Identifier: 'net.example.activation', ServerToken: 'rev-1' }],
        Configurations: [{ Identifier: update.identifier, ServerToken: 'rev-1' }],
        Assets: [],
        Management: [],
      },
      DeclarationsToken: declarationsToken(set()),
    });
  });

  it('declarationResponse serves one declaration per endpoint, null when unknown', () => {
    const response = declarationResponse(set(), `declaration/configuration/${update.identifier}`)!;
    expect(
      validateShape(response, schemaKeys('declarative/declarations/declarationbase.yaml'), 'Declaration'),
    ).toEqual([]);
    expect(response).toEqual({
      Type: UPDATE_TYPE,
      Identifier: update.identifier,
      ServerToken: 'rev-1',
      Payload: update.payload,
    });
    expect(declarationResponse(set(), 'declaration/activation/net.example.activation')).toMatchObject({
      Type: 'com.apple.activation.simple',
    });
    // Right identifier, wrong kind: the device asked for something else.
    expect(declarationResponse(set(), `declaration/asset/${update.identifier}`)).toBeNull();
    expect(declarationResponse(set(), 'declaration/configuration/nope')).toBeNull();
    expect(errorCode(() => declarationResponse(set(), 'tokens'))).toBe('INVALID_COMMAND_INPUT');
  });
});

describe('declarationsToken', () => {
  it('is deterministic, order-independent and changes with any identifier or server token', () => {
    const token = declarationsToken(set());
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const two = { ...update, identifier: 'net.example.update.two' };
    expect(declarationsToken({ ...set(), configurations: [update, two] })).toBe(
      declarationsToken({ ...set(), configurations: [two, update] }),
    );
    expect(declarationsToken({ ...set(), configurations: [{ ...update, serverToken: 'rev-2' }] })).not.toBe(
      token,
    );
    expect(declarationsToken({ ...set(), activations: [] })).not.toBe(token);
    expect(declarationsToken({ configurations: [], activations: [], assets: [], management: [] })).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });

  it('refuses sets a device could not sync', () => {
    const bad = (change: Partial<DeclarationSet>) =>
      errorCode(() => declarationsToken({ ...set(), ...change }));
    expect(bad({ configurations: [update, { ...update }] })).toBe('INVALID_COMMAND_INPUT');
    expect(bad({ configurations: [{ ...update, serverToken: '' }] })).toBe('INVALID_COMMAND_INPUT');
    expect(bad({ configurations: [{ ...update, identifier: 'x'.repeat(65) }] })).toBe(
      'INVALID_COMMAND_INPUT',
    );
    expect(bad({ configurations: [activation] })).toBe('INVALID_COMMAND_INPUT'); // an activation among configurations
    expect(bad({ assets: undefined as never })).toBe('INVALID_COMMAND_INPUT');
    expect(errorCode(() => simpleActivation('a', 't', [''] as string[]))).toBe('INVALID_COMMAND_INPUT');
  });
});

describe('parseDdmEndpoint', () => {
  it('knows the four endpoints Apple documents', () => {
    expect(parseDdmEndpoint('tokens')).toEqual({ kind: 'tokens' });
    expect(parseDdmEndpoint('declaration-items')).toEqual({ kind: 'declaration-items' });
    expect(parseDdmEndpoint('status')).toEqual({ kind: 'status' });
    expect(parseDdmEndpoint('declaration/management/org.info')).toEqual({
      kind: 'declaration',
      declarationKind: 'management',
      identifier: 'org.info',
    });
    expect(parseDdmEndpoint('declaration/asset/a/b')).toMatchObject({ identifier: 'a/b' });
  });

  it('throws MALFORMED_MDM_MESSAGE for anything else', () => {
    for (const endpoint of [
      '',
      'Tokens',
      'declaration/',
      'declaration/configuration/',
      'declaration/profile/x',
      'status/x',
      'x'.repeat(600),
    ])
      expect(
        errorCode(() => parseDdmEndpoint(endpoint)),
        endpoint,
      ).toBe('MALFORMED_MDM_MESSAGE');
  });
});
