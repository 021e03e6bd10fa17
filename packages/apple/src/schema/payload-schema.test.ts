import { beforeAll, describe, expect, it } from 'vitest';
import { buildEnrollmentProfile, enrollmentProfileDict } from '../enrollment-profile';
import { isPlistDict, type PlistDict, parsePlistDict } from '../plist';
import { type ProfileFixture, profileFixture } from '../testing/profile-fixtures';
import {
  assertProfileMatchesSchema,
  loadSchemaKeys,
  payloadSchema,
  validatePayload,
  validateProfile,
} from './payload-schema';

let f: ProfileFixture;
beforeAll(() => {
  f = profileFixture();
});

/** The built profile as a device would read it (XML round trip), and its payloads by type. */
function profile(mode: 'BYOD' | 'ADDE'): { top: PlistDict; byType: Record<string, PlistDict> } {
  const top = parsePlistDict(buildEnrollmentProfile(f.input(mode)));
  const byType: Record<string, PlistDict> = {};
  for (const p of top.PayloadContent as unknown[])
    if (isPlistDict(p as PlistDict)) byType[(p as PlistDict).PayloadType as string] = p as PlistDict;
  return { top, byType };
}

describe("payload schema from the facts of Apple's device-management schemas", () => {
  it('reads the key list from the schema facts (not hard-coded)', () => {
    const names = payloadSchema('com.apple.mdm').map((k) => k.key);
    expect(names).toEqual(
      expect.arrayContaining(['ServerURL', 'EnrollmentMode', 'AccessRights', 'PayloadUUID']),
    );
    expect(payloadSchema('com.apple.security.pkcs12').find((k) => k.key === 'PayloadContent')?.type).toBe(
      '<data>',
    );
    expect(loadSchemaKeys('TopLevel').find((k) => k.key === 'PayloadType')?.rangelist).toEqual([
      'Configuration',
    ]);
    expect(() => loadSchemaKeys('../secrets')).toThrow(
      expect.objectContaining({ code: 'PROFILE_SCHEMA_VIOLATION' }),
    );
    expect(() => loadSchemaKeys('com.example.nope')).toThrow(/No Apple schema/);
  });

  it('accepts the BYOD profile, including the User Enrollment rules', () => {
    const { top, byType } = profile('BYOD');
    expect(validatePayload(byType['com.apple.mdm']!, { userEnrollment: true })).toEqual([]);
    expect(validatePayload(byType['com.apple.security.pkcs12']!, { userEnrollment: true })).toEqual([]);
    expect(validateProfile(top, { userEnrollment: true })).toEqual([]);
  });

  it('accepts the ADDE profile', () => {
    const { top, byType } = profile('ADDE');
    expect(validatePayload(byType['com.apple.mdm']!)).toEqual([]);
    expect(validatePayload(byType['com.apple.security.pkcs12']!)).toEqual([]);
    expect(() => assertProfileMatchesSchema(top)).not.toThrow();
  });

  const mdm = (change: (p: PlistDict) => void): string[] => {
    const p = structuredClone(profile('ADDE').byType['com.apple.mdm']!);
    change(p);
    return validatePayload(p);
  };

  it('names a misspelled key', () => {
    expect(
      mdm((p) => {
        p.ServerUrl = p.ServerURL!;
        delete p.ServerURL;
      }),
    ).toEqual([
      expect.stringMatching(/^com\.apple\.mdm\.ServerUrl: not a key/),
      'com.apple.mdm.ServerURL: required but missing',
    ]);
  });

  it('names a key of the wrong type', () => {
    expect(
      mdm((p) => {
        p.SignMessage = 'true';
      }),
    ).toEqual([expect.stringMatching(/^com\.apple\.mdm\.SignMessage: must be <boolean>/)]);
    expect(
      mdm((p) => {
        p.AccessRights = '8191';
      }),
    ).toEqual([expect.stringMatching(/AccessRights: must be <integer>/)]);
  });

  it('names a missing required key (own and common keys)', () => {
    expect(
      mdm((p) => {
        delete p.Topic;
      }),
    ).toEqual(['com.apple.mdm.Topic: required but missing']);
    expect(
      mdm((p) => {
        delete p.PayloadUUID;
      }),
    ).toEqual(['com.apple.mdm.PayloadUUID: required but missing']);
  });

  it('applies rangelist, format and the AccessRights bit rules', () => {
    expect(
      mdm((p) => {
        p.EnrollmentMode = 'UserEnrollment';
      }),
    ).toEqual([expect.stringMatching(/EnrollmentMode: "UserEnrollment" is not one of/)]);
    expect(
      mdm((p) => {
        p.ServerCapabilities = ['com.apple.mdm.token', 'UserEnrollment'];
      }),
    ).toEqual([expect.stringMatching(/ServerCapabilities\[1\]: "UserEnrollment" is not one of/)]);
    expect(
      mdm((p) => {
        p.PayloadVersion = 2;
      }),
    ).toEqual([expect.stringMatching(/PayloadVersion: 2 is not one of \[1\]/)]);
    expect(
      mdm((p) => {
        p.ServerURL = 'http://mdm.example.net';
      }),
    ).toEqual([expect.stringMatching(/ServerURL: .* does not match/)]);
    expect(
      mdm((p) => {
        p.AccessRights = 0;
      }),
    ).toEqual([expect.stringMatching(/AccessRights: .*from 1 to 8191/)]);
    expect(
      mdm((p) => {
        p.AccessRights = 2;
      }),
    ).toEqual([expect.stringMatching(/AccessRights: .*requires bit 1/)]);
    expect(
      mdm((p) => {
        p.AccessRights = 129;
      }),
    ).toEqual([expect.stringMatching(/AccessRights: .*requires bit 64/)]);
  });

  it('flags AccessRights in a User Enrollment (BYOD) payload', () => {
    const p = structuredClone(profile('BYOD').byType['com.apple.mdm']!);
    p.AccessRights = 8191;
    expect(validatePayload(p, { userEnrollment: true })).toEqual([
      expect.stringMatching(/^com\.apple\.mdm\.AccessRights: ignored in User Enrollment/),
    ]);
  });

  it('checks the top level and the pkcs12 payload too', () => {
    const top = enrollmentProfileDict(f.input('BYOD'));
    top.PayloadType = 'Profile';
    const pkcs12 = (top.PayloadContent as PlistDict[])[0]!;
    pkcs12.PayloadContent = 'not data';
    expect(validateProfile(top)).toEqual([
      expect.stringMatching(/^Configuration\.PayloadType: "Profile" is not one of/),
      expect.stringMatching(/^com\.apple\.security\.pkcs12\.PayloadContent: must be <data>/),
    ]);
    expect(() => assertProfileMatchesSchema(top)).toThrow(
      expect.objectContaining({ code: 'PROFILE_SCHEMA_VIOLATION' }),
    );
  });
});
