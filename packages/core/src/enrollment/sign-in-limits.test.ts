import { describe, expect, it } from 'vitest';
import {
  limitFor,
  normalizeSignInUser,
  normalizeSourceAddress,
  SIGN_IN_LIMITS,
  windowAt,
  windowEnd,
} from './sign-in-limits.ts';

describe('what the sign-in limits count', () => {
  it('counts a person once whatever the case or compatibility form they type', () => {
    expect(normalizeSignInUser('  Bob@Example.COM ')).toBe('bob@example.com');
    expect(normalizeSignInUser('ｂｏｂ@example.com')).toBe('bob@example.com'); // full-width letters (NFKC)
  });

  it('counts IPv4 as is, IPv6 by its /64, and anything else as one unknown source', () => {
    expect(normalizeSourceAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeSourceAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeSourceAddress('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(normalizeSourceAddress('2001:DB8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(normalizeSourceAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(normalizeSourceAddress('::1')).toBe('0:0:0:0::/64');
    for (const other of [null, undefined, '', 'localhost', '1.2.3', '2001:db8::1::2', '::1.2.3.4'])
      expect(normalizeSourceAddress(other)).toBe('unknown');
  });

  it('states the limits in force: 5 per person (3 at once, then 1 and 5 minutes), 60 per configuration, 30 per address', () => {
    expect(SIGN_IN_LIMITS.userBackoffSeconds).toEqual([0, 0, 0, 60, 300]);
    expect(limitFor(SIGN_IN_LIMITS, 'USER')).toBe(5);
    expect(limitFor(SIGN_IN_LIMITS, 'CONFIGURATION')).toBe(60);
    expect(limitFor(SIGN_IN_LIMITS, 'SOURCE_ADDRESS')).toBe(30);
  });

  it('windows are clock hours', () => {
    const at = Date.UTC(2027, 0, 4, 9, 59, 59, 999);
    const window = windowAt(SIGN_IN_LIMITS, at);
    expect(windowAt(SIGN_IN_LIMITS, at + 1)).toBe(window + 1);
    expect(new Date(windowEnd(SIGN_IN_LIMITS, window)).toISOString()).toBe('2027-01-04T10:00:00.000Z');
  });
});
