/**
 * The `apple-as-web` page (docs/protocol/enrollment.md#web-authentication): the device opens the challenge URL in an
 * ASWebAuthenticationSession, appending `?user-identifier=<typed identifier>` (it replaces any
 * query we set, hence the session in the path). The person confirms (MANAGED_APPLE_ACCOUNT) or
 * types the enrollment passcode (PASSCODE: every attempt is counted before it is checked, per
 * person, configuration and source address, in sign-in-limits.ts); success ends in a 308 to
 * `apple-remotemanagement-user-login://authentication-results?access-token=…`.
 * Forms are CSRF-protected twice: a token in a cookie scoped to the session's path and the same
 * token in the form, whose hash the session keeps.
 */
import { auditPut } from '../audit.ts';
import { runAs } from '../context.ts';
import { domainOfIdentifier } from '../discovery/domains.ts';
import type { AdeConfigurationItem, AdeService, AuthSessionItem, BrandingItem } from '../entities/service.ts';
import { overLimit, TOO_LONG_MESSAGES } from '../input-limits.ts';
import type { CoreOptions } from '../options.ts';
import { commit } from '../transaction.ts';
import { deviceActor, type EnrollmentOperations, TOKEN_REDEEM_SECONDS } from './index.ts';
import { EnrollmentRefusal } from './refusal.ts';
import {
  type CountedAttempt,
  normalizeSignInUser,
  normalizeSourceAddress,
  type SignInRefusal,
  signInLimiter,
} from './sign-in-limits.ts';
import { newAccessToken, newCsrfToken, sameSecret, sha256 } from './tokens.ts';

export const CALLBACK = 'apple-remotemanagement-user-login://authentication-results';

/** The page again, with an error: a wrong passcode, or an attempt made before the backoff allows. */
export interface Retry {
  retry: string;
  attemptsLeft?: number;
  /** Set when the next attempt must wait (the edge answers 429 with Retry-After). */
  retryAfterSeconds?: number;
}

function wrongPasscodeMessage(attemptsLeft: number, waitSeconds: number): string {
  if (attemptsLeft === 0) return 'That passcode is not right, and that was the last attempt for now.';
  const left = `${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left`;
  return `That passcode is not right. ${left}${waitSeconds ? `; wait ${duration(waitSeconds)} before the next` : ''}.`;
}

/** "45 seconds", "1 minute", "5 minutes", "52 minutes". */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

export interface PageState {
  config: AdeConfigurationItem;
  branding: BrandingItem | null;
  session: AuthSessionItem;
  tenantName: string;
  userIdentifier: string | null;
  /** A fresh CSRF token for the form (and its cookie); its hash replaces the session's. */
  csrf: string;
}

/** A refusal for the first value over its limit (input-limits.ts), before anything else is done. */
function refuseTooLong(values: Parameters<typeof overLimit>[0]) {
  const name = overLimit(values);
  if (name)
    throw new EnrollmentRefusal(name === 'csrfToken' ? 403 : 400, 'INPUT_TOO_LONG', TOO_LONG_MESSAGES[name]);
}

