/**
 * The device side of account-driven enrollment, up to the access token (docs/protocol/enrollment.md):
 * 1. the device POSTs its signed request to BaseURL without a bearer → we check it and open a
 *    web-authentication session, answered with the 401 `apple-as-web` challenge;
 * 2. the person passes the web-authentication page (web-auth.ts) → an access token, bound to the
 *    configuration, the enrollment type and the Managed Apple Account, handed back by a 308;
 * 3. the device repeats the POST with the bearer → the token is redeemed, once, for a profile.
 * None of this runs with an API key: possession of the discovery id, the session id in the path,
 * or the token is what authorizes, and each names its tenant, so keys still lead with it.
 */
import type { EnrollRequest } from '@ade/apple';
import { parseDiscoveryId, sameDiscoveryId } from '../ade/discovery-id.ts';
import { apple } from '../apple.ts';
import { auditRecord } from '../audit.ts';
import type { Actor } from '../context.ts';
import { discoveryUrl } from '../discovery/answer.ts';
import type { AdeConfigurationItem, AdeService, EnrollmentTokenItem } from '../entities/service.ts';
import type { CoreOptions } from '../options.ts';
import { requestAuditBuffer } from '../request-audit.ts';
import { EnrollmentRefusal } from './refusal.ts';
import { newCsrfToken, newSessionId, readAccessToken, sha256 } from './tokens.ts';

export const SESSION_TTL_SECONDS = 15 * 60;
export const TOKEN_REDEEM_SECONDS = 15 * 60;

export type EnrollmentRoute = 'userenroll' | 'deviceenroll';

export interface ChallengeResult {
  kind: 'challenge';
  url: string;
  request: EnrollRequest;
}

export interface RedeemedToken {
  kind: 'redeemed';
  token: EnrollmentTokenItem;
  config: AdeConfigurationItem;
  request: EnrollRequest;
}

/** The actor recorded on audit events of device-facing steps (there is no API key). */
export const deviceActor = (what: string): Actor => ({
  kind: 'system',
  role: 'ADMIN',
  name: `device:${what}`,
});

