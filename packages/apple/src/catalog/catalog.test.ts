import { describe, expect, it } from 'vitest';
import { type SchemaKey, schemaFacts } from '../schema/facts.ts';
import {
  commandEligibility,
  declarationEligibility,
  declarationTypes,
  isKnownDeclarationType,
  isKnownPayloadType,
  payloadAllowsMultiple,
  payloadEligibility,
  payloadTypes,
  prepareForDevice,
  validateDeclarationSettings,
  validatePayloadSettings,
} from './index.ts';

const iosUser = { platform: 'iOS', enrollment: 'BYOD' } as const;
const iosDevice = { platform: 'iOS', enrollment: 'ADDE' } as const;

/**
 * Each test's premise is checked against the facts of Apple's schema file it relies on (the committed
 * apple-schema.generated.json, kept equal to Apple's YAML by the drift test), not only against the
 * catalogue built from them.
 */
function schemaFile(file: string) {
  const doc = schemaFacts().files.get(file);
  if (!doc) throw new Error(`${file}: not in the schema facts`);
  return doc;
}

/** A key's `supportedOS` (a path into subkeys for nested keys). */
function keySupportedOS(file: string, ...path: string[]): Record<string, Record<string, unknown>> {
  let keys = schemaFile(file).payloadkeys;
  let found: SchemaKey | undefined;
  for (const name of path) {
    found = keys?.find((k) => k.key === name);
    keys = found?.subkeys;
  }
  if (!found?.supportedOS) throw new Error(`${file}: ${path.join('.')} has no supportedOS`);
  return found.supportedOS as Record<string, Record<string, unknown>>;
}

/** A top-level key of a schema file. */
function schemaKey(file: string, name: string): SchemaKey | undefined {
  return schemaFile(file).payloadkeys?.find((k) => k.key === name);
}

function payloadOS(file: string): Record<string, Record<string, unknown>> {
  return (schemaFile(file).payload?.supportedOS ?? {}) as Record<string, Record<string, unknown>>;
}

