import {
  type AdeConfigurationItem,
  type Diagnostic,
  discoveryUrl,
  encodeScopedId,
  type FallbackRegistrationItem,
  hostingOptions,
  SIGN_IN_LIMITS,
  type SignInLockout,
  WELL_KNOWN_PATH,
} from '@ade/core';
import { builder } from '../builder.ts';
import { asPayload, payloadType, UserError, type UserErrorShape } from '../errors.ts';
import type { CostExtensions } from '../limits.ts';
import { AdeConfigurationRef, AdeTokenRef, NodeRef, PolicyRef } from '../refs.ts';
import { inScope, sameTenantId } from '../scoped.ts';

const EnrollmentTypeEnum = builder.enumType('EnrollmentType', {
  values: {
    USER: { description: 'Account-driven User Enrollment: personal devices (Apple: BYOD, mdm-byod).' },
    DEVICE: {
      description:
        'Account-driven Device Enrollment: organisation devices not in ABM/ASM (Apple: ADDE, mdm-adde).',
    },
  },
});

const WebAuthMethodEnum = builder.enumType('WebAuthMethod', {
  description:
    'How people prove who they are on the web-authentication page. OIDC and SAML will join this list.',
  values: {
    MANAGED_APPLE_ACCOUNT: {
      description: 'No extra sign-in: the Managed Apple Account the person signed in with is enough.',
    },
    PASSCODE: { description: 'An enrollment passcode set by the admin (stored hashed).' },
  },
});

const RegistrationState = builder.enumType('FallbackRegistrationState', {
  values: ['PENDING', 'REGISTERED', 'REMOVED', 'FAILED'] as const,
});

const FallbackRegistrationRef = builder
  .objectRef<FallbackRegistrationItem>('FallbackRegistration')
  .implement({
    description:
      'Our discovery URL as registered with Apple (ABM/ASM fallback discovery) through one ADE token.',
    fields: (t) => ({
      token: t.field({
        type: AdeTokenRef,
        nullable: true,
        resolve: (r, _args, ctx) =>
          ctx.inTenant(r.tenantId, () => ctx.core.adeTokens.get(r.tokenId)).catch(() => null),
      }),
      desired: t.field({ type: RegistrationState, resolve: (r) => r.desired }),
      state: t.field({ type: RegistrationState, resolve: (r) => r.state }),
      url: t.exposeString('url'),
      lastSuccessAt: t.expose('lastSuccessAt', { type: 'DateTime', nullable: true }),
      lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
      lastError: t.exposeString('lastError', { nullable: true }),
      lastErrorCode: t.exposeString('lastErrorCode', { nullable: true }),
    }),
  });

const DiagnosticRef = builder.objectRef<Diagnostic & { tenantId: string }>('AdeDiagnostic').implement({
  description: 'Something wrong, or about to go wrong, with fallback discovery.',
  fields: (t) => ({
    severity: t.exposeString('severity', { description: 'ERROR, WARNING or INFO.' }),
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    tokenId: t.id({
      nullable: true,
      description: 'The ADE token concerned, if any.',
      resolve: (d) => (d.tokenId ? encodeScopedId(d.tenantId, d.tokenId) : null),
    }),
  }),
});

const SignInLimitScopeEnum = builder.enumType('SignInLimitScope', {
  description:
    'What a guessing limit of the sign-in page counts. Every passcode attempt is counted before it is ' +
    'checked, in clock-hour windows, against all three.',
  values: {
    USER: {
      description:
        `One person (Managed Apple Account) of the configuration: ${SIGN_IN_LIMITS.userBackoffSeconds.length} ` +
        'attempts an hour, the first three at once, the fourth 1 minute after the third, the fifth 5 minutes ' +
        'after the fourth. A successful sign-in clears it.',
    },
    CONFIGURATION: {
      description: `The configuration, whoever tries: ${SIGN_IN_LIMITS.perConfiguration} attempts an hour (successful ones are given back).`,
    },
    SOURCE_ADDRESS: {
      description: `One source address (an IPv6 /64) on the configuration: ${SIGN_IN_LIMITS.perSourceAddress} attempts an hour (successful ones are given back).`,
    },
  },
});

