import { describe, expect, it } from 'vitest';
import { COMMAND_STATUSES, MAX_COMMAND_RESULT_BYTES, parseCommandResult } from './command-result';
import { buildPlist } from './plist';
import { errorCode as code } from './testing/tools';

describe('parseCommandResult', () => {
  it('TV-17 Idle from a User Enrollment: EnrollmentID identity, no CommandUUID', () => {
    const r = parseCommandResult(buildPlist({ EnrollmentID: 'FB833D84', Status: 'Idle' }));
    expect(r).toMatchObject({ Status: 'Idle', EnrollmentID: 'FB833D84', identity: { key: 'eid:FB833D84' } });
    expect(r.CommandUUID).toBeUndefined();
  });

  it('TV-17 Acknowledged DeviceInformation: result keys stay in raw', () => {
    const r = parseCommandResult(
      buildPlist({
        EnrollmentID: 'FB833D84',
        CommandUUID: '0001',
        Status: 'Acknowledged',
        QueryResponses: { OSVersion: '18.2.1', ProductName: 'iPhone12,1' },
      }),
    );
    expect(r).toMatchObject({ Status: 'Acknowledged', CommandUUID: '0001' });
    expect(r.raw.QueryResponses).toEqual({ OSVersion: '18.2.1', ProductName: 'iPhone12,1' });
  });

  it('Error with an ErrorChain (hand-written XML, <integer> codes), outermost first', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>CommandUUID</key><string>C-1</string>
  <key>ErrorChain</key><array>
    <dict><key>ErrorCode</key><integer>4001</integer><key>ErrorDomain</key><string>MCInstallationErrorDomain</string>
      <key>LocalizedDescription</key><string>Le profil n’a pas pu être installé.</string>
      <key>USEnglishDescription</key><string>The profile could not be installed.</string></dict>
    <dict><key>ErrorCode</key><integer>-12</integer><key>ErrorDomain</key><string>MCProfileErrorDomain</string>
      <key>LocalizedDescription</key><string>x</string></dict>
  </array>
  <key>Status</key><string>Error</string>
  <key>UDID</key><string>00008030-001A</string>
</dict></plist>`;
    const r = parseCommandResult(Buffer.from(xml));
    expect(r.identity).toMatchObject({ enrollmentType: 'ADDE', udid: '00008030-001A' });
    expect(r.ErrorChain).toEqual([
      {
        ErrorCode: 4001,
        ErrorDomain: 'MCInstallationErrorDomain',
        LocalizedDescription: 'Le profil n’a pas pu être installé.',
        USEnglishDescription: 'The profile could not be installed.',
      },
      { ErrorCode: -12, ErrorDomain: 'MCProfileErrorDomain', LocalizedDescription: 'x' },
    ]);
  });

  it.each(COMMAND_STATUSES)('accepts Status %s', (Status) => {
    const body = { UDID: 'U', Status, ...(Status === 'Idle' ? {} : { CommandUUID: 'C' }) };
    expect(parseCommandResult(buildPlist(body)).Status).toBe(Status);
  });

  it('macOS user channel of a User Enrollment', () => {
    const r = parseCommandResult(buildPlist({ EnrollmentID: 'E', EnrollmentUserID: 'EU', Status: 'Idle' }));
    expect(r.identity.key).toBe('eid:E:user:EU');
    expect(r.EnrollmentUserID).toBe('EU');
  });

  it.each([
    ['garbage', 'not a plist', 'MALFORMED_PLIST'],
    ['no Status', buildPlist({ UDID: 'U', CommandUUID: 'C' }), 'MALFORMED_MDM_MESSAGE'],
    ['unknown Status', buildPlist({ UDID: 'U', Status: 'Done', CommandUUID: 'C' }), 'MALFORMED_MDM_MESSAGE'],
    ['no CommandUUID', buildPlist({ UDID: 'U', Status: 'Acknowledged' }), 'MALFORMED_MDM_MESSAGE'],
    ['no identity', buildPlist({ Status: 'Idle' }), 'MALFORMED_MDM_MESSAGE'],
    [
      'BYOD with UDID',
      buildPlist({ EnrollmentID: 'E', UDID: 'U', Status: 'Idle' }),
      'FORBIDDEN_DEVICE_IDENTIFIER',
    ],
    [
      'ErrorChain not an array',
      buildPlist({ UDID: 'U', Status: 'Error', CommandUUID: 'C', ErrorChain: 'x' }),
      'MALFORMED_MDM_MESSAGE',
    ],
    [
      'ErrorChain item not a dict',
      buildPlist({ UDID: 'U', Status: 'Error', CommandUUID: 'C', ErrorChain: ['x'] }),
      'MALFORMED_MDM_MESSAGE',
    ],
    [
      'ErrorCode as string',
      buildPlist({
        UDID: 'U',
        Status: 'Error',
        CommandUUID: 'C',
        ErrorChain: [{ ErrorCode: '12', ErrorDomain: 'D' }],
      }),
      'MALFORMED_MDM_MESSAGE',
    ],
  ])('%s → refused', (_name, body, expected) => {
    expect(code(() => parseCommandResult(body))).toBe(expected);
  });

  it('refuses bodies over the size limit', () => {
    const big = buildPlist({ UDID: 'U', Status: 'Idle', Pad: 'x'.repeat(MAX_COMMAND_RESULT_BYTES) });
    expect(code(() => parseCommandResult(big))).toBe('BODY_TOO_LARGE');
  });
});