describe('payload eligibility (Apple schema entries)', () => {
  it('refuses a payload type Apple forbids under User Enrollment, allows it under Device Enrollment', () => {
    expect(payloadOS('mdm/profiles/com.apple.vpn.managed.yaml').iOS?.userenrollment).toEqual({
      mode: 'forbidden',
    });
    const byod = payloadEligibility('com.apple.vpn.managed', {}, iosUser);
    expect(byod.status).toBe('UNSUPPORTED');
    expect(byod.reason).toMatch(
      /^Not available under User Enrollment \(Apple: userenrollment forbidden on iOS\)/,
    );
    expect(payloadEligibility('com.apple.vpn.managed', {}, iosDevice).status).toBe('SUPPORTED');
  });

  it('drops Restrictions keys forbidden under User Enrollment and supervised-only keys', () => {
    expect(keySupportedOS('mdm/profiles/com.apple.applicationaccess.yaml', 'allowCamera').iOS).toEqual({
      userenrollment: { mode: 'forbidden' },
    });
    expect(
      keySupportedOS('mdm/profiles/com.apple.applicationaccess.yaml', 'allowAppRemoval').iOS,
    ).toMatchObject({
      supervised: true,
    });
    const settings = { allowCamera: false, allowAppRemoval: false, allowScreenShot: true };
    const byod = payloadEligibility('com.apple.applicationaccess', settings, iosUser);
    expect(byod.status).toBe('PARTIAL');
    expect(byod.droppedKeys).toEqual(['allowCamera', 'allowAppRemoval']);
    expect(byod.reason).toContain('forbidden under User Enrollment: allowCamera');
    expect(byod.reason).toContain('supervised devices only: allowAppRemoval');
    // ADDE is unsupervised: the camera restriction applies, app-removal does not.
    expect(payloadEligibility('com.apple.applicationaccess', settings, iosDevice).droppedKeys).toEqual([
      'allowAppRemoval',
    ]);
    expect(
      payloadEligibility('com.apple.applicationaccess', { allowScreenShot: false }, iosUser).status,
    ).toBe('SUPPORTED');
  });

  it('drops password-policy keys that User Enrollment ignores', () => {
    expect(
      keySupportedOS('mdm/profiles/com.apple.mobiledevice.passwordpolicy.yaml', 'minLength').iOS,
    ).toEqual({
      userenrollment: { mode: 'ignored' },
    });
    const byod = payloadEligibility('com.apple.mobiledevice.passwordpolicy', { minLength: 8 }, iosUser);
    expect(byod).toEqual({
      status: 'PARTIAL',
      reason: 'Leaves out keys that do not apply to this device — ignored under User Enrollment: minLength',
      droppedKeys: ['minLength'],
    });
    expect(
      payloadEligibility('com.apple.mobiledevice.passwordpolicy', { minLength: 8 }, iosDevice).status,
    ).toBe('SUPPORTED');
  });

  it('refuses a supervised-only payload type for both account-driven enrollments', () => {
    expect(payloadOS('mdm/profiles/com.apple.app.lock.yaml').iOS?.supervised).toBe(true);
    for (const target of [iosUser, iosDevice]) {
      const result = payloadEligibility('com.apple.app.lock', {}, target);
      expect(result.status).toBe('UNSUPPORTED');
      expect(result.reason).toMatch(/^Requires a supervised device \(Apple: supervised\)/);
    }
  });

  it('checks the OS version against a key’s own introduced', () => {
    // allowDefaultBrowserModification: visionOS introduced 2.2, no supervision or User Enrollment rule there.
    expect(
      keySupportedOS('mdm/profiles/com.apple.applicationaccess.yaml', 'allowDefaultBrowserModification')
        .visionOS,
    ).toEqual({ introduced: '2.2' });
    const settings = { allowDefaultBrowserModification: false };
    const old = payloadEligibility('com.apple.applicationaccess', settings, {
      platform: 'visionOS',
      enrollment: 'BYOD',
      osVersion: '2.1',
    });
    expect(old.status).toBe('PARTIAL');
    expect(old.reason).toContain('requires visionOS 2.2 or later; the device runs visionOS 2.1');
    const current = { platform: 'visionOS', enrollment: 'BYOD', osVersion: '2.2' } as const;
    expect(payloadEligibility('com.apple.applicationaccess', settings, current).status).toBe('SUPPORTED');
  });

  it('refuses a payload type on a platform Apple does not list', () => {
    expect(payloadOS('mdm/profiles/com.apple.security.pkcs12.yaml').tvOS).toMatchObject({
      introduced: '9.0',
    });
    expect(payloadOS('mdm/profiles/com.apple.mobiledevice.passwordpolicy.yaml').tvOS).toEqual({
      introduced: 'n/a',
    });
    expect(
      payloadEligibility('com.apple.mobiledevice.passwordpolicy', {}, { ...iosDevice, platform: 'tvOS' }),
    ).toEqual({
      status: 'UNSUPPORTED',
      reason: 'Not available on tvOS (Apple: introduced n/a)',
      droppedKeys: [],
    });
  });

  it('reports nested keys with their path (array items of AirPlay and AirPrint)', () => {
    // AirPrint[].Port: iOS 11.0, macOS n/a.
    expect(
      keySupportedOS('mdm/profiles/com.apple.airprint.yaml', 'AirPrint', 'AirPrintItem', 'Port').macOS,
    ).toEqual({ introduced: 'n/a' });
    const printers = { AirPrint: [{ IPAddress: '10.0.0.2', ResourcePath: 'ipp/print', Port: 631 }] };
    const mac = payloadEligibility('com.apple.airprint', printers, { platform: 'macOS', enrollment: 'BYOD' });
    expect(mac.status).toBe('PARTIAL');
    expect(mac.droppedKeys).toEqual(['AirPrint[0].Port']);
    expect(payloadEligibility('com.apple.airprint', printers, iosUser).status).toBe('SUPPORTED');

    // AllowList[].DeviceName: macOS 15.0.
    const allow = { AllowList: [{ DeviceName: 'Boardroom TV' }] };
    const sonoma = { platform: 'macOS', enrollment: 'ADDE', osVersion: '14.6' } as const;
    expect(payloadEligibility('com.apple.airplay', allow, sonoma).droppedKeys).toEqual([
      'AllowList[0].DeviceName',
    ]);
  });

  it('leaves out a whole array whose items do not apply (AirPlay AllowList items are supervised-only on iOS)', () => {
    expect(
      keySupportedOS('mdm/profiles/com.apple.airplay.yaml', 'AllowList', 'AllowListItem').iOS,
    ).toMatchObject({
      supervised: true,
    });
    const prepared = prepareForDevice(
      'com.apple.airplay',
      { AllowList: [{ DeviceName: 'TV' }], Passwords: [] },
      iosUser,
    );
    expect(prepared).toEqual({ eligible: true, settings: { Passwords: [] }, droppedKeys: ['AllowList'] });
  });

  it('prepareForDevice returns a pruned copy and keeps keys the schema does not know', () => {
    const settings = { allowCamera: false, allowScreenShot: false, someNewKey: 1 };
    const prepared = prepareForDevice('com.apple.applicationaccess', settings, iosUser);
    expect(prepared).toEqual({
      eligible: true,
      settings: { allowScreenShot: false, someNewKey: 1 },
      droppedKeys: ['allowCamera'],
    });
    expect(settings.allowCamera).toBe(false); // the input is untouched
    expect(prepareForDevice('com.apple.vpn.managed', {}, iosUser)).toMatchObject({ eligible: false });
    expect(prepareForDevice('com.example.nope', {}, iosUser)).toEqual({
      eligible: false,
      reason: "com.example.nope is not a payload type in Apple's schema",
    });
  });
});