export function webAuthOperations(
  service: AdeService,
  enrollment: EnrollmentOperations,
  options: CoreOptions,
) {
  const { authSession, branding, tenant } = service.entities;
  const limiter = signInLimiter(service, options.signInLimits, options.now, deviceActor);

  async function openSession(
    discoveryId: string,
    sessionId: string,
  ): Promise<{ config: AdeConfigurationItem; session: AuthSessionItem }> {
    const config = await enrollment.configurationFor(discoveryId);
    const session = /^[0-9A-HJKMNP-TV-Z]{32}$/.test(sessionId)
      ? (await authSession.get({ tenantId: config.tenantId, sessionId }).go()).data
      : null;
    const expired = !session || session.expiresAt * 1000 < options.now().getTime();
    if (expired || session.configurationId !== config.configurationId) {
      throw new EnrollmentRefusal(
        404,
        'SESSION_EXPIRED',
        'This sign-in page has expired. Start again from Settings on your device.',
      );
    }
    if (session.state !== 'OPEN')
      throw new EnrollmentRefusal(
        404,
        'SESSION_USED',
        'This sign-in page was already used. Start again from Settings on your device.',
      );
    return { config, session };
  }

  /** What the page shows. Each view gets a new CSRF token. */
  async function page(
    discoveryId: string,
    sessionId: string,
    userIdentifier: string | null,
  ): Promise<PageState> {
    refuseTooLong({ userIdentifier }); // before any read: nothing of it is echoed or stored
    const { config, session } = await openSession(discoveryId, sessionId);
    const csrf = newCsrfToken();
    const key = { tenantId: config.tenantId, sessionId };
    const [brand] = await Promise.all([
      branding.get({ tenantId: config.tenantId, configurationId: config.configurationId }).go(),
      authSession
        .patch(key)
        .set({ csrfHash: sha256(csrf) })
        .go(),
    ]);
    // The tenant's name is only the fallback display name: read it only when the branding has none.
    const tenantName = brand.data?.displayName
      ? ''
      : ((await tenant.get({ tenantId: config.tenantId }).go()).data?.name ?? '');
    return {
      config,
      branding: brand.data,
      session,
      tenantName,
      userIdentifier,
      csrf,
    };
  }

  /**
   * The form's submission. Returns the callback URL (for the 308) or throws a refusal; a wrong
   * passcode, or one typed before the backoff allows, returns `{ retry }` so the page can be shown
   * again with an error (and, when the person must wait, `retryAfterSeconds`).
   */
  async function submit(input: {
    discoveryId: string;
    sessionId: string;
    csrfForm: string | null;
    csrfCookie: string | null;
    userIdentifier: string | null;
    passcode: string | null;
    /** The client's address as the edge saw it (API Gateway's sourceIp); counted by sign-in-limits.ts. */
    sourceAddress?: string | null;
  }): Promise<{ location: string } | Retry> {
    refuseTooLong({
      userIdentifier: input.userIdentifier,
      passcode: input.passcode,
      csrfToken: input.csrfForm,
    });
    refuseTooLong({ csrfToken: input.csrfCookie });
    const { config, session } = await openSession(input.discoveryId, input.sessionId);
    const key = { tenantId: config.tenantId, sessionId: session.sessionId };
    if (
      !input.csrfForm ||
      !input.csrfCookie ||
      !sameSecret(input.csrfForm, input.csrfCookie) ||
      !sameSecret(sha256(input.csrfForm), session.csrfHash)
    ) {
      throw new EnrollmentRefusal(403, 'CSRF', 'This page could not be verified. Go back and try again.');
    }
    const user = input.userIdentifier?.trim() ?? '';
    const domain = domainOfIdentifier(user);
    if (!domain || !config.domains.includes(domain)) {
      await enrollment.auditRequest(config, {
        action: 'enrollment.authenticate',
        outcome: 'FAILURE',
        reasonCode: 'WRONG_ACCOUNT',
        reason: "WRONG_ACCOUNT: identifier outside the configuration's domains",
        who: user,
      });
      throw new EnrollmentRefusal(
        403,
        'WRONG_ACCOUNT',
        'This account cannot enroll here. Sign in with your work account.',
      );
    }
    let counted: CountedAttempt | null = null;
    if (config.authMethod === 'PASSCODE') {
      const outcome = await limiter.count({
        tenantId: config.tenantId,
        configurationId: config.configurationId,
        user: normalizeSignInUser(user),
        sourceAddress: normalizeSourceAddress(input.sourceAddress),
      });
      if (!('window' in outcome)) return refusedAttempt(outcome);
      counted = outcome;
      const ok = Boolean(
        input.passcode &&
          config.passcodeHash &&
          (await options.verifyPasscode(input.passcode, config.passcodeHash)),
      );
      if (!ok) {
        const { attemptsLeft, waitSeconds } = await limiter.failed(counted);
        await enrollment.audit(
          config,
          'enrollment.authenticate',
          'FAILURE',
          { sessionId: session.sessionId, attemptsLeft },
          'wrong passcode',
          user,
        );
        return { retry: wrongPasscodeMessage(attemptsLeft, waitSeconds), attemptsLeft };
      }
    }
    const now = options.now();
    const redeemBefore = new Date(now.getTime() + TOKEN_REDEEM_SECONDS * 1000);
    const { token, hash } = await newAccessToken(options.tokenSigner, config.tenantId, {
      configurationId: config.configurationId,
      enrollmentType: config.enrollmentType,
      managedAppleId: user,
      redeemBefore,
    });
    await runAs(deviceActor(user), () =>
      commit(
        service,
        (e) => [
          e.authSession
            .patch(key)
            .set({ state: 'COMPLETED' })
            .where((a, { eq }) => eq(a.state, 'OPEN'))
            .commit(),
          e.enrollmentToken
            .create({
              tenantId: config.tenantId,
              tokenHash: hash,
              configurationId: config.configurationId,
              enrollmentType: config.enrollmentType,
              managedAppleId: user,
              issuedAt: now.toISOString(),
              redeemBefore: redeemBefore.toISOString(),
              expiresAt: Math.floor(now.getTime() / 1000) + TOKEN_REDEEM_SECONDS * 4, // unredeemed rows disappear
            })
            .commit(),
          auditPut(e, {
            scope: { tenantId: config.tenantId },
            action: 'enrollment.authenticate',
            targetType: 'AdeConfiguration',
            targetId: config.configurationId,
            details: {
              sessionId: session.sessionId,
              method: config.authMethod,
              managedAppleId: user,
              // The device facts of the request that opened the session (its challenge is only counted).
              product: session.product,
              version: session.osVersion,
              appleVerifiedDevice: session.appleVerifiedDevice,
            },
          }),
        ],
        () =>
          new EnrollmentRefusal(
            404,
            'SESSION_USED',
            'This sign-in page was already used. Start again from Settings on your device.',
          ),
      ),
    );
    if (counted) await limiter.succeeded(counted);
    return { location: `${CALLBACK}?access-token=${encodeURIComponent(token)}` };
  }

  /**
   * An attempt the limits refused, unchecked: waiting for the backoff shows the form again; a
   * lock-out (of the person, the address or the configuration) ends the page.
   */
  function refusedAttempt(refusal: SignInRefusal): Retry {
    const wait = duration(refusal.retryAfterSeconds);
    if (refusal.reason === 'WAITING')
      return {
        retry: `Too many attempts. Wait ${wait} before trying again.`,
        retryAfterSeconds: refusal.retryAfterSeconds,
      };
    if (refusal.reason === 'BUSY')
      return { retry: 'Too many attempts at once. Try again.', retryAfterSeconds: refusal.retryAfterSeconds };
    throw new EnrollmentRefusal(
      429,
      'SIGN_IN_LOCKED',
      refusal.scope === 'USER'
        ? `Too many wrong passcodes for this account. Try again in ${wait}, or ask your IT department to clear the lock-out.`
        : `Too many sign-in attempts here. Try again in ${wait}, or ask your IT department for help.`,
      refusal.retryAfterSeconds,
    );
  }

  /** The configuration's logo, for a page whose session is open. */
  async function logo(discoveryId: string, sessionId: string) {
    const { config } = await openSession(discoveryId, sessionId);
    return (
      await service.entities.brandingLogo
        .get({ tenantId: config.tenantId, configurationId: config.configurationId })
        .go()
    ).data;
  }

  return { page, submit, logo };
}
