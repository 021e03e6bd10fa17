import { type DeviceItem, deviceCapabilities, encodeScopedId } from '@ade/core';
import { builder } from '../builder.ts';
import { connectionType, pageArgs } from '../connection.ts';
import { asPayload, payloadType } from '../errors.ts';
import { DeviceRef, NodeRef, PolicyRef, TenantRef } from '../refs.ts';
import { inScope, sameTenantId } from '../scoped.ts';

const DeviceEnrollmentType = builder.enumType('DeviceEnrollmentType', {
  values: {
    BYOD: { description: 'Account-driven User Enrollment (personal).' },
    ADDE: { description: 'Account-driven Device Enrollment.' },
  },
});
const DeviceStatus = builder.enumType('DeviceStatus', {
  values: ['PROFILE_ISSUED', 'AUTHENTICATED', 'ENROLLED', 'UNENROLLED'] as const,
});

const Capabilities = builder
  .objectRef<Awaited<ReturnType<typeof deviceCapabilities>>>('DeviceCapabilities')
  .implement({
    description: 'What management can do on this device (from its enrollment type and platform).',
    fields: (t) => ({
      appsAndBooks: t.exposeBoolean('appsAndBooks'),
      scheduledOsUpdates: t.exposeBoolean('scheduledOsUpdates'),
      macosAgent: t.exposeBoolean('macosAgent'),
      serialNumberVisible: t.exposeBoolean('serialNumberVisible'),
      eraseDevice: t.exposeBoolean('eraseDevice'),
      managedAppsAndAccounts: t.exposeBoolean('managedAppsAndAccounts'),
    }),
  });

const adde = (d: DeviceItem) => d.enrollmentType === 'ADDE';

DeviceRef.implement({
  description: 'A device enrolled (or enrolling) through account-driven enrollment.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (d) => encodeScopedId(d.tenantId, d.deviceId) }),
    enrollmentType: t.field({ type: DeviceEnrollmentType, resolve: (d) => d.enrollmentType }),
    status: t.field({ type: DeviceStatus, resolve: (d) => d.status }),
    managedAppleId: t.exposeString('managedAppleId'),
    platform: t.exposeString('platform', { nullable: true }),
    product: t.exposeString('product', { nullable: true, description: 'Model identifier, e.g. iPhone17,2.' }),
    model: t.exposeString('model', { nullable: true }),
    osVersion: t.exposeString('osVersion', { nullable: true }),
    buildVersion: t.exposeString('buildVersion', { nullable: true }),
    appleVerifiedDevice: t.exposeBoolean('appleVerifiedDevice', {
      nullable: true,
      description:
        "The enrollment request that got this device its profile was signed by an identity chaining to Apple's " +
        'device CAs: plausibly a real Apple device, not attestation. Null for devices enrolled before it ' +
        'was recorded.',
    }),
    enrollmentId: t.exposeString('enrollmentId', {
      nullable: true,
      description: 'BYOD only: changes with every enrollment.',
    }),
    udid: t.string({
      nullable: true,
      description: 'ADDE only.',
      resolve: (d) => (adde(d) ? (d.udid ?? null) : null),
    }),
    serialNumber: t.string({
      nullable: true,
      description: 'ADDE only.',
      resolve: (d) => (adde(d) ? (d.serialNumber ?? null) : null),
    }),
    deviceName: t.string({
      nullable: true,
      description: 'ADDE only.',
      resolve: (d) => (adde(d) ? (d.deviceName ?? null) : null),
    }),
    capabilities: t.field({ type: Capabilities, resolve: (d) => deviceCapabilities(d) }),
    policy: t.field({
      type: PolicyRef,
      resolve: async (d, _args, ctx) =>
        (await ctx.loaders.policy.load({ tenantId: d.tenantId, policyId: d.policyId }))!,
    }),
    profileIssuedAt: t.expose('profileIssuedAt', { type: 'DateTime' }),
    enrolledAt: t.expose('enrolledAt', { type: 'DateTime', nullable: true }),
    lastCheckInAt: t.expose('lastCheckInAt', { type: 'DateTime', nullable: true }),
    unenrolledAt: t.expose('unenrolledAt', { type: 'DateTime', nullable: true }),
    replacedBy: t.field({
      type: DeviceRef,
      nullable: true,
      description:
        'ADDE: the record this device enrolled again as (same UDID, no CheckOut in between); this one ' +
        'was unenrolled then. Null otherwise.',
      resolve: (d, _args, ctx) =>
        d.replacedBy ? ctx.inTenant(d.tenantId, () => ctx.core.devices.get(d.replacedBy!)) : null,
    }),
    pushError: t.exposeString('pushError', {
      nullable: true,
      description:
        "APNs's reason the last time it refused this device's push token for good (e.g. Unregistered); " +
        'null if it never has.',
    }),
    pushErrorAt: t.expose('pushErrorAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When APNs said so (compare with lastCheckInAt).',
    }),
  }),
});