describe('declaration and command eligibility', () => {
  it('software update enforcement: supervised or device enrollments only (iOS 17+)', () => {
    const os = payloadOS('declarative/declarations/configurations/softwareupdate.enforcement.specific.yaml');
    expect(os.iOS?.['allowed-enrollments']).toEqual(['supervised', 'device']);
    expect(os.macOS?.['allowed-enrollments']).toEqual(['supervised']);
    const type = 'com.apple.configuration.softwareupdate.enforcement.specific';
    expect(declarationEligibility(type, iosUser)).toEqual({
      status: 'UNSUPPORTED',
      reason: 'Not available under User Enrollment (Apple: allowed-enrollments supervised, device on iOS)',
      droppedKeys: [],
    });
    expect(declarationEligibility(type, iosDevice).status).toBe('SUPPORTED');
    expect(declarationEligibility(type, { ...iosDevice, osVersion: '16.7' }).reason).toBe(
      'Requires iOS 17.0 or later; the device runs iOS 16.7',
    );
    expect(declarationEligibility(type, { platform: 'macOS', enrollment: 'ADDE' }).reason).toMatch(
      /^Requires a supervised device \(Apple: allowed-enrollments supervised on macOS\)/,
    );
  });

  it('declarations without allowed-enrollments (assets) apply to both enrollments', () => {
    expect(
      payloadOS('declarative/declarations/assets/credential.identity.yaml').iOS?.['allowed-enrollments'],
    ).toBeUndefined();
    expect(declarationEligibility('com.apple.asset.credential.identity', iosUser).status).toBe('SUPPORTED');
  });

  it('macOS account declarations are user-scope only', () => {
    expect(
      payloadOS('declarative/declarations/configurations/account.mail.yaml').macOS?.['allowed-scopes'],
    ).toEqual(['user']);
    const target = { platform: 'macOS', enrollment: 'BYOD' } as const;
    expect(declarationEligibility('com.apple.configuration.account.mail', target).reason).toBe(
      'Only through the user channel (Apple: allowed-scopes user on macOS)',
    );
    expect(
      declarationEligibility('com.apple.configuration.account.mail', { ...target, channel: 'user' }).status,
    ).toBe('SUPPORTED');
  });

  it('commands: EraseDevice is Device Enrollment only, RestartDevice needs supervision, UserList Shared iPad', () => {
    expect(payloadOS('mdm/commands/device.erase.yaml').iOS).toMatchObject({
      supervised: false,
      userenrollment: { mode: 'forbidden' },
    });
    expect(commandEligibility('EraseDevice', iosUser).reason).toBe(
      'Not available under User Enrollment (Apple: userenrollment forbidden on iOS)',
    );
    expect(commandEligibility('EraseDevice', iosDevice).status).toBe('SUPPORTED');
    expect(payloadOS('mdm/commands/device.restart.yaml').iOS?.supervised).toBe(true);
    expect(commandEligibility('RestartDevice', iosDevice).reason).toMatch(/^Requires a supervised device/);
    expect(payloadOS('mdm/commands/user.list.yaml').iOS?.sharedipad).toMatchObject({ mode: 'required' });
    expect(commandEligibility('UserList', iosDevice).reason).toMatch(/^Only on Shared iPad/);
    expect(commandEligibility('DeviceInformation', iosUser).status).toBe('SUPPORTED');
    expect(commandEligibility('NoSuchCommand', iosUser).status).toBe('UNSUPPORTED');
  });

  it('DeviceConfigured requires Automated Device Enrollment', () => {
    expect(payloadOS('mdm/commands/device.configured.yaml').macOS).toMatchObject({ requiresdep: true });
    expect(commandEligibility('DeviceConfigured', { platform: 'macOS', enrollment: 'ADDE' }).reason).toMatch(
      /^Requires Automated Device Enrollment .*\(Apple: requiresdep\)/,
    );
  });
});