export function enrollmentOperations(service: AdeService, options: CoreOptions) {
  const { adeConfiguration, authSession, enrollmentToken, auditEvent } = service.entities;
  // Challenges and refusals answer anyone who POSTs: counted and capped, not written one by one.
  const requestAudit = requestAuditBuffer(service, { name: 'enrollment' });

  /** The enabled configuration a discovery id names, or a refusal devices understand. */
  async function configurationFor(
    discoveryId: string,
    route?: EnrollmentRoute,
  ): Promise<AdeConfigurationItem> {
    const keys = parseDiscoveryId(discoveryId);
    const item = keys ? (await adeConfiguration.get(keys).go()).data : null;
    if (!item || !sameDiscoveryId(item.discoveryId, discoveryId) || !item.enabled) {
      throw new EnrollmentRefusal(
        404,
        'NOT_AVAILABLE',
        'Enrollment is not available here. Ask your IT department for help.',
      );
    }
    if (route && (route === 'userenroll') !== (item.enrollmentType === 'USER')) {
      throw new EnrollmentRefusal(
        404,
        'WRONG_ENROLLMENT_TYPE',
        "This enrollment address does not match the organisation's setup.",
      );
    }
    return item;
  }

  async function audit(
    config: AdeConfigurationItem,
    action: string,
    outcome: 'SUCCESS' | 'FAILURE',
    details: Record<string, unknown>,
    reason?: string,
    who = 'device',
  ) {
    await auditEvent
      .put(
        auditRecord(
          {
            scope: { tenantId: config.tenantId },
            action,
            targetType: 'AdeConfiguration',
            targetId: config.configurationId,
            outcome,
            reason,
            details,
          },
          deviceActor(who),
        ),
      )
      .go()
      .catch(() => {});
  }

  /**
   * An event of an unauthenticated request (a challenge, a refused body or token, a refused sign-in):
   * through the request audit buffer (request-audit.ts), awaited only when it completes a batch.
   */
  async function auditRequest(
    config: AdeConfigurationItem,
    event: {
      action: string;
      outcome: 'SUCCESS' | 'FAILURE';
      reasonCode?: string;
      reason?: string;
      who?: string | null;
      details?: Record<string, unknown>;
      sameAs?: readonly unknown[];
    },
  ) {
    const writing = requestAudit.record({
      tenantId: config.tenantId,
      configurationId: config.configurationId,
      ...event,
    });
    if (writing) await writing;
  }

  /**
   * Step 1 and 3: a device's enrollment request. Without a usable bearer it opens a session and
   * returns the challenge; with one it redeems the token (once) and returns what the profile needs.
   */
  async function enroll(input: {
    discoveryId: string;
    route: EnrollmentRoute;
    body: Buffer;
    bearer?: string | null;
  }): Promise<ChallengeResult | RedeemedToken> {
    const config = await configurationFor(input.discoveryId, input.route);
    const { assertOsMinimum, parseEnrollRequest, platformFromProduct } = await apple();
    let request: EnrollRequest;
    try {
      // A body whose signature does not verify over its content (altered after signing) is refused
      // like any malformed one: Apple's client halts on a plain 400 (docs/protocol/enrollment.md).
      request = parseEnrollRequest(input.body, { requireValidSignature: true });
      assertOsMinimum(
        config.enrollmentType === 'USER' ? 'BYOD' : 'ADDE',
        platformFromProduct(request.product),
        request.version,
      );
      if (config.requireAppleVerifiedDevice && !request.signature.chainReachesAppleDeviceCa)
        throw new EnrollmentRefusal(
          403,
          'APPLE_VERIFICATION_REQUIRED',
          'This device could not be verified as an Apple device, and your organisation enrolls only ' +
            'verified devices. Contact your IT department.',
        );
    } catch (error) {
      const refusal = EnrollmentRefusal.from(error);
      await auditRequest(config, {
        action: 'enrollment.request',
        outcome: 'FAILURE',
        reasonCode: refusal.code,
        reason: `${refusal.code}: ${refusal.message}`,
      });
      throw refusal;
    }
    /** What the request says about the device, counted with the events it leads to. */
    const device = {
      product: request.product,
      version: request.version,
      appleVerifiedDevice: request.signature.chainReachesAppleDeviceCa,
    };
    if (input.bearer) {
      const redeemed = await redeem(config, input.bearer);
      if (redeemed) {
        await audit(
          config,
          'enrollment.tokenRedeemed',
          'SUCCESS',
          { ...device, managedAppleId: redeemed.managedAppleId },
          undefined,
          redeemed.managedAppleId,
        );
        return { kind: 'redeemed', token: redeemed, config, request };
      }
      await auditRequest(config, {
        action: 'enrollment.tokenRefused',
        outcome: 'FAILURE',
        reasonCode: 'TOKEN_REFUSED',
        reason: 'unknown, expired, revoked or already used access token',
        details: device,
        sameAs: Object.values(device),
      });
    }
    const sessionId = newSessionId();
    const csrf = newCsrfToken();
    await authSession
      .create({
        tenantId: config.tenantId,
        sessionId,
        configurationId: config.configurationId,
        csrfHash: sha256(csrf),
        product: request.product,
        osVersion: request.version,
        appleVerifiedDevice: device.appleVerifiedDevice,
        expiresAt: Math.floor(options.now().getTime() / 1000) + SESSION_TTL_SECONDS,
      })
      .go();
    // Counted per device kind, not per session: the sign-in that follows records the session, the person
    // and these facts (web-auth.ts), and a flood of challenges is a count, not a table of them.
    await auditRequest(config, {
      action: 'enrollment.challenge',
      outcome: 'SUCCESS',
      details: device,
      sameAs: Object.values(device),
    });
    return {
      kind: 'challenge',
      url: `${discoveryUrl(options.publicUrl, config.discoveryId)}/auth/${sessionId}`,
      request,
    };
  }

  /** Marks the token redeemed if it may be: right configuration, not used, not late, not revoked. */
  async function redeem(config: AdeConfigurationItem, bearer: string): Promise<EnrollmentTokenItem | null> {
    const presented = await readAccessToken(options.tokenSigner, bearer);
    const now = options.now();
    // The signed claims refuse a forged, late or misdirected token without a read.
    if (
      !presented ||
      presented.tenantId !== config.tenantId ||
      presented.claims.configurationId !== config.configurationId ||
      presented.claims.enrollmentType !== config.enrollmentType ||
      presented.claims.redeemBefore.getTime() < now.getTime()
    )
      return null;
    const key = { tenantId: config.tenantId, tokenHash: presented.hash };
    const token = (await enrollmentToken.get(key).go()).data;
    if (
      !token ||
      token.configurationId !== config.configurationId ||
      token.managedAppleId !== presented.claims.managedAppleId ||
      token.revokedAt ||
      token.redeemedAt
    )
      return null;
    if (Date.parse(token.redeemBefore) < now.getTime()) return null;
    const redeemedAt = now.toISOString();
    const ok = await enrollmentToken
      .patch(key)
      .set({ redeemedAt })
      .remove(['expiresAt'])
      .where((a, { notExists }) => notExists(a.redeemedAt)) // two racing requests: one wins
      .go()
      .then(() => true)
      .catch(() => false);
    return ok ? { ...token, redeemedAt } : null;
  }

  return {
    configurationFor,
    enroll,
    redeem,
    audit,
    auditRequest,
    /** Writes the request audit events still waiting for their batch. */
    flushAudit: () => requestAudit.flush(),
    auditStats: () => requestAudit.stats(),
  };
}

export type EnrollmentOperations = ReturnType<typeof enrollmentOperations>;
