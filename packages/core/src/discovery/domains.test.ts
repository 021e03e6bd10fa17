import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { domainOfIdentifier, normalizeDomain } from './domains.ts';

const accepted: [string, string][] = [
  ['example.com', 'example.com'],
  ['EXAMPLE.Com', 'example.com'],
  ['  example.com\t', 'example.com'],
  ['example.com.', 'example.com'],
  ['mail.corp.example.co.uk', 'mail.corp.example.co.uk'],
  ['Bücher.example', 'xn--bcher-kva.example'],
  ['BÜCHER.EXAMPLE', 'xn--bcher-kva.example'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
  ['ｅｘａｍｐｌｅ.com', 'example.com'], // full-width letters map to ASCII (UTS #46)
  ['a-b.example', 'a-b.example'],
  ['1password.example', '1password.example'],
  [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
];

const refused: [string, RegExp][] = [
  ['', /empty/],
  ['   ', /empty/],
  ['https://example.com', /https:\/\//],
  ['mailto:admin', /scheme/],
  ['example.com/path', /path/],
  ['example.com\\path', /path/],
  ['example.com?x=1', /"\?"/],
  ['example.com#top', /"#"/],
  ['example.com:443', /port/],
  ['alice@example.com', /after "@"/],
  ['user:pw@example.com', /after "@"/],
  ['https://user@example.com', /https:\/\//],
  ['*.example.com', /wildcard/],
  ['192.0.2.1', /IP address/],
  ['0x7f.1', /IP address/],
  ['example.123', /IP address/],
  ['::1', /IP address/],
  ['[2001:db8::1]', /IP address/],
  ['example..com', /empty parts/],
  ['.example.com', /empty parts/],
  ['example.com..', /empty parts/],
  [`${'a'.repeat(64)}.example`, /63/],
  [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, /253/],
  ['-example.com', /hyphen/],
  ['example-.com', /hyphen/],
  ['com', /top-level/],
  ['localhost', /top-level/],
  ['exa mple.com', /only letters/],
  ['exa_mple.com', /only letters/],
  ['ex%41mple.com', /only letters/],
  ['ex$ample.com', /only letters/],
  ['exa\u0000mple.com', /only letters/],
  ['xn--zz.example', /not a valid domain/],
  ['a\u200db.example', /not a valid domain/], // zero-width joiner is not allowed by IDNA here
];

describe('normalizeDomain', () => {
  it.each(accepted)('accepts %j as %s', (input, expected) => {
    expect(normalizeDomain(input)).toEqual(expected);
  });

  it('accepts exactly 253 octets', () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name).toHaveLength(253);
    expect(normalizeDomain(`${name}.`)).toBe(name);
  });

  it.each(refused)('refuses %j', (input, message) => {
    let error: unknown;
    try {
      normalizeDomain(input, ['input', 'domains', '2']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('VALIDATION_FAILED');
    expect(appError.problems).toHaveLength(1);
    expect(appError.problems[0]!.path).toEqual(['input', 'domains', '2']);
    expect(appError.problems[0]!.message).toMatch(message);
  });

  it('uses an empty path by default', () => {
    expect(() => normalizeDomain('nope')).toThrowError(
      expect.objectContaining({ problems: [{ path: [], message: expect.any(String) }] }),
    );
  });
});

describe('domainOfIdentifier', () => {
  it.each([
    ['alice@example.com', 'example.com'],
    ['Alice@EXAMPLE.com', 'example.com'],
    ['alice@Bücher.example', 'xn--bcher-kva.example'],
    ['"a@b"@example.com', 'example.com'], // Apple splits at the LAST "@"
    ['alice+tag@example.com', 'example.com'],
    ['alice@sub.example.com', 'sub.example.com'],
  ])('%j → %s', (identifier, domain) => {
    expect(domainOfIdentifier(identifier)).toBe(domain);
  });

  it.each([
    'alice',
    '',
    '@example.com',
    ' @example.com',
    'alice@',
    'alice@com',
    'alice@example.com/x',
    'alice@192.0.2.1',
    'alice@-bad.example',
  ])('%j → null', (identifier) => {
    expect(domainOfIdentifier(identifier)).toBeNull();
  });
});