describe('validatePayloadSettings', () => {
  const cert = Buffer.from('not really a certificate').toString('base64');

  it('accepts settings without the keys the server fills (PayloadUUID, PayloadIdentifier, …)', () => {
    expect(
      validatePayloadSettings('com.apple.security.pkcs12', { PayloadContent: cert, Password: 'x' }),
    ).toEqual([]);
    expect(
      validatePayloadSettings('com.apple.security.pkcs12', {
        PayloadContent: cert,
        PayloadDisplayName: 'Wi-Fi',
      }),
    ).toEqual([]);
  });

  it('reports each problem with its path and code', () => {
    const problems = validatePayloadSettings('com.apple.security.pkcs12', {
      Password: 7,
      Pasword: 'typo',
      PayloadType: 'com.apple.security.root',
    });
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['WRONG_TYPE', 'Password'],
      ['UNKNOWN_KEY', 'Pasword'],
      ['MISSING_REQUIRED_KEY', 'PayloadContent'],
      ['VALUE_NOT_ALLOWED', 'PayloadType'],
    ]);
    expect(
      validatePayloadSettings('com.apple.security.pkcs12', { PayloadContent: 'not base64!' })[0],
    ).toMatchObject({ code: 'WRONG_TYPE', path: 'PayloadContent' });
    expect(validatePayloadSettings('com.example.nope', {})).toEqual([
      {
        code: 'UNKNOWN_PAYLOAD_TYPE',
        path: '',
        message: "com.example.nope is not a payload type in Apple's schema",
      },
    ]);
  });

  it('integers are fine for <real>, not the other way round; rangelist and range are enforced', () => {
    // safariAcceptCookies: <real>, rangelist [0, 1, 1.5, 2].
    const restrictions = (v: unknown) =>
      validatePayloadSettings('com.apple.applicationaccess', { safariAcceptCookies: v });
    expect(restrictions(1)).toEqual([]);
    expect(restrictions(1.5)).toEqual([]);
    expect(restrictions(3)[0]).toMatchObject({ code: 'VALUE_NOT_ALLOWED', path: 'safariAcceptCookies' });
    expect(
      validatePayloadSettings('com.apple.wifi.managed', { SSID_STR: 'Corp', EncryptionType: 'WPA2' }),
    ).toEqual([]);
    expect(
      validatePayloadSettings('com.apple.wifi.managed', {
        SSID_STR: 'Corp',
        EAPClientConfiguration: { AcceptEAPTypes: [13.5] },
      }),
    ).toMatchObject([{ code: 'WRONG_TYPE', path: 'EAPClientConfiguration.AcceptEAPTypes[0]' }]);
    // Geofences[].Radius: <real>, range 100…6500; Latitude and Longitude required.
    const geofence = (g: Record<string, unknown>) =>
      validatePayloadSettings('com.apple.cellularprivatenetwork.managed', {
        CellularDataPreferred: true,
        Geofences: [g],
      })
        .filter((p) => p.path.startsWith('Geofences'))
        .map((p) => [p.code, p.path]);
    expect(geofence({ GeofenceId: 'a', Latitude: 1, Longitude: 2, Radius: 50 })).toEqual([
      ['VALUE_NOT_ALLOWED', 'Geofences[0].Radius'],
    ]);
    expect(geofence({ GeofenceId: 'a', Radius: 150 })).toEqual([
      ['MISSING_REQUIRED_KEY', 'Geofences[0].Longitude'],
      ['MISSING_REQUIRED_KEY', 'Geofences[0].Latitude'],
    ]);
  });

  it('<date> accepts ISO 8601 strings', () => {
    // com.apple.systempolicy.rule Expiration: <date>.
    const rule = (v: unknown) =>
      validatePayloadSettings('com.apple.systempolicy.rule', { Expiration: v }).filter(
        (p) => p.path === 'Expiration',
      );
    expect(rule('2030-01-31T12:00:00Z')).toEqual([]);
    expect(rule(new Date('2030-01-31T12:00:00Z'))).toEqual([]);
    expect(rule('next tuesday')).toMatchObject([{ code: 'WRONG_TYPE' }]);
  });

  it('follows the recursive Home Screen layout (folders of pages of icons)', () => {
    const layout = {
      Pages: [[{ Type: 'Folder', Pages: [[{ Type: 'App', BundleID: 1 }, { Type: 'Widget' }]] }]],
    };
    expect(
      validatePayloadSettings('com.apple.homescreenlayout', layout).map((p) => [p.code, p.path]),
    ).toEqual([
      ['WRONG_TYPE', 'Pages[0][0].Pages[0][0].BundleID'],
      ['VALUE_NOT_ALLOWED', 'Pages[0][0].Pages[0][1].Type'],
    ]);
  });
});

