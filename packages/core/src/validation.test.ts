import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { nameSchema, parseInput } from './validation.ts';

describe('validation', () => {
  it('trims names and accepts ordinary text', () => {
    expect(parseInput(nameSchema, '  Paris office ')).toBe('Paris office');
    expect(parseInput(nameSchema, 'Zürich — 東京')).toBe('Zürich — 東京');
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['x'.repeat(101), 'at most 100'],
    ['tab\there', 'control characters'],
    ['nul\u0000', 'control characters'],
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
