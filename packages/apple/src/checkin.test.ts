import { describe, expect, it } from 'vitest';
import { CHECKIN_MESSAGE_TYPES, type CheckinMessage, MAX_CHECKIN_BODY_BYTES, parseCheckin } from './checkin';
import { buildPlist, type PlistDict, type PlistValue } from './plist';
import type { SchemaSupportedOS } from './schema/facts.ts';
import { loadSchemaFile } from './schema/protocol-schema.ts';
import { errorCode as code } from './testing/tools';

/** Apple's key lists for check-in messages (`mdm/checkin/*.yaml` in apple/device-management), from the schema facts. */
interface CheckinKey {
  key: string;
  type: string;
  forbiddenInUserEnrollment: boolean;
}
const forbiddenInUserEnrollment = (os: SchemaSupportedOS | undefined): boolean =>
  Object.values(os ?? {}).some((rule) => rule?.userenrollment?.mode === 'forbidden');
function schemaSpec(file: string) {
  const doc = loadSchemaFile(`mdm/checkin/${file}`);
  const keys: CheckinKey[] = (doc.payloadkeys ?? []).map((k) => ({
    key: k.key,
    type: k.type.replace(/^<|>$/g, ''),
    // Only the key's own restrictions, not those of its subkeys (TokenParameters).
    forbiddenInUserEnrollment: forbiddenInUserEnrollment(k.supportedOS),
  }));
  return {
    keys,
    requestType: doc.payload?.requesttype,
    messageForbiddenInUserEnrollment: forbiddenInUserEnrollment(doc.payload?.supportedOS),
  };
}
const FILES: Record<(typeof CHECKIN_MESSAGE_TYPES)[number], string> = {
  Authenticate: 'authenticate.yaml',
  TokenUpdate: 'tokenupdate.yaml',
  CheckOut: 'checkout.yaml',
  DeclarativeManagement: 'declarativemanagement.yaml',
  GetToken: 'gettoken.yaml',
  UserAuthenticate: 'userauthenticate.yaml',
  GetBootstrapToken: 'getbootstraptoken.yaml',
  SetBootstrapToken: 'setbootstraptoken.yaml',
};
function sample(key: string, type: string): PlistValue {
  if (type === 'string') return `v-${key}`;
  if (type === 'data') return Buffer.from(`bytes of ${key}`);
  if (type === 'boolean') return true;
  if (type === 'dictionary') return { Nested: 'x' };
  throw new Error(`no sample for <${type}>`);
}
/** A body with every schema key except the identifiers of the other enrollment type. */
function bodyFromSchema(type: string, mode: 'ADDE' | 'BYOD'): PlistDict {
  const { keys } = schemaSpec(FILES[type as keyof typeof FILES]);
  const dict: PlistDict = {};
  for (const k of keys) {
    if (mode === 'ADDE' && (k.key === 'EnrollmentID' || k.key === 'EnrollmentUserID')) continue;
    if (mode === 'BYOD' && (k.forbiddenInUserEnrollment || /^User(ID|ShortName|LongName)$/.test(k.key)))
      continue;
    dict[k.key] = k.key === 'MessageType' ? type : sample(k.key, k.type);
  }
  if (mode === 'ADDE') dict.UDID ??= 'v-UDID';
  else dict.EnrollmentID = 'v-EnrollmentID';
  return dict;
}
function parse(dict: PlistDict): CheckinMessage {
  return parseCheckin(buildPlist(dict));
}
describe("parseCheckin, driven by Apple's key lists", () => {
  it('has a schema file for every message type it knows (and the schema agrees on the name)', () => {
    for (const [type, file] of Object.entries(FILES)) {
      const mt = schemaSpec(file).keys.find((k) => k.key === 'MessageType');
      expect(mt?.type).toBe('string');
      expect(schemaSpec(file).requestType).toBe(type);
    }
  });

  it.each(CHECKIN_MESSAGE_TYPES)('%s (device enrollment): every schema key comes back typed', (type) => {
    const dict = bodyFromSchema(type, 'ADDE');
    const msg = parse(dict);
    expect(msg.MessageType).toBe(type);
    expect(msg.identity.enrollmentType).toBe('ADDE');
    for (const [key, value] of Object.entries(dict))
      expect(msg[key as keyof CheckinMessage], key).toEqual(value);
    const channel = dict.UserID ? 'user' : 'device';
    expect(msg.identity).toMatchObject({ channel, udid: 'v-UDID' });
    expect(msg.identity.key).toBe(channel === 'user' ? 'udid:v-UDID:user:v-UserID' : 'udid:v-UDID');
  });

  it.each(CHECKIN_MESSAGE_TYPES)(
    '%s (User Enrollment): allowed keys parse, forbidden ones are refused',
    (type) => {
      const spec = schemaSpec(FILES[type]);
      const dict = bodyFromSchema(type, 'BYOD');
      if (spec.messageForbiddenInUserEnrollment) {
        // UserAuthenticate's UDID is not key-level forbidden, so it is refused for UDID + EnrollmentID.
        expect(['MALFORMED_MDM_MESSAGE', 'FORBIDDEN_DEVICE_IDENTIFIER']).toContain(code(() => parse(dict)));
        return;
      }
      const msg = parse(dict);
      expect(msg.identity).toMatchObject({ enrollmentType: 'BYOD', enrollmentId: 'v-EnrollmentID' });
      expect(msg.identity.channel).toBe(dict.EnrollmentUserID ? 'user' : 'device');
      const forbidden = spec.keys.filter((k) => k.forbiddenInUserEnrollment && k.key !== 'UnlockToken');
      for (const k of forbidden) {
        expect(
          code(() => parse({ ...dict, [k.key]: sample(k.key, k.type) })),
          k.key,
        ).toBe('FORBIDDEN_DEVICE_IDENTIFIER');
      }
    },
  );

  it.each(CHECKIN_MESSAGE_TYPES)('%s: each required key missing → MALFORMED_MDM_MESSAGE', (type) => {
    const dict = bodyFromSchema(type, 'ADDE');
    // Required per our parser (Apple's schema marks identifiers and user-channel keys "required" per mode).
    const required = ['Topic', 'Token', 'PushMagic', 'Endpoint', 'TokenServiceType'].filter((k) => k in dict);
    for (const key of required) {
      const { [key]: _, ...rest } = dict;
      expect(
        code(() => parse(rest)),
        key,
      ).toBe('MALFORMED_MDM_MESSAGE');
    }
  });
});