describe('declaration payload keys', () => {
  const file = 'declarative/declarations/configurations/softwareupdate.enforcement.specific.yaml';
  const type = 'com.apple.configuration.softwareupdate.enforcement.specific';
  const valid = { TargetOSVersion: '18.2', TargetLocalDateTime: '2026-12-01T02:00:00' };

  it('validates a declaration Payload against its payloadkeys', () => {
    expect(schemaKey(file, 'TargetOSVersion')).toMatchObject({ type: '<string>', presence: 'required' });
    expect(schemaKey(file, 'TargetLocalDateTime')).toMatchObject({ type: '<string>', presence: 'required' });
    expect(schemaKey(file, 'NoSuchKey')).toBeUndefined();
    expect(validateDeclarationSettings(type, valid)).toEqual([]);
    expect(validateDeclarationSettings(type, { TargetLocalDateTime: valid.TargetLocalDateTime })).toEqual([
      { code: 'MISSING_REQUIRED_KEY', path: 'TargetOSVersion', message: 'TargetOSVersion is required' },
    ]);
    expect(validateDeclarationSettings(type, { ...valid, NoSuchKey: true })).toEqual([
      {
        code: 'UNKNOWN_KEY',
        path: 'NoSuchKey',
        message: `NoSuchKey is not a key of ${type} in Apple's schema`,
      },
    ]);
    expect(validateDeclarationSettings(type, { ...valid, TargetOSVersion: 18.2 })).toEqual([
      {
        code: 'WRONG_TYPE',
        path: 'TargetOSVersion',
        message: 'TargetOSVersion must be a string, not the number 18.2',
      },
    ]);
    // The envelope (Type, Identifier, ServerToken) is the server's, not part of the Payload.
    expect(validateDeclarationSettings(type, { ...valid, Identifier: 'x' }).map((p) => p.code)).toEqual([
      'UNKNOWN_KEY',
    ]);
    expect(validateDeclarationSettings('com.apple.configuration.nope', {})).toEqual([
      {
        code: 'UNKNOWN_PAYLOAD_TYPE',
        path: '',
        message: "com.apple.configuration.nope is not a declaration type in Apple's schema",
      },
    ]);
  });

  it('declarationEligibility leaves out keys whose own allowed-enrollments exclude the device', () => {
    const settingsFile = 'declarative/declarations/configurations/softwareupdate.settings.yaml';
    expect(payloadOS(settingsFile).iOS?.['allowed-enrollments']).toEqual(['supervised', 'device']);
    expect(keySupportedOS(settingsFile, 'Deferrals').iOS).toEqual({ 'allowed-enrollments': ['supervised'] });
    expect(schemaKey(settingsFile, 'Notifications')?.supportedOS).toBeUndefined();
    const settingsType = 'com.apple.configuration.softwareupdate.settings';
    const settings = { Notifications: true, Deferrals: {} };
    const adde = { ...iosDevice, osVersion: '18.2' };
    expect(declarationEligibility(settingsType, adde, settings)).toEqual({
      status: 'PARTIAL',
      reason: 'Leaves out keys that do not apply to this device — supervised devices only: Deferrals',
      droppedKeys: ['Deferrals'],
    });
    expect(declarationEligibility(settingsType, adde, { Notifications: true }).status).toBe('SUPPORTED');
    // Without settings only the declaration type's own rules are checked.
    expect(declarationEligibility(settingsType, adde).status).toBe('SUPPORTED');
  });

  it('lists declaration types, sorted, without the envelope', () => {
    const types = declarationTypes();
    expect(types).toEqual([...types].sort());
    expect(types).toContain(type);
    expect(types).not.toContain('any');
    expect(isKnownDeclarationType(type)).toBe(true);
    expect(isKnownDeclarationType('toString')).toBe(false);
  });
});

