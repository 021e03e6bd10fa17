import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { AppError } from './errors.ts';
import { multiLineText, nameSchema, parseInput, singleLineText } from './validation.ts';

describe('validation', () => {
  it('trims names and accepts ordinary text', () => {
    expect(parseInput(nameSchema, '  Paris office ')).toBe('Paris office');
    expect(parseInput(nameSchema, 'Zürich — 東京')).toBe('Zürich — 東京');
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['x'.repeat(101), 'at most 100'],
    ['tab\there', 'U+0009 (a control character)'],
    ['nul\u0000', 'U+0000 (a control character)'],
  ])('refuses %j with a message a person can act on', (value, message) => {
    try {
      parseInput(nameSchema, value, ['input', 'name']);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      const appError = error as AppError;
      expect(appError.code).toBe('VALIDATION_FAILED');
      expect(appError.problems[0]?.path).toEqual(['input', 'name']);
      expect(appError.message).toContain(message);
    }
  });

  it('refuses non-strings', () => {
    expect(() => parseInput(nameSchema, 42)).toThrowError(AppError);
  });
});

describe('the plain-text rule', () => {
  const refusal = (schema: Parameters<typeof parseInput>[0], value: string) => {
    try {
      parseInput(schema, value, ['field']);
    } catch (error) {
      return (error as AppError).problems;
    }
    return undefined;
  };

  it.each([
    ['<b>Acme</b>', '"<b" starts markup'],
    ['Acme </div>', '"</" starts markup'],
    ['<!-- hi -->', '"<!" starts markup'],
    ['<?xml?>', '"<?" starts markup'],
    ['Paris\u202Efr', 'U+202E (a bidirectional control character)'],
    ['\u202AParis', 'U+202A'],
    ['Paris\u2066', 'U+2066'],
    ['Paris\u2069', 'U+2069'],
    ['two\nlines', 'must be a single line'],
    ['two\r\nlines', 'must be a single line'],
    ['carriage\rreturn', 'must be a single line'],
    ['line\u2028separator', 'must be a single line'],
    ['bell\u0007', 'U+0007 (a control character)'],
    ['delete\u007f', 'U+007F'],
    ['c1\u0085control', 'U+0085'],
  ])('refuses %j in a name with NOT_PLAIN_TEXT on the field', (value, message) => {
    const problems = refusal(nameSchema, value);
    expect(problems).toHaveLength(1);
    expect(problems![0]).toMatchObject({ path: ['field'], code: 'NOT_PLAIN_TEXT' });
    expect(problems![0]!.message).toContain(message);
  });

  it('takes text that only looks unusual', () => {
    for (const value of ['R&D <> Sales', 'kept < 30 days', 'a > b', 'Zürich — 東京 👋', 'O\'Brien "IT"'])
      expect(parseInput(nameSchema, value)).toBe(value);
  });

  it('takes line breaks and tabs in multi-line text, storing CR LF as LF', () => {
    expect(parseInput(multiLineText(100), ' Hello,\r\n\r\nwelcome\tin.\n')).toBe('Hello,\n\nwelcome\tin.');
    for (const value of ['a\rb', 'a\u2029b', 'a\u202Db', 'a <img src=x>', 'a\u0000b'])
      expect(refusal(multiLineText(100), value)?.[0]?.code, JSON.stringify(value)).toBe('NOT_PLAIN_TEXT');
  });

  it('reports one problem per field: the format check after it would only repeat it', () => {
    expect(refusal(singleLineText(50).check(z.regex(/^[a-z]+$/, 'letters only')), '<a')).toEqual([
      { path: ['field'], code: 'NOT_PLAIN_TEXT', message: expect.stringContaining('markup') },
    ]);
  });
});
