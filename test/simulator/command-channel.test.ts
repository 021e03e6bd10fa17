/**
 * The device simulator's command channel against a stub server (no DynamoDB, no handlers): what it
 * sends must be what a device sends — signed, identified, well-formed answers — so that tests of the
 * real server can trust it.
 */
import { type CommandResult, parseCommandResult } from '@ade/apple/command-result';
import { configurationProfile, installProfileCommand, removeProfileCommand } from '@ade/apple/mdm-commands';
import { certificateFingerprintSha256, verifyMdmSignature } from '@ade/apple/mdm-signature';
import { createCertificateAuthority, issueCertificate } from '@ade/apple/pki';
import { signProfile } from '@ade/apple/profile-signing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceSimulator } from '../support/device-simulator.ts';
import { enrolledDevice, TOPIC, tenantSigner } from './enrolled-device.ts';
import { StubMdmServer } from './stub-mdm-server.ts';

let stub: StubMdmServer;
let device: DeviceSimulator;
beforeAll(async () => {
  stub = await StubMdmServer.start();
});
afterAll(() => stub?.close());
beforeEach(async () => {
  stub.queue.length = 0;
  stub.refuseWith = null;
  device = await enrolledDevice(stub);
  stub.requests.length = 0;
  stub.results.length = 0;
});

const wifiProfile = (identifier = 'net.example.wifi') =>
  configurationProfile({
    identifier,
    uuid: crypto.randomUUID(),
    displayName: 'Office Wi-Fi',
    payloads: [
      {
        type: 'com.apple.wifi.managed',
        identifier: `${identifier}.payload`,
        uuid: crypto.randomUUID(),
        settings: { SSID_STR: 'Acme', AutoJoin: true },
      },
    ],
  });

/** The answers the stub received, each re-parsed and its signature checked against the device identity. */
function answers(): CommandResult[] {
  const identity = certificateFingerprintSha256(device.profile!.identity.certificatePem);
  const connects = stub.requests.filter((r) => r.path === '/mdm/connect');
  for (const request of connects) {
    expect(request.contentType).toBe('application/x-apple-aspen-mdm');
    expect(request.authorization).toBe('Bearer tok_sim');
    expect(verifyMdmSignature(request.signatureHeader, request.body).fingerprintSha256).toBe(identity);
  }
  return connects.map((r) => parseCommandResult(r.body));
}

