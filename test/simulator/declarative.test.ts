/**
 * The device simulator's Declarative Device Management against a stub server serving ddm.ts answers:
 * the DeclarativeManagement command starts a sync over signed check-ins, the device fetches only what
 * changed, and its status report (checked against Apple's YAML) says what is active and valid.
 */
import { type Declaration, type DeclarationSet, declarationsToken, simpleActivation } from '@ade/apple/ddm';
import { declarativeManagementCommand } from '@ade/apple/mdm-commands';
import { schemaKeys, statusItemKeys, validateShape } from '@ade/apple/schema/protocol-schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceSimulator } from '../support/device-simulator.ts';
import { enrolledDevice } from './enrolled-device.ts';
import { StubMdmServer } from './stub-mdm-server.ts';

const update: Declaration = {
  type: 'com.apple.configuration.softwareupdate.enforcement.specific',
  identifier: 'update',
  serverToken: 'u1',
  payload: { TargetOSVersion: '18.2', TargetLocalDateTime: '2025-02-01T09:00:00' },
};
const passcode: Declaration = {
  type: 'com.apple.configuration.passcode.settings',
  identifier: 'passcode',
  serverToken: 'p1',
  payload: { RequirePasscode: true, MinimumLength: 6 },
};
const declarations = (configurations: Declaration[], activated = configurations): DeclarationSet => ({
  configurations,
  activations: [
    simpleActivation(
      'activation',
      `a-${activated.map((c) => c.serverToken).join('-')}`,
      activated.map((c) => c.identifier),
    ),
  ],
  assets: [],
  management: [],
});

let stub: StubMdmServer;
let device: DeviceSimulator;
beforeAll(async () => {
  stub = await StubMdmServer.start();
});
afterAll(() => stub?.close());
beforeEach(async () => {
  device = await enrolledDevice(stub);
  device.ddm.unsupportedTypes.add(passcode.type);
  stub.checkins.length = 0;
  stub.statusReports.length = 0;
});

/** Queues a DeclarativeManagement command carrying the stub's current tokens, and connects. */
async function sync() {
  stub.queue.push(
    declarativeManagementCommand(crypto.randomUUID(), {
      declarationsToken: declarationsToken(stub.declarations),
      timestamp: stub.declarationsChanged,
    }),
  );
  return device.connect();
}

const byId = () => Object.fromEntries(stub.statusReports.at(-1)!.declarations.map((d) => [d.identifier, d]));

describe('DeclarativeManagement', () => {
  it('syncs over signed check-ins and reports an unsupported configuration as invalid', async () => {
    stub.declarations = declarations([update, passcode]);
    const result = await sync();
    expect(result.exchanges.map((e) => [e.requestType, e.status])).toEqual([
      ['DeclarativeManagement', 'Acknowledged'],
    ]);
    expect(result.ddm!.endpoints).toEqual([
      'tokens',
      'declaration-items',
      'declaration/activation/activation',
      'declaration/configuration/update',
      'declaration/configuration/passcode',
      'status',
    ]);
    const enrollmentId = (device.ids as { EnrollmentID: string }).EnrollmentID;
    expect(stub.checkins.map((c) => [c.MessageType, c.identity.key])).toEqual(
      Array(6).fill(['DeclarativeManagement', `eid:${enrollmentId}`]),
    );

    const report = stub.statusReports.at(-1)!;
    expect(
      validateShape(report.raw, schemaKeys('declarative/protocol/statusreport.yaml'), 'StatusReport'),
    ).toEqual([]);
    const [item] = statusItemKeys('management.declarations')!;
    const sent = (report.raw.StatusItems as { management: { declarations: unknown } }).management
      .declarations;
    expect(validateShape(sent, item!.subkeys!, item!.key)).toEqual([]);
    expect(byId()).toMatchObject({
      activation: { kind: 'activation', active: true, valid: 'valid', serverToken: 'a-u1-p1' },
      update: { kind: 'configuration', active: true, valid: 'valid', serverToken: 'u1', reasons: [] },
      passcode: {
        active: false,
        valid: 'invalid',
        reasons: [
          { code: 'Error.ConfigurationNotSupported', details: { Identifier: 'passcode', ServerToken: 'p1' } },
        ],
      },
    });
    expect(device.declarations.get('update')).toMatchObject({ type: update.type, payload: update.payload });
    expect(device.ddm.declarationsToken).toBe(declarationsToken(stub.declarations));
  });

  it('fetches only what changed, forgets what was removed, and stops at tokens when nothing did', async () => {
    stub.declarations = declarations([update, passcode]);
    await sync();
    expect((await sync()).ddm!.endpoints).toEqual(['tokens']);
    expect(stub.statusReports).toHaveLength(1);

    const changed = { ...update, serverToken: 'u2', payload: { ...update.payload, TargetOSVersion: '18.3' } };
    stub.declarations = declarations([changed]);
    expect((await sync()).ddm!.endpoints).toEqual([
      'tokens',
      'declaration-items',
      'declaration/activation/activation',
      'declaration/configuration/update',
      'status',
    ]);
    expect([...device.declarations.keys()].sort()).toEqual(['activation', 'update']);
    expect(device.declarations.get('update')!.payload.TargetOSVersion).toBe('18.3');
    expect(Object.keys(byId()).sort()).toEqual(['activation', 'update']);
  });

  it('reports a configuration no activation names, and one whose payload breaks its schema', async () => {
    const typo = { ...update, identifier: 'typo', payload: { TargetOSVersoin: '18.2' } };
    stub.declarations = declarations([update, typo], [typo]);
    await sync();
    expect(byId().update).toMatchObject({
      active: false,
      valid: 'valid',
      reasons: [{ code: 'Info.NotReferencedByActivation' }],
    });
    expect(byId().typo).toMatchObject({ active: false, valid: 'invalid' });
    expect(byId().typo!.reasons[0]).toMatchObject({ code: 'Error.ConfigurationCannotBeDeserialized' });
    expect(byId().typo!.reasons[0]!.description).toMatch(/TargetOSVersoin: not a key/);
  });

  it('does not sync when the command is answered NotNow', async () => {
    stub.declarations = declarations([update]);
    stub.queue.push(
      declarativeManagementCommand('C-later', { declarationsToken: 'x', timestamp: new Date() }),
    );
    const result = await device.connect({ policy: () => 'NotNow' });
    expect(result.ddm).toBeUndefined();
    expect(stub.checkins).toHaveLength(0);
  });

  it('fails loudly when the server lists a declaration it then does not serve', async () => {
    stub.declarations = declarations([update]);
    stub.unservedDeclarations.add('update');
    try {
      await expect(sync()).rejects.toThrow(/declaration\/configuration\/update answered 404/);
    } finally {
      stub.unservedDeclarations.clear();
    }
  });
});
