import { type AppError, type Core, runAs } from '@ade/core';
import type { TenantFixture } from './core.ts';

/** Runs `fn` as the fixture's tenant admin inside its tenant: one request. */
export function asTenant<T>(core: Core, f: TenantFixture, fn: () => Promise<T>): Promise<T> {
  return runAs(f.tenantActor, () => core.tenancy.inTenant(f.tenantId, fn));
}

export async function errorOf(promise: Promise<unknown>): Promise<AppError | undefined> {
  return promise.then(
    () => undefined,
    (e: AppError) => e,
  );
}