const SignInLockoutRef = builder.objectRef<SignInLockout>('SignInLockout').implement({
  description:
    'A guessing limit of the sign-in page reached in the current hour: further passcode attempts it ' +
    'counts are refused, unchecked, until lockedUntil or until an admin clears it (clearSignInLockout).',
  fields: (t) => ({
    scope: t.field({ type: SignInLimitScopeEnum, resolve: (l) => l.scope }),
    subject: t.exposeString('subject', {
      nullable: true,
      description:
        'The Managed Apple Account (USER) or the address (SOURCE_ADDRESS); null for CONFIGURATION.',
    }),
    attempts: t.exposeInt('attempts', { description: 'Attempts counted in this window.' }),
    limit: t.exposeInt('limit'),
    refusedAttempts: t.exposeInt('refusedAttempts', {
      description: 'Attempts refused unchecked in this window (backoff waits included).',
    }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    lockedUntil: t.expose('lockedUntil', { type: 'DateTime', description: 'The end of the window.' }),
  }),
});

const Hosting = builder.objectRef<ReturnType<typeof hostingOptions>>('AdeHosting').implement({
  description:
    'What the customer puts on https://<domain>/.well-known/com.apple.remotemanagement (one of them).',
  fields: (t) => ({
    wellKnownPath: t.string({ resolve: () => WELL_KNOWN_PATH }),
    wellKnownJson: t.exposeString('wellKnownJson', {
      description: 'The static file (cannot vary per user or model).',
    }),
    cloudflareWorkerScript: t.exposeString('cloudflareWorker', {
      description: 'A Worker that forwards the query string to our discovery URL (preferred).',
      extensions: { maxBytes: 2_000 } satisfies CostExtensions, // about 1.3 KB of script
    }),
    nginxSnippet: t.exposeString('nginx', { description: 'A redirect that re-appends the query string.' }),
    apacheSnippet: t.exposeString('apache', { description: 'A mod_rewrite redirect with QSA.' }),
  }),
});

AdeConfigurationRef.implement({
  description: 'An account-driven enrollment setup on a policy: type, domains, web authentication, fallback.',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (c) => encodeScopedId(c.tenantId, c.configurationId) }),
    policy: t.field({
      type: PolicyRef,
      resolve: async (c, _args, ctx) =>
        (await ctx.loaders.policy.load({ tenantId: c.tenantId, policyId: c.policyId }))!,
    }),
    enrollmentType: t.field({ type: EnrollmentTypeEnum, resolve: (c) => c.enrollmentType }),
    domains: t.exposeStringList('domains', {
      description: 'Lower-case; internationalised names as punycode.',
    }),
    authMethod: t.field({ type: WebAuthMethodEnum, resolve: (c) => c.authMethod }),
    hasPasscode: t.boolean({ resolve: (c) => Boolean(c.passcodeHash) }),
    enabled: t.exposeBoolean('enabled'),
    requireAppleVerifiedDevice: t.boolean({
      description:
        "Devices whose enrollment request is not signed by an identity of Apple's device PKI are refused " +
        '(Device.appleVerifiedDevice). Off by default: see setAdeConfiguration.',
      resolve: (c) => c.requireAppleVerifiedDevice === true,
    }),
    discoveryId: t.exposeString('discoveryId'),
    discoveryUrl: t.string({
      description:
        'Our service discovery URL for this configuration (the one registered with Apple for fallback).',
      resolve: (c, _args, ctx) => discoveryUrl(ctx.core.options.publicUrl, c.discoveryId),
    }),
    hosting: t.field({
      type: Hosting,
      resolve: (c, _args, ctx) => hostingOptions(ctx.core.options.publicUrl, c.discoveryId, c.enrollmentType),
    }),
    fallbackTokens: t.field({
      type: [AdeTokenRef],
      resolve: (c, _args, ctx) =>
        ctx.inTenant(c.tenantId, async () => {
          const tokens = await Promise.all(
            c.fallbackTokenIds.map((id) => ctx.core.adeTokens.get(id).catch(() => null)),
          );
          return tokens.filter((token) => token !== null);
        }),
    }),
    fallbackRegistrations: t.field({
      type: [FallbackRegistrationRef],
      resolve: (c, _args, ctx) =>
        ctx.inTenant(c.tenantId, () => ctx.core.adeConfigurations.registrations(c.configurationId)),
    }),
    diagnostics: t.field({
      type: [DiagnosticRef],
      description:
        'Problems with fallback discovery found now (a token moved, expiring, not uploaded; Apple refusing).',
      resolve: async (c, _args, ctx) =>
        (await ctx.inTenant(c.tenantId, () => ctx.core.adeConfigurations.diagnostics(c.configurationId))).map(
          (d) => ({
            ...d,
            tenantId: c.tenantId,
          }),
        ),
    }),
    signInLockouts: t.field({
      type: [SignInLockoutRef],
      description: 'Guessing limits of the sign-in page reached in the current hour (PASSCODE).',
      resolve: (c, _args, ctx) =>
        ctx.inTenant(c.tenantId, () => ctx.core.adeConfigurations.signInLockouts(c.configurationId)),
    }),
    version: t.exposeInt('version'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const AdeConfigurationPayload = payloadType(
  'AdeConfigurationPayload',
  'adeConfiguration',
  AdeConfigurationRef,
);
const idInput = (name: string) =>
  builder.inputType(name, { fields: (f) => ({ id: f.id({ required: true }) }) });
const onConfiguration = (
  ctx: Parameters<typeof inScope>[0],
  globalId: unknown,
  fn: (id: string, tenantId: string) => Promise<AdeConfigurationItem>,
) =>
  asPayload(async () => ({ adeConfiguration: await inScope(ctx, 'adeConfiguration', String(globalId), fn) }));

builder.mutationFields((t) => ({
  setAdeConfiguration: t.field({
    type: AdeConfigurationPayload,
    description:
      "Creates the policy's ADE configuration, or updates it: enrollmentType, domains and authMethod " +
      'become exactly what is given; passcode and enabled, left out, keep their values. A new ' +
      'configuration is enabled (it answers devices at once) unless enabled: false is given. ' +
      'Idempotent: the same input twice changes nothing.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SetAdeConfigurationInput', {
          fields: (f) => ({
            policyId: f.id({ required: true }),
            enrollmentType: f.field({ type: EnrollmentTypeEnum, required: true }),
            domains: f.stringList({
              required: true,
              description:
                'The domains of the Managed Apple Accounts that enroll, 1–20. A domain another ' +
                "configuration has is refused with DOMAIN_TAKEN, its path naming the entry (['input', 'domains', '<index>']).",
            }),
            authMethod: f.field({ type: WebAuthMethodEnum, required: true }),
            passcode: f.string({
              required: false,
              description:
                'For PASSCODE: a new passcode, 6–64 characters (required the first time). Left out: ' +
                'unchanged; null is refused (leave it out).',
            }),
            enabled: f.boolean({
              required: false,
              description:
                'Whether devices are answered. Left out: true for a new configuration, unchanged for an ' +
                'existing one; null is refused (leave it out).',
            }),
            requireAppleVerifiedDevice: f.boolean({
              required: false,
              description:
                "Refuse enrollment requests not signed by an identity of Apple's device PKI, with a message " +
                'the device shows. Off by default: test devices and simulators are not Apple-verified, and ' +
                'Apple warns the identity is not attestation (it shows the request came from software ' +
                'holding an Apple device key, not which device, nor that what it says is true). Left out: ' +
                'false for a new configuration, unchanged for an existing one; null is refused.',
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        adeConfiguration: await inScope(ctx, 'policy', String(input.policyId), async (policyId) => {
          const { item, enabledChanged } = await ctx.core.adeConfigurations.set({ ...input, policyId });
          if (enabledChanged) await ctx.core.adeConfigurations.syncFallback(item.configurationId);
          return item;
        }),
      })),
  }),
  enableAdeConfiguration: t.field({
    type: AdeConfigurationPayload,
    description:
      'Devices are answered within 5 seconds (service discovery re-reads a cached refusal after 5 s).',
    args: { input: t.arg({ required: true, type: idInput('EnableAdeConfigurationInput') }) },
    resolve: (_root, { input }, ctx) =>
      onConfiguration(ctx, input.id, (id) => ctx.core.adeConfigurations.setEnabled(id, true)),
  }),
  disableAdeConfiguration: t.field({
    type: AdeConfigurationPayload,
    description:
      'Devices are refused within 30 seconds (service discovery keeps a cached answer up to 30 s).',
    args: { input: t.arg({ required: true, type: idInput('DisableAdeConfigurationInput') }) },
    resolve: (_root, { input }, ctx) =>
      onConfiguration(ctx, input.id, (id) => ctx.core.adeConfigurations.setEnabled(id, false)),
  }),
  moveAdeConfiguration: t.field({
    type: AdeConfigurationPayload,
    description: 'Moves the configuration to another policy (which must have none), atomically.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('MoveAdeConfigurationInput', {
          fields: (f) => ({ id: f.id({ required: true }), policyId: f.id({ required: true }) }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      onConfiguration(ctx, input.id, (id, tenantId) =>
        ctx.core.adeConfigurations.move(id, sameTenantId('policy', String(input.policyId), tenantId)),
      ),
  }),
  setAdeFallbackTokens: t.field({
    type: AdeConfigurationPayload,
    description:
      'Chooses the ADE tokens through which our discovery URL is registered with Apple (fallback discovery).',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SetAdeFallbackTokensInput', {
          fields: (f) => ({ id: f.id({ required: true }), tokenIds: f.idList({ required: true }) }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      onConfiguration(ctx, input.id, (id, tenantId) =>
        ctx.core.adeConfigurations.setFallbackTokens(
          id,
          input.tokenIds.map((token) => sameTenantId('adeToken', String(token), tenantId)),
        ),
      ),
  }),
  retryAdeFallbackRegistration: t.field({
    type: AdeConfigurationPayload,
    description: 'Calls Apple again for every registration that is not yet as wanted. Always safe.',
    args: { input: t.arg({ required: true, type: idInput('RetryAdeFallbackRegistrationInput') }) },
    resolve: (_root, { input }, ctx) =>
      onConfiguration(ctx, input.id, async (id) => {
        await ctx.core.adeConfigurations.syncFallback(id);
        return ctx.core.adeConfigurations.get(id);
      }),
  }),
  clearSignInLockout: t.field({
    type: AdeConfigurationPayload,
    description:
      'Lifts a lock-out (or a backoff wait) of the sign-in page for the rest of the hour: the person, ' +
      'address or configuration starts afresh. Audited. NOT_FOUND when nothing is counted for it.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('ClearSignInLockoutInput', {
          fields: (f) => ({
            id: f.id({ required: true, description: 'The ADE configuration.' }),
            scope: f.field({ type: SignInLimitScopeEnum, required: true }),
            subject: f.string({
              required: false,
              description:
                'USER: the Managed Apple Account; SOURCE_ADDRESS: the address as signInLockouts lists it; ' +
                'CONFIGURATION: left out.',
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      onConfiguration(ctx, input.id, (id) =>
        ctx.core.adeConfigurations.clearSignInLockout(id, { scope: input.scope, subject: input.subject }),
      ),
  }),
  deleteAdeConfiguration: t.field({
    type: builder
      .objectRef<{ deletedAdeConfigurationId?: string; errors: UserErrorShape[] }>(
        'DeleteAdeConfigurationPayload',
      )
      .implement({
        fields: (p) => ({
          deletedAdeConfigurationId: p.id({
            nullable: true,
            resolve: (r) => r.deletedAdeConfigurationId ?? null,
          }),
          errors: p.field({ type: [UserError], resolve: (r) => r.errors }),
        }),
      }),
    args: { input: t.arg({ required: true, type: idInput('DeleteAdeConfigurationInput') }) },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => {
        const item = await inScope(ctx, 'adeConfiguration', String(input.id), (id) =>
          ctx.core.adeConfigurations.remove(id),
        );
        return { deletedAdeConfigurationId: encodeScopedId(item.tenantId, item.configurationId) };
      }),
  }),
}));
