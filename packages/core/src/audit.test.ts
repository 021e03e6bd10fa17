import { describe, expect, it } from 'vitest';
import { auditRecord, MAX_AUDIT_DETAILS_BYTES, MAX_AUDIT_TEXT } from './audit.ts';

const system = { kind: 'system' as const, role: 'ADMIN' as const, name: 'test' };
const input = {
  scope: { tenantId: 'ten_01HZZZZZZZZZZZZZZZZZZZZZZZ' },
  action: 'x.y',
  targetType: 'T',
  targetId: 't',
};

describe('audit records are bounded', () => {
  it('keeps small details as they are', () => {
    const record = auditRecord({ ...input, details: { a: 1, b: 'two' } }, system);
    expect(record.details).toEqual({ a: 1, b: 'two' });
  });

  it('replaces details over the cap by a marked preview (a 150 KB identifier stays out)', () => {
    const record = auditRecord(
      { ...input, details: { userIdentifier: `${'a'.repeat(150_000)}@x.example` } },
      system,
    );
    const stored = JSON.stringify(record.details);
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(MAX_AUDIT_DETAILS_BYTES);
    expect(record.details).toMatchObject({ truncated: true, bytes: 150_031 });
    expect((record.details as { preview: string }).preview).toMatch(/…\[truncated\]$/);
  });

  it('cuts a long reason and actor with a visible marker', () => {
    const record = auditRecord(
      { ...input, reason: 'r'.repeat(10_000) },
      { kind: 'system', role: 'ADMIN', name: `device:${'u'.repeat(10_000)}` },
    );
    expect(record.reason).toHaveLength(MAX_AUDIT_TEXT);
    expect(record.reason).toMatch(/…\[truncated\]$/);
    expect(record.actorId.length).toBeLessThanOrEqual(MAX_AUDIT_TEXT);
    expect(record.actorId).toMatch(/^device:u+…\[truncated\]$/);
  });
});
