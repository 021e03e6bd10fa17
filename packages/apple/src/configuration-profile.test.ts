import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigurationProfileInput, configurationProfile } from './configuration-profile.ts';
import { parsePlistDict } from './plist.ts';
import { signProfile } from './profile-signing.ts';
import { validateProfile } from './schema/payload-schema.ts';
import { type ProfileFixture, profileFixture } from './testing/profile-fixtures.ts';
import { errorCode, python3, type Workdir, workdir } from './testing/tools.ts';

const FONT = Buffer.from('00010000000a0080000300204f532f32', 'hex'); // the start of a TrueType file

/** Real payload types, with settings whose types Apple's YAML fixes (<string>, <integer>, <real>, <data>…). */
function input(): ConfigurationProfileInput {
  return {
    identifier: 'net.example.mdm.policy.office',
    uuid: '6E7D8C0A-1B2C-4D3E-8F90-A1B2C3D4E5F6',
    displayName: 'Office settings',
    organization: 'Acme Inc.',
    description: 'Wi-Fi, restrictions and the house font.',
    payloads: [
      {
        type: 'com.apple.wifi.managed',
        identifier: 'net.example.mdm.policy.office.wifi',
        uuid: '0B1E2D3C-0000-4000-8000-000000000001',
        displayName: 'Office Wi-Fi',
        settings: {
          SSID_STR: 'Acme Office',
          EncryptionType: 'WPA2',
          Password: 'pa55 & <word>',
          AutoJoin: true,
        },
      },
      {
        type: 'com.apple.applicationaccess',
        identifier: 'net.example.mdm.policy.office.restrictions',
        uuid: '0B1E2D3C-0000-4000-8000-000000000002',
        settings: { allowCamera: false, ratingApps: 200, safariAcceptCookies: 1.5, optional: undefined },
      },
      {
        type: 'com.apple.font',
        identifier: 'net.example.mdm.policy.office.font',
        uuid: '0B1E2D3C-0000-4000-8000-000000000003',
        settings: { Name: 'Acme Sans', Font: FONT },
      },
    ],
  };
}

let f: ProfileFixture;
let w: Workdir;
beforeAll(() => {
  f = profileFixture();
  w = workdir();
});
afterAll(() => w.remove());

describe('configurationProfile', () => {
  it('builds a Configuration profile that matches Apple’s schema for every payload', () => {
    const xml = configurationProfile(input());
    const dict = parsePlistDict(xml);
    expect(validateProfile(dict)).toEqual([]);
    expect(dict).toMatchObject({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: 'net.example.mdm.policy.office',
      PayloadOrganization: 'Acme Inc.',
    });
    const [wifi, restrictions, font] = dict.PayloadContent as Record<string, unknown>[];
    expect(wifi).toMatchObject({
      PayloadType: 'com.apple.wifi.managed',
      PayloadVersion: 1,
      Password: 'pa55 & <word>',
    });
    expect(restrictions).not.toHaveProperty('optional');
    expect(restrictions).not.toHaveProperty('PayloadDisplayName');
    expect(Buffer.from(font!.Font as Uint8Array)).toEqual(FONT);
  });

  it('writes integers as <integer>, fractions as <real>, buffers as <data>', () => {
    const xml = configurationProfile(input()).toString('utf8');
    expect(xml).toMatch(/<key>ratingApps<\/key>\s*<integer>200<\/integer>/);
    expect(xml).toMatch(/<key>safariAcceptCookies<\/key>\s*<real>1\.5<\/real>/);
    expect(xml).toContain(`<data>${FONT.toString('base64')}</data>`);
  });

  it('reads back with the same types in Python’s plistlib', () => {
    const profile = configurationProfile({
      ...input(),
      payloads: [
        {
          type: 'com.apple.applicationaccess',
          identifier: 'x.restrictions',
          uuid: 'U1',
          settings: {
            i: 3,
            r: 0.25,
            b: true,
            big: 2n ** 63n,
            d: new Date('2030-01-02T03:04:05.678Z'),
            raw: FONT,
          },
        },
      ],
    });
    const out = python3(
      'import plistlib,sys; p=plistlib.loads(sys.stdin.buffer.read())["PayloadContent"][0];' +
        'print(" ".join(type(p[k]).__name__ + "=" + str(p[k]) for k in ["i","r","b","big","d"]), p["raw"].hex())',
      profile.toString('latin1'),
    );
    expect(out.trim()).toBe(
      `int=3 float=0.25 bool=True int=9223372036854775808 datetime=2030-01-02 03:04:05 ${FONT.toString('hex')}`,
    );
  });

  it('is signed by profile-signing.ts and verifies with openssl against the tenant CA', () => {
    const xml = configurationProfile(input());
    w.write('ca.pem', f.ca.certificatePem);
    w.write('signed.der', signProfile(xml, { ...f.signer, chainPems: [f.ca.certificatePem] }));
    const out = w.openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      'signed.der',
      '-CAfile',
      'ca.pem',
      '-purpose',
      'any',
    ]);
    expect(out.equals(xml)).toBe(true);
  });

  it('refuses values a plist cannot carry, naming the key', () => {
    const withSetting = (value: unknown) => {
      const profile = input();
      profile.payloads[1]!.settings = { bad: value };
      return () => configurationProfile(profile);
    };
    for (const value of [
      null,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 60,
      2n ** 64n,
      new Date('x'),
      new Map(),
      () => 1,
      Symbol('s'),
      'bell\u0007',
      '\uD800',
      [1, undefined],
      new Uint16Array(2),
    ]) {
      const build = withSetting(value);
      expect(errorCode(build), String(typeof value === 'symbol' ? 'symbol' : value)).toBe(
        'INVALID_PROFILE_INPUT',
      );
      expect(build).toThrow(/PayloadContent\[1\]\(com\.apple\.applicationaccess\)\.bad/);
    }
    expect(errorCode(withSetting({ nested: [{ deep: null }] }))).toBe('INVALID_PROFILE_INPUT');
    expect(withSetting({ nested: [{ deep: null }] })).toThrow(
      /\.bad\.nested\[0\]\.deep null has no plist form/,
    );
  });

  it('refuses settings that override its own keys, and duplicate identifiers or UUIDs', () => {
    const profile = input();
    profile.payloads[0]!.settings.PayloadType = 'com.apple.mdm';
    expect(() => configurationProfile(profile)).toThrow(/PayloadType is set by the builder/);
    const twice = input();
    twice.payloads[2]!.identifier = twice.payloads[0]!.identifier;
    expect(() => configurationProfile(twice)).toThrow(/used twice/);
    const sameUuid = input();
    sameUuid.payloads[1]!.uuid = sameUuid.uuid;
    expect(errorCode(() => configurationProfile(sameUuid))).toBe('INVALID_PROFILE_INPUT');
    expect(errorCode(() => configurationProfile({ ...input(), displayName: ' ' }))).toBe(
      'INVALID_PROFILE_INPUT',
    );
  });

  it('keeps carriage returns and astral characters through the XML', () => {
    const profile = input();
    profile.payloads[0]!.settings.SSID_STR = 'line\r\nbreak 📶';
    const wifi = (
      parsePlistDict(configurationProfile(profile)).PayloadContent as Record<string, unknown>[]
    )[0]!;
    expect(wifi.SSID_STR).toBe('line\r\nbreak 📶');
  });
});
