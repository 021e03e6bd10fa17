import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { decodeScopedId, encodeScopedId, isUlid, newId, parseId, ulid } from './ids.ts';

describe('ids', () => {
  it('makes ULIDs that sort by time and stay ordered within a millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => ulid(1_790_000_000_000));
    expect(ids.every(isUlid)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(ulid(1_790_000_000_001) > ids.at(-1)!).toBe(true);
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
  });

  it('prefixes ids by kind and checks them', () => {
    const id = newId('policy');
    expect(id).toMatch(/^pol_[0-9A-Z]{26}$/);
    expect(parseId('policy', id)).toBe(id);
    for (const bad of ['ten_' + id.slice(4), 'pol_', 'pol_01J', `${id}x`, 'pol_0000000000000000000000000I']) {
      expect(() => parseId('policy', bad)).toThrowError(AppError);
    }
  });

  it('round-trips scoped global ids and refuses other shapes', () => {
    const tenantId = newId('tenant');
    const policyId = newId('policy');
    const global = encodeScopedId(tenantId, policyId);
    expect(global.startsWith('pol_')).toBe(true);
    expect(decodeScopedId('policy', global)).toEqual({ tenantId, id: policyId });
    expect(() => decodeScopedId('policy', policyId)).toThrowError(/not a policy id/);
    expect(() => decodeScopedId('policy', global.replace('pol_', 'ten_'))).toThrowError(AppError);
    expect(() => decodeScopedId('policy', `${global}_x`)).toThrowError(AppError);
  });
});
