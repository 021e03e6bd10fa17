export { DEFAULT_ACCENT, effectivePrivacyNotice, MAX_LOGO_BYTES } from './ade/branding.ts';
export type { Diagnostic, DiagnosticCode } from './ade/diagnostics.ts';
export { DEFAULT_PRIVACY_NOTICES } from './ade/privacy-defaults.ts';
export type { SignInLockout } from './ade/sign-in-lockouts.ts';
export * from './api-key-secret.ts';
export * from './authz.ts';
export * from './context.ts';
export * from './core.ts';
export * from './db/client.ts';
export * from './db/table.ts';
export * from './device-core.ts';
export { type DeviceFilter, deviceCapabilities } from './devices.ts';
export * from './discovery/answer.ts';
export * from './discovery/domains.ts';
export * from './discovery/hosting.ts';
export type { ChallengeResult, EnrollmentRoute, RedeemedToken } from './enrollment/index.ts';
export { EnrollmentRefusal } from './enrollment/refusal.ts';
export {
  normalizeSignInUser,
  normalizeSourceAddress,
  SIGN_IN_LIMITS,
  type SignInLimits,
  type SignInScope,
} from './enrollment/sign-in-limits.ts';
export { CALLBACK, type PageState, type Retry } from './enrollment/web-auth.ts';
export type * from './entities/service.ts';
export * from './errors.ts';
export * from './ids.ts';
export type { CoreOptions, MdmPush, PushNotifier, PushOutcome } from './options.ts';
export * from './pagination.ts';
export type { MaskedSecret } from './payloads/index.ts';
export { MAX_DEPTH as MAX_POLICY_DEPTH } from './policies/tree.ts';
export * from './tenancy.ts';
