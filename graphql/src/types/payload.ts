import { type DeploymentItem, encodeScopedId, type MaskedSecret, type PayloadItem } from '@ade/core';
import { builder } from '../builder.ts';
import { connectionType, pageArgs } from '../connection.ts';
import { asPayload, payloadType } from '../errors.ts';
import type { CostExtensions } from '../limits.ts';
import { nameText } from '../plain-text.ts';
import { DeviceRef, NodeRef, PayloadRef, PolicyRef } from '../refs.ts';
import { inScope } from '../scoped.ts';

/** The largest settings core accepts (MAX_SETTINGS_BYTES in packages/core/src/payloads/index.ts). */
export const SETTINGS_MAX_BYTES = 64 * 1024;

const PayloadKind = builder.enumType('PayloadKind', {
  values: {
    PROFILE: { description: 'A configuration-profile payload, delivered with InstallProfile.' },
    DECLARATION: { description: 'A declaration, delivered over declarative device management.' },
  },
});
const EligibilityStatus = builder.enumType('EligibilityStatus', {
  values: {
    SUPPORTED: { description: 'Applies as written.' },
    PARTIAL: { description: 'Applies, but the listed keys are dropped.' },
    UNSUPPORTED: { description: 'Not sent; reported UNSUPPORTED with the reason.' },
  },
});
const TargetPlatform = builder.enumType('TargetPlatform', { values: ['iOS', 'macOS', 'visionOS'] as const });
const TargetEnrollmentType = builder.enumType('TargetEnrollmentType', {
  values: {
    BYOD: { description: 'Account-driven User Enrollment.' },
    ADDE: { description: 'Account-driven Device Enrollment (unsupervised).' },
  },
});
const DeploymentState = builder.enumType('DeploymentState', {
  values: ['PENDING', 'INSTALLED', 'FAILED', 'UNSUPPORTED', 'REMOVING', 'REMOVED'] as const,
});

type Counts = Record<'PENDING' | 'INSTALLED' | 'FAILED' | 'UNSUPPORTED' | 'REMOVING' | 'REMOVED', number>;

interface EligibilityModel {
  platform: 'iOS' | 'macOS' | 'visionOS';
  enrollmentType: 'BYOD' | 'ADDE';
  status: 'SUPPORTED' | 'UNSUPPORTED' | 'PARTIAL';
  reason: string | null;
  droppedKeys: string[];
}

const EligibilityRef = builder.objectRef<EligibilityModel>('PayloadEligibility').implement({
  description: "What a payload does on one platform × enrollment type, decided by Apple's schemas.",
  fields: (t) => ({
    platform: t.field({ type: TargetPlatform, resolve: (e) => e.platform }),
    enrollmentType: t.field({ type: TargetEnrollmentType, resolve: (e) => e.enrollmentType }),
    status: t.field({ type: EligibilityStatus, resolve: (e) => e.status }),
    reason: t.exposeString('reason', { nullable: true }),
    droppedKeys: t.exposeStringList('droppedKeys', {
      description: 'Key paths that will not reach the device.',
    }),
  }),
});

const PayloadSecretRef = builder.objectRef<MaskedSecret>('PayloadSecret').implement({
  description:
    "A secret key of a payload (a password, shared secret, token or identity data, by Apple's schema): write-only. Its value is sealed at rest and sent only to devices; no API key can read it.",
  fields: (t) => ({
    path: t.exposeString('path', {
      description:
        'The key path, as in errors and droppedKeys: "Password", "EAPClientConfiguration.UserPassword", "Passwords[0].Password".',
    }),
    hasValue: t.exposeBoolean('hasValue', { description: 'Whether a value is stored for it.' }),
  }),
});

const CountsRef = builder.objectRef<Counts>('DeploymentCounts').implement({
  fields: (t) => ({
    pending: t.exposeInt('PENDING'),
    installed: t.exposeInt('INSTALLED'),
    failed: t.exposeInt('FAILED'),
    unsupported: t.exposeInt('UNSUPPORTED'),
    removing: t.exposeInt('REMOVING'),
    removed: t.exposeInt('REMOVED'),
  }),
});

