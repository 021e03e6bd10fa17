import { describe, expect, it } from 'vitest';
import {
  type Actor,
  runAs,
  runInAuthorizedTenant,
  TenantContextMissing,
  useActor,
  useTenantId,
} from './context.ts';
import { AppError } from './errors.ts';
import { authorizeInTenant } from './tenancy.ts';

const tenantActor: Actor = {
  kind: 'tenant',
  role: 'ADMIN',
  keyId: 'key_x',
  partnerId: 'ptn_x',
  tenantId: 'ten_x',
};

describe('request context', () => {
  it('fails closed: no actor is unauthenticated, no tenant is a refusal', () => {
    expect(() => useActor()).toThrowError(AppError);
    runAs(tenantActor, () => {
      expect(useActor()).toBe(tenantActor);
      // Even the tenant's own key gets no tenant until inTenant has checked it.
      expect(() => useTenantId()).toThrowError(TenantContextMissing);
      expect(() => authorizeInTenant('policy:read')).toThrowError(TenantContextMissing);
    });
  });

  it('keeps the tenant to the call it was entered for, across awaits', async () => {
    await runAs(tenantActor, async () => {
      const inside = runInAuthorizedTenant({ tenantId: 'ten_x', partnerId: 'ptn_x' }, async () => {
        await new Promise((r) => setTimeout(r, 5));
        return useTenantId();
      });
      expect(() => useTenantId()).toThrowError(TenantContextMissing);
      expect(await inside).toBe('ten_x');
    });
  });
});
