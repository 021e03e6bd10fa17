import { describe, expect, it } from 'vitest';
import { AppleProtocolError, isAppleProtocolError } from './errors';

describe('AppleProtocolError', () => {
  it('carries a code, a default actionable message and the cause', () => {
    const cause = new Error('asn1');
    const err = new AppleProtocolError('TOKEN_EXPIRED', undefined, { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AppleProtocolError');
    expect(err.code).toBe('TOKEN_EXPIRED');
    expect(err.message).toMatch(/Renew it in Apple Business Manager/);
    expect(err.cause).toBe(cause);
    expect(String(err)).toMatch(/^AppleProtocolError: /);
  });

  it('keeps a specific message when given one', () => {
    expect(new AppleProtocolError('UNSUPPORTED_OS', 'This iPhone runs iOS 14.').message).toBe(
      'This iPhone runs iOS 14.',
    );
  });

  it('isAppleProtocolError narrows by class and optionally by code', () => {
    const err = new AppleProtocolError('NOT_A_TOKEN');
    expect(isAppleProtocolError(err)).toBe(true);
    expect(isAppleProtocolError(err, 'NOT_A_TOKEN')).toBe(true);
    expect(isAppleProtocolError(err, 'TOKEN_CORRUPTED')).toBe(false);
    expect(isAppleProtocolError(new Error('x'))).toBe(false);
    expect(isAppleProtocolError({ code: 'NOT_A_TOKEN' })).toBe(false);
  });
});
