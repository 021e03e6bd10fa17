import { describe, expect, it } from 'vitest';
import { isAppleProtocolError } from './errors';
import { assertEnrollmentType, deriveIdentity } from './mdm-identity';

describe('assertEnrollmentType', () => {
  const byod = deriveIdentity({ EnrollmentID: 'E' });
  const adde = deriveIdentity({ UDID: 'U' });

  it('passes when the message identifies the stored enrollment’s type', () => {
    expect(() => assertEnrollmentType(byod, 'BYOD')).not.toThrow();
    expect(() => assertEnrollmentType(adde, 'ADDE')).not.toThrow();
  });

  it('refuses a UDID-keyed message for a BYOD enrollment and an EnrollmentID one for ADDE', () => {
    const err = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return isAppleProtocolError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(err(() => assertEnrollmentType(adde, 'BYOD'))).toBe('FORBIDDEN_DEVICE_IDENTIFIER');
    expect(err(() => assertEnrollmentType(byod, 'ADDE'))).toBe('MALFORMED_MDM_MESSAGE');
  });

  it('refuses Shared iPad’s placeholder UserID without a UserShortName', () => {
    expect(() => deriveIdentity({ UDID: 'U', UserID: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF' })).toThrow(
      /UserShortName/,
    );
  });
});
