import { type AppError, type Core, runAs } from '@ade/core';
import { makePushCertificate } from './apple.ts';
import type { TenantFixture } from './core.ts';

/** Runs `fn` as the fixture's tenant admin inside its tenant: one request. */
export function asTenant<T>(core: Core, f: TenantFixture, fn: () => Promise<T>): Promise<T> {
  return runAs(f.tenantActor, () => core.tenancy.inTenant(f.tenantId, fn));
}

/** A fresh APNs push certificate, uploaded for the fixture's tenant; its topic goes into profiles. */
export async function uploadPushCertificate(core: Core, f: TenantFixture) {
  const push = makePushCertificate();
  await asTenant(core, f, () =>
    core.pushCertificates.upload({ certificatePem: push.certificatePem, privateKeyPem: push.privateKeyPem }),
  );
  return push;
}

export async function errorOf(promise: Promise<unknown>): Promise<AppError | undefined> {
  return promise.then(
    () => undefined,
    (e: AppError) => e,
  );
}
