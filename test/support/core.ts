/** Fluent fixtures over a real (local) database: a partner with tenants and keys, in one call. */
import { randomBytes } from 'node:crypto';
import { DeviceAssignmentClient } from '@ade/apple';
import { type Actor, type Core, type CoreOptions, createCore, runAs } from '@ade/core';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import { useTestDatabase } from './database.ts';

export const system: Actor = { kind: 'system', role: 'ADMIN', name: 'test' };

export function asSystem<T>(fn: () => Promise<T>): Promise<T> {
  return runAs(system, fn);
}

export const TEST_PUBLIC_URL = 'https://mdm.test.example';

/**
 * Registers this file's table and returns a getter for a core bound to it: secrets sealed with a
 * throwaway key, Apple's Device Assignment API at `appleUrl()` (a fake) when given.
 */
export function useTestCore(
  options: {
    appleUrl?: () => string;
    now?: () => Date;
    /** APNs for the tenant's push certificate (a fake APNs server), resolved when first used. */
    push?: () => NonNullable<CoreOptions['push']>;
  } = {},
): () => Core {
  const db = useTestDatabase();
  let core: Core | undefined;
  return () => {
    core ??= createCore(db(), {
      keys: ephemeralKeyManagement(),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: TEST_PUBLIC_URL,
      now: options.now,
      ...(options.push ? { push: (certificate) => options.push!()(certificate) } : {}),
      deviceAssignment: (credentials) =>
        new DeviceAssignmentClient({
          credentials,
          userAgent: 'ade-cloud-test',
          baseUrl: options.appleUrl?.() ?? 'http://127.0.0.1:9', // nothing listens: Apple "unreachable"
          timeoutMs: 5_000,
        }),
    });
    return core;
  };
}

export interface TenantFixture {
  partnerId: string;
  tenantId: string;
  rootPolicyId: string;
  partnerKey: string;
  tenantAdminKey: string;
  tenantReadOnlyKey: string;
  partnerActor: Actor;
  tenantActor: Actor;
  readOnlyActor: Actor;
}

/** A partner, one tenant, an ADMIN partner key and ADMIN/READ_ONLY tenant keys. */
export async function createTenantFixture(core: Core, name = 'Acme'): Promise<TenantFixture> {
  return asSystem(async () => {
    const { partner, secret: partnerKey } = await core.partners.create({ name: `${name} MSP` });
    const tenant = await core.tenants.create({ name }, partner.partnerId);
    const tenantOwner = { kind: 'tenant', tenantId: tenant.tenantId, partnerId: partner.partnerId } as const;
    const admin = await core.tenancy.inTenant(tenant.tenantId, () =>
      core.apiKeys.create(tenantOwner, { name: 'admin', role: 'ADMIN' }),
    );
    const readOnly = await core.tenancy.inTenant(tenant.tenantId, () =>
      core.apiKeys.create(tenantOwner, { name: 'reader', role: 'READ_ONLY' }),
    );
    const partnerActor = await core.apiKeys.authenticate(partnerKey!);
    return {
      partnerId: partner.partnerId,
      tenantId: tenant.tenantId,
      rootPolicyId: tenant.rootPolicyId,
      partnerKey: partnerKey!,
      tenantAdminKey: admin.secret,
      tenantReadOnlyKey: readOnly.secret,
      partnerActor,
      tenantActor: await core.apiKeys.authenticate(admin.secret),
      readOnlyActor: await core.apiKeys.authenticate(readOnly.secret),
    };
  });
}

/**
 * A device record as profile issuance leaves it (with its token row), for tests about what is done
 * to devices rather than how they enroll (that is test/e2e/device-enrollment.test.ts).
 */
export async function createDeviceFixture(
  core: Core,
  tenantId: string,
  policyId: string,
  configurationId = 'cfg_00000000000000000000000000',
) {
  const deviceId = `dev_${ulidLike()}`;
  const tokenHash = randomBytes(32).toString('base64url');
  await core.service.entities.enrollmentToken
    .create({
      tenantId,
      tokenHash,
      configurationId,
      enrollmentType: 'USER',
      managedAppleId: 'fixture@example.com',
      issuedAt: new Date().toISOString(),
      redeemBefore: new Date().toISOString(),
      redeemedAt: new Date().toISOString(),
      enrollmentId: deviceId,
    })
    .go();
  await core.service.entities.device
    .create({
      tenantId,
      deviceId,
      policyId,
      configurationId,
      enrollmentType: 'BYOD',
      managedAppleId: 'fixture@example.com',
      tokenHash,
      identityFingerprint: 'fixture',
      status: 'ENROLLED',
      platform: 'iOS',
      profileIssuedAt: new Date().toISOString(),
    })
    .go();
  await core.service.entities.policy.patch({ tenantId, policyId }).add({ deviceCount: 1 }).go();
  return deviceId;
}

function ulidLike(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return Array.from({ length: 26 }, () => alphabet[Math.floor(Math.random() * 32)]).join('');
}
