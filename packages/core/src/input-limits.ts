/**
 * How long each string an unauthenticated party can send may be. Every value is checked where it
 * enters, before it is used, echoed or stored, and a longer one is refused with a message that says
 * which value and what limit — never cut silently.
 *
 * Bounded elsewhere, by their shape or by a size limit of their own:
 * - the request line and headers together: 10,240 bytes (API Gateway HTTP API's quota; the local
 *   runtime's Node server refuses over 16 KiB with 431), so the query string, the cookie header,
 *   `Authorization` and `Mdm-Signature` cannot be longer;
 * - discovery ids (exactly 52 Crockford characters, ade/discovery-id.ts), sign-in session ids (32),
 *   tenant ids in device paths (a 26-character ULID), access tokens (their signed shape, at most
 *   ~850 characters, enrollment/tokens.ts), API keys (their shape, api-key-secret.ts): anything else
 *   is refused before any read;
 * - bodies: the enrollment request 64 KiB (@ade/apple enroll-request.ts), check-in and command
 *   results (@ade/apple, after the signature is verified), GraphQL 256 KB (graphql/src/limits.ts),
 *   and the sign-in form below.
 */
export const INPUT_LIMITS = {
  /** A Managed Apple Account: an e-mail address, which RFC 5321 practice bounds at 320 (64 + @ + 255). */
  userIdentifier: 320,
  /** Apple's model families are short words (`RealityDevice` is the longest). */
  modelFamily: 32,
  /** The sign-in form's CSRF token (43 characters as we make it) and its cookie. */
  csrfToken: 64,
  /** Enrollment passcodes are set at 6–64 characters (ade/configurations.ts): a longer one cannot match. */
  passcode: 64,
  /** The whole sign-in form (csrf, user-identifier, passcode, encoded): a few hundred bytes in use. */
  signInFormBytes: 4_096,
} as const;

export type BoundedInput = keyof typeof INPUT_LIMITS;

/** The name of the first value longer than its limit, or null when every one fits. */
export function overLimit(
  values: Partial<Record<BoundedInput, string | null | undefined>>,
): BoundedInput | null {
  for (const [name, value] of Object.entries(values) as [BoundedInput, string | null | undefined][]) {
    if (typeof value === 'string' && value.length > INPUT_LIMITS[name]) return name;
  }
  return null;
}

/** What a person is told about a value that was too long. */
export const TOO_LONG_MESSAGES: Record<BoundedInput, string> = {
  userIdentifier: `The account name is too long (at most ${INPUT_LIMITS.userIdentifier} characters). Check what you typed and try again.`,
  modelFamily: `The device type is too long (at most ${INPUT_LIMITS.modelFamily} characters).`,
  csrfToken: 'This page could not be verified. Go back and try again.',
  passcode: `The passcode is too long (at most ${INPUT_LIMITS.passcode} characters). Check what you typed and try again.`,
  signInFormBytes: 'The form sent more than a sign-in needs. Go back and try again.',
};