describe('parseCheckin, test vectors of docs/protocol/test-vectors.md', () => {
  it('TV-14 ADUE Authenticate (hand-written XML): keyed by EnrollmentID', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>BuildVersion</key><string>22C161</string>
  <key>EnrollmentID</key><string>FB833D84-3D6D-4E0B-9C3E-6C7A1B2C3D4E</string>
  <key>MessageType</key><string>Authenticate</string>
  <key>OSVersion</key><string>18.2.1</string>
  <key>ProductName</key><string>iPhone12,1</string>
  <key>Topic</key><string>com.apple.mgmt.External.5e1c0f6a-1111-2222-3333-444455556666</string>
</dict></plist>`;
    const msg = parseCheckin(Buffer.from(xml));
    expect(msg).toMatchObject({
      MessageType: 'Authenticate',
      OSVersion: '18.2.1',
      BuildVersion: '22C161',
      ProductName: 'iPhone12,1',
      identity: {
        enrollmentType: 'BYOD',
        channel: 'device',
        enrollmentId: 'FB833D84-3D6D-4E0B-9C3E-6C7A1B2C3D4E',
        key: 'eid:FB833D84-3D6D-4E0B-9C3E-6C7A1B2C3D4E',
      },
    });
    expect('UDID' in msg).toBe(false);
    // "Assert server rejects/flags any ADUE Authenticate that carries UDID or SerialNumber."
    for (const extra of [
      '<key>UDID</key><string>00008030-0001</string>',
      '<key>SerialNumber</key><string>F2LX</string>',
    ])
      expect(code(() => parseCheckin(xml.replace('<dict>', `<dict>${extra}`)))).toBe(
        'FORBIDDEN_DEVICE_IDENTIFIER',
      );
  });

  it('TV-15 ADUE TokenUpdate: 32-byte token as a Buffer, AwaitingConfiguration false kept', () => {
    const token = Buffer.alloc(32, 0xab);
    const msg = parse({
      MessageType: 'TokenUpdate',
      EnrollmentID: 'FB833D84',
      Topic: 'com.apple.mgmt.External.x',
      Token: token,
      PushMagic: '2B1F3F0C-0000-4000-8000-000000000001',
      AwaitingConfiguration: false,
    });
    if (msg.MessageType !== 'TokenUpdate') throw new Error('type');
    expect(Buffer.isBuffer(msg.Token)).toBe(true);
    expect(msg.Token.equals(token)).toBe(true);
    expect(msg.AwaitingConfiguration).toBe(false);
    expect(msg.identity.key).toBe('eid:FB833D84');
  });

  it('TV-16 ADDE Authenticate keyed by UDID with SerialNumber', () => {
    const msg = parse({
      MessageType: 'Authenticate',
      UDID: '00008030-001A',
      Topic: 't',
      SerialNumber: 'F2LX',
    });
    expect(msg).toMatchObject({
      SerialNumber: 'F2LX',
      identity: { enrollmentType: 'ADDE', key: 'udid:00008030-001A' },
    });
  });

  it('TV-18 GetToken com.apple.maid; unknown service types are left to the caller (400)', () => {
    const msg = parse({ MessageType: 'GetToken', TokenServiceType: 'com.apple.maid', EnrollmentID: 'E1' });
    expect(msg).toMatchObject({ TokenServiceType: 'com.apple.maid', identity: { key: 'eid:E1' } });
    expect(parse({ MessageType: 'GetToken', TokenServiceType: 'x.y', UDID: 'U' })).toMatchObject({
      TokenServiceType: 'x.y',
    });
  });

  it('macOS user channels: ADUE by EnrollmentUserID, ADDE by UserID, Shared iPad by UserShortName', () => {
    const base = { MessageType: 'TokenUpdate', Topic: 't', Token: Buffer.from('t'), PushMagic: 'p' };
    expect(
      parse({ ...base, EnrollmentID: 'E', EnrollmentUserID: 'EU', UserShortName: 'al' }).identity,
    ).toEqual({
      enrollmentType: 'BYOD',
      channel: 'user',
      enrollmentId: 'E',
      enrollmentUserId: 'EU',
      key: 'eid:E:user:EU',
    });
    expect(parse({ ...base, UDID: 'U', UserID: 'G1', UserShortName: 'al' }).identity.key).toBe(
      'udid:U:user:G1',
    );
    const shared = {
      ...base,
      UDID: 'U',
      UserID: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      UserShortName: 'a@x.org',
    };
    expect(parse(shared).identity.key).toBe('udid:U:user:a@x.org');
    expect(code(() => parse({ ...base, UDID: 'U', EnrollmentUserID: 'EU' }))).toBe('MALFORMED_MDM_MESSAGE');
  });
});

describe('parseCheckin refuses bad input with typed errors', () => {
  const ok = { MessageType: 'CheckOut', Topic: 't', UDID: 'U' };
  it.each(
    [
      ['empty', '', 'MALFORMED_PLIST'],
      ['text', 'hello', 'MALFORMED_PLIST'],
      ['JSON', '{"MessageType":"Authenticate"}', 'MALFORMED_PLIST'],
      ['binary plist', 'bplist00\u0000\u0001', 'MALFORMED_PLIST'],
      ['truncated XML', buildPlist(ok).slice(0, 120), 'MALFORMED_PLIST'],
      ['top-level array', buildPlist(['Authenticate']), 'MALFORMED_PLIST'],
      ['no MessageType', buildPlist({ Topic: 't', UDID: 'U' }), 'MALFORMED_MDM_MESSAGE'],
      ['integer MessageType', buildPlist({ ...ok, MessageType: 3 }), 'MALFORMED_MDM_MESSAGE'],
      ['unknown MessageType', buildPlist({ ...ok, MessageType: 'Bogus' }), 'UNKNOWN_MESSAGE_TYPE'],
      ['no identity', buildPlist({ MessageType: 'CheckOut', Topic: 't' }), 'MALFORMED_MDM_MESSAGE'],
      ['empty UDID', buildPlist({ ...ok, UDID: '' }), 'MALFORMED_MDM_MESSAGE'],
      [
        'Token as string',
        buildPlist({ ...ok, MessageType: 'TokenUpdate', Token: 'abc', PushMagic: 'p' }),
        'MALFORMED_MDM_MESSAGE',
      ],
      ['Topic as data', buildPlist({ ...ok, Topic: Buffer.from('t') }), 'MALFORMED_MDM_MESSAGE'],
      [
        'Authenticate on a user channel',
        buildPlist({ ...ok, MessageType: 'Authenticate', UserID: 'G' }),
        'MALFORMED_MDM_MESSAGE',
      ],
      [
        'UserAuthenticate without UserID',
        buildPlist({ ...ok, MessageType: 'UserAuthenticate' }),
        'MALFORMED_MDM_MESSAGE',
      ],
    ].map(([name, body, expected]) => [name!, expected!, body!] as const),
  )('%s → %s', (_name, expected, body) => {
    expect(code(() => parseCheckin(body))).toBe(expected);
  });

  it('refuses bodies over the size limit before parsing', () => {
    const big = buildPlist({ ...ok, Pad: 'x'.repeat(MAX_CHECKIN_BODY_BYTES) });
    expect(code(() => parseCheckin(big))).toBe('BODY_TOO_LARGE');
  });

  it('keeps unknown keys in raw instead of refusing them', () => {
    const msg = parse({ ...ok, FutureKey: 'x' });
    expect(msg.raw.FutureKey).toBe('x');
  });
});
