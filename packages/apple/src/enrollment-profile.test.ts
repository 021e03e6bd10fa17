import { beforeAll, describe, expect, it } from 'vitest';
import { buildEnrollmentProfile, type EnrollmentProfileInput } from './enrollment-profile';
import { readPkcs12 } from './pkcs12-read';
import { isPlistDict, type PlistDict, parsePlistDict } from './plist';
import { type ProfileFixture, profileFixture } from './testing/profile-fixtures';
import { python3 } from './testing/tools';

let f: ProfileFixture;
beforeAll(() => {
  f = profileFixture();
});

function payloads(xml: string): { top: PlistDict; identity: PlistDict; mdm: PlistDict } {
  const top = parsePlistDict(xml);
  const content = top.PayloadContent;
  if (!Array.isArray(content) || content.length !== 2) throw new Error('expected exactly two payloads');
  const [identity, mdm] = content;
  if (!isPlistDict(identity) || !isPlistDict(mdm)) throw new Error('payloads must be dictionaries');
  return { top, identity, mdm };
}
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

describe('buildEnrollmentProfile (docs/protocol/profile.md#the-mdm-payload, TV-8/TV-9)', () => {
  it('BYOD: Configuration profile, identity + com.apple.mdm, no AccessRights', () => {
    const { top, identity, mdm } = payloads(buildEnrollmentProfile(f.input('BYOD')));
    expect(top).toMatchObject({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: 'net.example.mdm',
      PayloadDisplayName: 'Acme Device Management',
      PayloadOrganization: 'Acme Inc.',
    });
    expect(identity).toMatchObject({
      PayloadType: 'com.apple.security.pkcs12',
      PayloadIdentifier: 'net.example.mdm.identity',
      Password: 'p12-secret',
    });
    expect(mdm).toMatchObject({
      PayloadType: 'com.apple.mdm',
      PayloadIdentifier: 'net.example.mdm.mdm',
      EnrollmentMode: 'BYOD',
      AssignedManagedAppleID: 'alice@example.com',
      ServerURL: 'https://mdm.example.net/mdm/connect',
      CheckInURL: 'https://mdm.example.net/mdm/checkin',
      SignMessage: true,
      CheckOutWhenRemoved: true,
      ServerCapabilities: ['com.apple.mdm.per-user-connections', 'com.apple.mdm.token'],
      IdentityCertificateUUID: identity.PayloadUUID,
    });
    expect(mdm.Topic).toMatch(/^com\.apple\.mgmt\./);
    expect(mdm).not.toHaveProperty('AccessRights');
    expect(mdm).not.toHaveProperty('ManagedAppleID');
    for (const uuid of [top.PayloadUUID, identity.PayloadUUID, mdm.PayloadUUID]) expect(uuid).toMatch(UUID);
    expect(new Set([top.PayloadUUID, identity.PayloadUUID, mdm.PayloadUUID]).size).toBe(3);
  });

  it('embeds the PKCS #12 as <data> that opens with the profile password', () => {
    const { identity } = payloads(buildEnrollmentProfile(f.input('BYOD')));
    expect(identity.PayloadContent).toBeInstanceOf(Uint8Array);
    const back = readPkcs12(identity.PayloadContent as Uint8Array, identity.Password as string);
    expect(back.certificatePems[0]).toBe(f.identity.certificatePem);
  });

  it('ADDE: AccessRights 8191 by default, or a valid custom mask', () => {
    expect(payloads(buildEnrollmentProfile(f.input('ADDE'))).mdm).toMatchObject({
      EnrollmentMode: 'ADDE',
      AccessRights: 8191,
    });
    const custom = payloads(buildEnrollmentProfile({ ...f.input('ADDE'), accessRights: 1 | 2 | 64 | 128 }));
    expect(custom.mdm.AccessRights).toBe(195);
  });

  it('uses fresh UUIDs for every profile', () => {
    const a = payloads(buildEnrollmentProfile(f.input('ADDE')));
    const b = payloads(buildEnrollmentProfile(f.input('ADDE')));
    expect(a.top.PayloadUUID).not.toBe(b.top.PayloadUUID);
    expect(a.identity.PayloadUUID).not.toBe(b.identity.PayloadUUID);
  });

  it('is a plist Python’s plistlib reads (independent parser)', () => {
    const xml = buildEnrollmentProfile(f.input('ADDE'));
    const out = python3(
      'import plistlib,sys; p=plistlib.loads(sys.stdin.buffer.read()); m=p["PayloadContent"][1]; ' +
        'print(p["PayloadType"], m["EnrollmentMode"], m["AccessRights"], type(p["PayloadContent"][0]["PayloadContent"]).__name__)',
      xml,
    );
    expect(out.trim()).toBe('Configuration ADDE 8191 bytes');
  });

  it('allows plain http only for localhost', () => {
    const local = { serverUrl: 'http://localhost:8080/mdm', checkInUrl: 'http://127.0.0.1:8080/checkin' };
    expect(payloads(buildEnrollmentProfile({ ...f.input('BYOD'), ...local })).mdm.ServerURL).toBe(
      'http://localhost:8080/mdm',
    );
  });

  const bad: [string, Partial<EnrollmentProfileInput>, RegExp][] = [
    ['http ServerURL', { serverUrl: 'http://mdm.example.net/mdm' }, /ServerURL: must be an https/],
    ['http CheckInURL', { checkInUrl: 'http://mdm.example.net/c' }, /CheckInURL/],
    ['not a URL', { serverUrl: 'mdm.example.net' }, /ServerURL: "mdm.example.net" is not a URL/],
    ['bad Topic', { topic: 'com.example.mdm' }, /Topic: must start with "com.apple.mgmt."/],
    ['empty Managed Apple ID', { assignedManagedAppleId: '' }, /AssignedManagedAppleID/],
    ['bad mode', { enrollmentMode: 'UserEnrollment' as 'BYOD' }, /EnrollmentMode/],
    ['bad prefix', { identifierPrefix: 'mdm' }, /PayloadIdentifier/],
    ['no display name', { displayName: ' ' }, /PayloadDisplayName/],
    ['AccessRights on BYOD', { accessRights: 8191 }, /AccessRights: must not be set for BYOD/],
  ];
  it.each(bad)('refuses %s with INVALID_PROFILE_INPUT', (_name, change, message) => {
    const input = { ...f.input('BYOD'), ...change };
    expect(() => buildEnrollmentProfile(input)).toThrow(message);
    expect(() => buildEnrollmentProfile(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_PROFILE_INPUT' }),
    );
  });

  it.each([
    [0, /from 1 to 8191/],
    [2, /bit 2 .* requires bit 1/],
    [1 | 128, /bit 128 .* requires bit 64/],
    [8192, /from 1 to 8191/],
    [1.5, /from 1 to 8191/],
  ])('refuses ADDE AccessRights %s', (accessRights, message) => {
    expect(() => buildEnrollmentProfile({ ...f.input('ADDE'), accessRights })).toThrow(message);
  });
});