describe('connect()', () => {
  it('starts Idle, signed, as EnrollmentID (BYOD), and ends on an empty 200', async () => {
    const result = await device.connect();
    expect(result).toEqual({ status: 200, body: '', exchanges: [] });
    const [idle] = answers();
    expect(idle).toMatchObject({
      Status: 'Idle',
      EnrollmentID: (device.ids as { EnrollmentID: string }).EnrollmentID,
    });
    expect(idle!.UDID).toBeUndefined();
    expect(idle!.CommandUUID).toBeUndefined();
  });

  it('installs a profile signed by the tenant, then removes it; removing it again is an Error', async () => {
    stub.queue.push(
      installProfileCommand('C-install', signProfile(wifiProfile(), tenantSigner())),
      removeProfileCommand('C-remove', 'net.example.wifi'),
    );
    let installed: unknown;
    device.commandPolicy = (command) => {
      if (command.requestType === 'RemoveProfile') installed = [...device.installedProfiles.keys()];
      return 'Acknowledged';
    };
    await device.connect();
    expect(installed).toEqual(['net.example.wifi']);
    expect(device.installedProfiles.size).toBe(0);
    expect(answers().map((a) => [a.CommandUUID, a.Status])).toEqual([
      [undefined, 'Idle'],
      ['C-install', 'Acknowledged'],
      ['C-remove', 'Acknowledged'],
    ]);

    stub.queue.push(removeProfileCommand('C-again', 'net.example.wifi'));
    const again = await device.connect();
    expect(again.exchanges[0]).toMatchObject({ status: 'Error', requestType: 'RemoveProfile' });
    expect(answers().at(-1)).toMatchObject({
      Status: 'Error',
      CommandUUID: 'C-again',
      ErrorChain: [{ ErrorCode: 12075, ErrorDomain: 'MDMErrorDomain' }],
    });
  });

  it('keeps installed profiles by identifier with their payload types, and its logs', async () => {
    stub.queue.push(installProfileCommand('C-1', wifiProfile('net.example.a')));
    stub.queue.push(installProfileCommand('C-2', signProfile(wifiProfile('net.example.b'), tenantSigner())));
    await device.connect();
    expect(device.installedProfiles.get('net.example.a')).toMatchObject({
      displayName: 'Office Wi-Fi',
      payloadTypes: ['com.apple.wifi.managed'],
    });
    expect(device.installedProfiles.get('net.example.a')!.signerSubject).toBeUndefined();
    expect(device.installedProfiles.get('net.example.b')!.signerSubject).toContain('Acme profile signing');
    expect(device.commandLog.map((c) => [c.commandUuid, c.requestType, c.status])).toEqual([
      ['C-1', 'InstallProfile', 'Acknowledged'],
      ['C-2', 'InstallProfile', 'Acknowledged'],
    ]);
  });

  it('answers as the policy says: NotNow, Error with its ErrorChain, CommandFormatError', async () => {
    stub.queue.push(
      removeProfileCommand('C-later', 'x'),
      removeProfileCommand('C-fail', 'x'),
      removeProfileCommand('C-format', 'x'),
    );
    const chain = [{ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', USEnglishDescription: 'Nope.' }];
    const result = await device.connect({
      policy: ({ commandUuid }) =>
        commandUuid === 'C-later'
          ? 'NotNow'
          : commandUuid === 'C-fail'
            ? { error: chain }
            : 'CommandFormatError',
    });
    expect(result.exchanges.map((e) => e.status)).toEqual(['NotNow', 'Error', 'CommandFormatError']);
    const [, later, fail, format] = answers();
    expect(later).toMatchObject({ Status: 'NotNow', CommandUUID: 'C-later' });
    expect(later!.ErrorChain).toBeUndefined();
    expect(fail).toMatchObject({ Status: 'Error', CommandUUID: 'C-fail', ErrorChain: chain });
    expect(format).toMatchObject({ Status: 'CommandFormatError', CommandUUID: 'C-format' });
  });

  it('refuses a profile signed outside the tenant’s chain, or not matching Apple’s schema', async () => {
    const stranger = createCertificateAuthority({ commonName: 'Stranger CA' });
    const signer = issueCertificate({
      ca: stranger,
      commonName: 'Stranger signing',
      usage: 'signing',
      validityDays: 30,
    });
    const badProfile = configurationProfile({
      identifier: 'net.example.bad',
      uuid: crypto.randomUUID(),
      displayName: 'Bad',
      payloads: [
        {
          type: 'com.apple.wifi.managed',
          identifier: 'p',
          uuid: crypto.randomUUID(),
          settings: { SSID: 'typo' },
        },
      ],
    });
    stub.queue.push(
      installProfileCommand(
        'C-stranger',
        signProfile(wifiProfile(), { ...signer, chainPems: [stranger.certificatePem] }),
      ),
      installProfileCommand('C-schema', badProfile),
    );
    await device.connect();
    const [, strangerAnswer, schemaAnswer] = answers();
    expect(strangerAnswer).toMatchObject({
      Status: 'Error',
      ErrorChain: [
        { ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain' },
        { ErrorCode: 1000, ErrorDomain: 'MCProfileErrorDomain' },
      ],
    });
    expect(schemaAnswer!.ErrorChain?.[1]).toMatchObject({ ErrorCode: 1003 });
    expect(schemaAnswer!.ErrorChain?.[1]?.USEnglishDescription).toMatch(/SSID: not a key/);
    expect(device.installedProfiles.size).toBe(0);
  });

  it('answers CommandFormatError to a command that breaks Apple’s YAML for its RequestType', async () => {
    stub.queue.push(
      Buffer.from(
        '<plist version="1.0"><dict><key>CommandUUID</key><string>C-x</string><key>Command</key><dict><key>RequestType</key><string>InstallProfile</string></dict></dict></plist>',
      ),
    );
    const asked: string[] = [];
    await device.connect({
      policy: (command) => {
        asked.push(command.commandUuid);
        return 'Acknowledged';
      },
    });
    expect(asked).toEqual([]);
    expect(answers().at(-1)).toMatchObject({ Status: 'CommandFormatError', CommandUUID: 'C-x' });
  });

  it('returns the refusal when the server does not answer 200', async () => {
    stub.refuseWith = 401;
    expect(await device.connect()).toMatchObject({ status: 401, body: 'refused', exchanges: [] });
  });

  it('an ADDE Mac answers with UDID and no bearer on the device channel', async () => {
    const mac = await enrolledDevice(stub, 'ADDE');
    stub.requests.length = 0;
    stub.queue.push(removeProfileCommand('C-mac', 'none'));
    await mac.connect();
    const connects = stub.requests.filter((r) => r.path === '/mdm/connect');
    expect(connects.map((r) => r.authorization)).toEqual([undefined, undefined]);
    const results = connects.map((r) => parseCommandResult(r.body));
    expect(results.map((r) => r.UDID)).toEqual([
      (mac.ids as { UDID: string }).UDID,
      (mac.ids as { UDID: string }).UDID,
    ]);
    expect(results[1]!.EnrollmentID).toBeUndefined();
    const identity = certificateFingerprintSha256(mac.profile!.identity.certificatePem);
    for (const r of connects)
      expect(verifyMdmSignature(r.signatureHeader, r.body).fingerprintSha256).toBe(identity);
  });
});

describe('push', () => {
  it('knows its push token and magic from the TokenUpdate, and ignores pushes not meant for it', async () => {
    expect(device.pushToken).toMatch(/^[0-9a-f]{64}$/);
    expect(device.pushMagic).toMatch(/^[0-9a-f-]{36}$/);
    const push = { token: device.pushToken!.toUpperCase(), pushMagic: device.pushMagic!, topic: TOPIC };
    expect(await device.onPush({ ...push, pushMagic: 'other' })).toBeNull();
    expect(await device.onPush({ ...push, topic: 'com.apple.mgmt.External.other' })).toBeNull();
    expect(stub.requests).toHaveLength(0);
    expect(await device.onPush(push)).toMatchObject({ status: 200 });
    expect(device.pushLog.map((p) => p.accepted)).toEqual([false, false, true]);
  });

  it('serialises sessions: pushes during a session queue exactly one more', async () => {
    stub.delayMs = 150;
    try {
      const first = device.handlePush();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the first session is waiting on the server
      const second = device.handlePush();
      const third = device.handlePush();
      expect(third).toBe(second);
      await Promise.all([first, second]);
      // Two sessions, one after the other: each a single Idle that the server answered empty.
      expect(answers().map((a) => a.Status)).toEqual(['Idle', 'Idle']);
      expect(stub.maxConcurrentCommands).toBe(1);
    } finally {
      stub.delayMs = 0;
    }
  });
});