export const DeviceConnection = connectionType<DeviceItem>('Device', DeviceRef);

const DeviceFilterInput = builder.inputType('DeviceFilter', {
  fields: (f) => ({
    enrollmentType: f.field({ type: DeviceEnrollmentType, required: false }),
    policyId: f.id({ required: false }),
    platform: f.string({ required: false, description: 'iOS, iPadOS, macOS or visionOS.' }),
    status: f.field({ type: DeviceStatus, required: false }),
    osVersion: f.string({ required: false, description: 'Prefix, e.g. "17" or "17.4".' }),
  }),
});

builder.objectField(TenantRef, 'devices', (t) =>
  t.field({
    type: DeviceConnection,
    args: { ...pageArgs, filter: t.arg({ type: DeviceFilterInput, required: false }) },
    resolve: async (tenant, { filter, ...args }, ctx) => ({
      page: await ctx.inTenant(tenant.tenantId, () =>
        ctx.core.devices.list(
          {
            ...filter,
            policyId: filter?.policyId
              ? sameTenantId('policy', String(filter.policyId), tenant.tenantId)
              : null,
          },
          args,
        ),
      ),
    }),
  }),
);

const PushCertificateRef = builder
  .objectRef<{ topic: string; notAfter: string; uploadedAt: string; fingerprintSha256: string }>(
    'PushCertificate',
  )
  .implement({
    description: 'The APNs MDM push certificate: its topic goes into every enrollment profile.',
    fields: (t) => ({
      topic: t.exposeString('topic'),
      expiresAt: t.expose('notAfter', { type: 'DateTime' }),
      daysLeft: t.int({
        resolve: (c, _args, ctx) =>
          Math.floor((Date.parse(c.notAfter) - ctx.core.options.now().getTime()) / 86_400_000),
      }),
      uploadedAt: t.expose('uploadedAt', { type: 'DateTime' }),
      fingerprintSha256: t.exposeString('fingerprintSha256'),
    }),
  });

builder.objectField(TenantRef, 'pushCertificate', (t) =>
  t.field({
    type: PushCertificateRef,
    nullable: true,
    resolve: (tenant, _args, ctx) => ctx.inTenant(tenant.tenantId, () => ctx.core.pushCertificates.get()),
  }),
);

const DevicePayload = payloadType('DevicePayload', 'device', DeviceRef);

builder.mutationFields((t) => ({
  moveDevice: t.field({
    type: DevicePayload,
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('MoveDeviceInput', {
          fields: (f) => ({ id: f.id({ required: true }), policyId: f.id({ required: true }) }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        device: await inScope(ctx, 'device', String(input.id), (id, tenantId) =>
          ctx.core.devices.move(id, sameTenantId('policy', String(input.policyId), tenantId)),
        ),
      })),
  }),
  unenrollDevice: t.field({
    type: DevicePayload,
    description: "Ends management: the device's next request is answered com.apple.unrecognized.device.",
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('UnenrollDeviceInput', { fields: (f) => ({ id: f.id({ required: true }) }) }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        device: await inScope(ctx, 'device', String(input.id), (id) => ctx.core.devices.unenroll(id)),
      })),
  }),
  uploadPushCertificate: t.field({
    type: payloadType('UploadPushCertificatePayload', 'pushCertificate', PushCertificateRef),
    description:
      'Uploads (or renews) the APNs MDM push certificate and its private key (PEM). The key is sealed and never returned.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('UploadPushCertificateInput', {
          fields: (f) => ({
            tenantId: f.id({ required: true }),
            certificatePem: f.string({ required: true }),
            privateKeyPem: f.string({ required: true }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(() =>
        ctx.inTenant(String(input.tenantId), async () => ({
          pushCertificate: await ctx.core.pushCertificates.upload({
            certificatePem: input.certificatePem,
            privateKeyPem: input.privateKeyPem,
          }),
        })),
      ),
  }),
}));