const DeploymentRef = builder.objectRef<DeploymentItem>('Deployment').implement({
  description: 'One payload on one device: its state and why.',
  fields: (t) => ({
    state: t.field({ type: DeploymentState, resolve: (d) => d.state }),
    reason: t.exposeString('reason', { nullable: true }),
    droppedKeys: t.stringList({ resolve: (d) => d.droppedKeys ?? [] }),
    payloadVersion: t.exposeInt('payloadVersion'),
    errorChain: t.string({
      nullable: true,
      description: "Apple's error chain as JSON (outermost first), when the device reported an error.",
      resolve: (d) => (d.errorChain ? JSON.stringify(d.errorChain) : null),
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    payloadId: t.id({ resolve: (d) => encodeScopedId(d.tenantId, d.payloadId) }),
    payload: t.field({
      type: PayloadRef,
      nullable: true,
      description: 'Null once the payload was removed from its policy.',
      resolve: (d, _args, ctx) =>
        ctx.inTenant(d.tenantId, () => ctx.core.payloads.get(d.payloadId)).catch(() => null),
    }),
    device: t.field({
      type: DeviceRef,
      resolve: (d, _args, ctx) => ctx.inTenant(d.tenantId, () => ctx.core.devices.get(d.deviceId)),
    }),
  }),
});
const DeploymentConnection = connectionType<DeploymentItem>('Deployment', DeploymentRef);

PayloadRef.implement({
  description: 'A payload on a policy; devices of the policy and its descendants receive it.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (p) => encodeScopedId(p.tenantId, p.payloadId) }),
    kind: t.field({ type: PayloadKind, resolve: (p) => p.kind }),
    payloadType: t.exposeString('payloadType'),
    displayName: t.exposeString('displayName'),
    settings: t.string({
      description:
        'The settings as JSON text, without the values of secret keys (see secrets). Sending them back unchanged in updatePayload keeps the stored secrets.',
      // Costed by its largest size: core's MAX_SETTINGS_BYTES (payload code loads lazily, so the
      // number is repeated here; limits.test.ts checks the two agree).
      extensions: { maxBytes: SETTINGS_MAX_BYTES } satisfies CostExtensions,
      resolve: async (p, _args, ctx) => (await ctx.core.payloads.masked(p)).settingsJson,
    }),
    secrets: t.field({
      type: [PayloadSecretRef],
      description:
        "The payload's secret keys where its settings can hold one (every dictionary present), each with whether a value is stored; never the value.",
      resolve: async (p, _args, ctx) => (await ctx.core.payloads.masked(p)).secrets,
    }),
    version: t.exposeInt('version'),
    policy: t.field({
      type: PolicyRef,
      resolve: async (p, _args, ctx) =>
        (await ctx.loaders.policy.load({ tenantId: p.tenantId, policyId: p.policyId }))!,
    }),
    eligibility: t.field({
      type: [EligibilityRef],
      description:
        'Per platform × enrollment type: supported, partial (dropped keys) or unsupported (reason).',
      resolve: (p, _args, ctx) => ctx.core.payloads.eligibility(p),
    }),
    devices: t.field({
      type: DeploymentConnection,
      description: "The devices in one state for this payload (the payload's deployments).",
      args: { ...pageArgs, state: t.arg({ type: DeploymentState, required: true }) },
      resolve: async (p, { state, ...args }, ctx) => ({
        page: await ctx.inTenant(p.tenantId, () =>
          ctx.core.payloads.devicesInState(p.payloadId, state, args),
        ),
      }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const PayloadSummaryRef = builder
  .objectRef<{ payloadId: string; tenantId: string; counts: Counts }>('PayloadDeploymentSummary')
  .implement({
    fields: (t) => ({
      payloadId: t.id({ resolve: (s) => encodeScopedId(s.tenantId, s.payloadId) }),
      counts: t.field({ type: CountsRef, resolve: (s) => s.counts }),
    }),
  });

const NotApplyingRef = builder
  .objectRef<{ payload: PayloadItem; eligibility: EligibilityModel[] }>('PayloadNotApplying')
  .implement({
    fields: (t) => ({
      payload: t.field({ type: PayloadRef, resolve: (n) => n.payload }),
      eligibility: t.field({ type: [EligibilityRef], resolve: (n) => n.eligibility }),
    }),
  });

builder.objectFields(PolicyRef, (t) => ({
  payloads: t.field({
    type: [PayloadRef],
    description: "This policy's payloads; with inherited: true also its ancestors' (what its devices get).",
    args: { inherited: t.arg.boolean({ required: false, defaultValue: false }) },
    resolve: (p, { inherited }, ctx) =>
      ctx.inTenant(p.tenantId, () => ctx.core.payloads.listForPolicy(p.policyId, inherited ?? false)),
  }),
  payloadsNotApplying: t.field({
    type: [NotApplyingRef],
    description:
      'Before anything is sent: the payloads devices of this policy get that will not fully apply to an enrollment type (and platform).',
    args: {
      enrollmentType: t.arg({ type: TargetEnrollmentType, required: true }),
      platform: t.arg({ type: TargetPlatform, required: false }),
    },
    resolve: (p, { enrollmentType, platform }, ctx) =>
      ctx.inTenant(p.tenantId, () => ctx.core.payloads.notApplying(p.policyId, enrollmentType, platform)),
  }),
  deploymentSummary: t.field({
    type: [PayloadSummaryRef],
    description:
      "Per payload of this policy, how many devices are in each state (one read, whatever the fleet's size).",
    resolve: async (p, _args, ctx) =>
      (await ctx.inTenant(p.tenantId, () => ctx.core.payloads.summary(p.policyId))).map((s) => ({
        ...s,
        tenantId: p.tenantId,
      })),
  }),
}));

builder.objectField(DeviceRef, 'deployments', (t) =>
  t.field({
    type: DeploymentConnection,
    description: "This device's payloads and their states, with reasons.",
    args: pageArgs,
    resolve: async (d, args, ctx) => ({
      page: await ctx.inTenant(d.tenantId, () => ctx.core.payloads.deploymentsForDevice(d.deviceId, args)),
    }),
  }),
);

type RolloutModel = { tenantId: string; rolloutId: string; status: 'RUNNING' | 'DONE'; processed: number };

const RolloutRef = builder.objectRef<RolloutModel>('Rollout').implement({
  description:
    'The fan-out of a payload change to devices. A RUNNING rollout continues where it stopped (resumeRollout).',
  fields: (t) => ({
    id: t.id({ resolve: (r) => encodeScopedId(r.tenantId, r.rolloutId) }),
    status: t.exposeString('status'),
    devicesProcessed: t.exposeInt('processed'),
  }),
});

const PayloadChangePayload = builder.objectRef<{
  payload?: PayloadItem;
  rollout?: RolloutModel;
}>('PayloadChange');
const PayloadMutationResult = payloadType('PayloadMutationPayload', 'change', PayloadChangePayload);
PayloadChangePayload.implement({
  fields: (t) => ({
    payload: t.field({ type: PayloadRef, nullable: true, resolve: (c) => c.payload ?? null }),
    rollout: t.field({ type: RolloutRef, nullable: true, resolve: (c) => c.rollout ?? null }),
  }),
});

builder.mutationFields((t) => ({
  addPayload: t.field({
    type: PayloadMutationResult,
    description:
      "Adds a payload to a policy, checked against Apple's schema (one error per problem, with its key path). Devices of the policy and its descendants receive it.",
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('AddPayloadInput', {
          fields: (f) => ({
            policyId: f.id({ required: true }),
            payloadType: f.string({ required: true, description: 'e.g. com.apple.wifi.managed' }),
            displayName: f.string({
              required: false,
              description: nameText('A name shown on devices (default: the payload type)'),
            }),
            settings: f.string({
              required: true,
              description:
                'The payload keys as a JSON object. Secret keys (passwords, shared secrets, identities) are write-only: stored sealed, never returned.',
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        change: await inScope(ctx, 'policy', String(input.policyId), async (policyId) =>
          ctx.core.payloads.add(policyId, {
            payloadType: input.payloadType,
            displayName: input.displayName,
            settings: input.settings,
          }),
        ).then(withTenant),
      })),
  }),
  updatePayload: t.field({
    type: PayloadMutationResult,
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('UpdatePayloadInput', {
          fields: (f) => ({
            id: f.id({ required: true }),
            displayName: f.string({
              required: false,
              description: `Left out: unchanged; null or empty: back to the payload type. ${nameText('The name')}`,
            }),
            settings: f.string({
              required: true,
              description:
                'All the payload keys, as a JSON object. A secret key left out keeps its stored value (Payload.settings never shows it), a new value replaces it, null clears it.',
            }),
            expectedVersion: f.int({ required: false }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        change: await inScope(ctx, 'payload', String(input.id), (id) =>
          ctx.core.payloads.update(
            id,
            { displayName: input.displayName, settings: input.settings },
            input.expectedVersion,
          ),
        ).then(withTenant),
      })),
  }),
  removePayload: t.field({
    type: PayloadMutationResult,
    description: 'Removes a payload: devices get RemoveProfile (declarations are withdrawn).',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RemovePayloadInput', { fields: (f) => ({ id: f.id({ required: true }) }) }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        change: await inScope(ctx, 'payload', String(input.id), (id) => ctx.core.payloads.remove(id)).then(
          withTenant,
        ),
      })),
  }),
  resumeRollout: t.field({
    type: PayloadMutationResult,
    description:
      'Carries a RUNNING rollout forward from its cursor (safe to call at any time, any number of times).',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('ResumeRolloutInput', { fields: (f) => ({ id: f.id({ required: true }) }) }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        change: await inScope(ctx, 'rollout', String(input.id), async (rolloutId, tenantId) => ({
          rollout: { tenantId, rolloutId, ...(await ctx.core.payloads.resumeRollout(rolloutId)) },
        })),
      })),
  }),
}));

/** The rollout of a change names its tenant (its id is tenant-scoped like every id). */
function withTenant(change: { payload: PayloadItem; rollout: Omit<RolloutModel, 'tenantId'> }) {
  return { payload: change.payload, rollout: { ...change.rollout, tenantId: change.payload.tenantId } };
}
