import { describe, expect, it } from 'vitest';
import {
  decodeKeyId,
  draftApiKey,
  encodeKeyId,
  hashSecret,
  parseToken,
  secretMatches,
} from './api-key-secret.ts';
import { AppError } from './errors.ts';
import { newId } from './ids.ts';

describe('API key secrets', () => {
  const tenantId = newId('tenant');
  const partnerId = newId('partner');
  const draft = draftApiKey({
    owner: { kind: 'tenant', tenantId, partnerId },
    name: 'ci',
    role: 'ADMIN',
    createdBy: 'test',
  });

  it('stores only a hash, and the token finds its key in the tenant partition', () => {
    expect(JSON.stringify(draft.item)).not.toContain(draft.secret.slice(-43));
    const parsed = parseToken(draft.secret);
    expect(parsed.partition).toBe(`T#${tenantId}`);
    expect(parsed.keyId).toBe(draft.item.keyId);
    expect(secretMatches(draft.item, parsed.secretPart)).toBe(true);
    expect(draft.item.secretHash).toBe(hashSecret(parsed.secretPart));
  });

  it('rejects a wrong secret and malformed tokens', () => {
    const parsed = parseToken(draft.secret);
    const wrong = parsed.secretPart.slice(0, -1) + (parsed.secretPart.endsWith('A') ? 'B' : 'A');
    expect(secretMatches(draft.item, wrong)).toBe(false);
    for (const bad of [
      '',
      'Bearer x',
      draft.secret.slice(0, -1),
      draft.secret.replace('ade_', 'xyz_'),
      `${draft.secret}x`,
    ]) {
      expect(() => parseToken(bad)).toThrowError(AppError);
    }
  });

  it('makes different secrets every time', () => {
    const other = draftApiKey({ owner: { kind: 'operator' }, name: 'op', role: 'ADMIN', createdBy: 'test' });
    expect(other.secret).not.toBe(draft.secret);
    expect(parseToken(other.secret).partition).toBe('OPERATOR');
  });

  it('round-trips global key ids', () => {
    const global = encodeKeyId(draft.item);
    expect(global).toBe(`key_${tenantId}_${draft.item.keyId.slice(4)}`);
    expect(decodeKeyId(global)).toEqual({ owner: tenantId, keyId: draft.item.keyId });
    expect(() => decodeKeyId('key_nope')).toThrowError(AppError);
  });
});