describe('payload type list', () => {
  it('is sorted, holds real types only, and knows Apple’s one-payload-per-device rule', () => {
    const types = payloadTypes();
    expect(types).toEqual([...types].sort());
    expect(types).toContain('com.apple.wifi.managed');
    expect(types).not.toContain('TopLevel');
    expect(types).not.toContain('CommonPayloadKeys');
    expect(isKnownPayloadType('com.apple.MCX')).toBe(true); // six schema files, one PayloadType
    expect(isKnownPayloadType('toString')).toBe(false);
    expect(payloadOS('mdm/profiles/com.apple.airplay.security.yaml').tvOS?.multiple).toBe(false);
    expect(payloadAllowsMultiple('com.apple.airplay.security', 'tvOS')).toBe(false);
    expect(payloadAllowsMultiple('com.apple.wifi.managed', 'iOS')).toBe(true);
  });
});

describe('plist values from JSON settings', () => {
  it("turns <data> base64 and <date> ISO strings into Apple's types, nested ones too", async () => {
    const { toPlistValues } = await import('./index.ts');
    const cert = Buffer.from('certificate bytes');
    const out = toPlistValues('com.apple.security.pkcs12', {
      PayloadContent: cert.toString('base64'),
      Password: 'x',
    });
    expect(out.PayloadContent).toEqual(cert);
    expect(out.Password).toBe('x');
    const rule = toPlistValues('com.apple.systempolicy.rule', { Expiration: '2027-01-01T00:00:00Z' });
    expect(rule.Expiration).toEqual(new Date('2027-01-01T00:00:00Z'));
  });
});
