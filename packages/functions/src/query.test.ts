import { describe, expect, it } from 'vitest';
import { queryParameter } from './query.ts';

describe('queryParameter', () => {
  it("decodes percent-escapes but keeps a + as Apple's client sends it", () => {
    const raw = 'user-identifier=alice+work%40example.com&model-family=iPhone&empty=&flag';
    expect(queryParameter(raw, 'user-identifier')).toBe('alice+work@example.com');
    expect(queryParameter(raw, 'model-family')).toBe('iPhone');
    expect(queryParameter(raw, 'empty')).toBe('');
    expect(queryParameter(raw, 'flag')).toBe('');
    expect(queryParameter(raw, 'missing')).toBeNull();
    expect(queryParameter('user-identifier=%E0%A4%A', 'user-identifier')).toBeNull();
    expect(queryParameter(undefined, 'x')).toBeNull();
  });
});
