/**
 * Fallback discovery (iOS/iPadOS 18.2, macOS 15.2, visionOS 2.2+): when a device's .well-known
 * lookup fails, ABM/ASM sends it to the discovery URL registered through the organisation's ADE
 * token (POST /account-driven-enrollment/profile). Apple requires that token to be assigned
 * directly to the policy of the configuration — a token on a parent, a child or an unrelated
 * policy makes enrollment fail on the device — so saving any other is refused, naming where it is.
 *
 * Apple's side cannot join a DynamoDB transaction: each change saves the wish (`desired`) in its
 * transaction, and `sync` then makes Apple match it, recording state, last success and last error.
 * Syncing again is always safe: Apple's assign and remove are idempotent.
 */
import { auditRecord } from '../audit.ts';
import { discoveryUrl } from '../discovery/answer.ts';
import type {
  AdeConfigurationItem,
  AdeService,
  AdeTokenItem,
  FallbackRegistrationItem,
} from '../entities/service.ts';
import { AppError } from '../errors.ts';
import type { CoreOptions } from '../options.ts';
import type { PolicyReads } from '../policies/tree.ts';
import { authorizeInTenant } from '../tenancy.ts';
import type { TxEntities } from '../transaction.ts';
import { describeAppleFailure } from './apple-errors.ts';
import type { TokenOperations } from './tokens.ts';

export function fallbackOperations(
  service: AdeService,
  policies: PolicyReads,
  tokens: TokenOperations,
  options: CoreOptions,
) {
  const { fallbackRegistration } = service.entities;

  /**
   * Transaction items recording what Apple should hold for `config`: registered through each of its
   * fallback tokens while enabled, removed otherwise, and removed for tokens it no longer uses.
   */
  function wishes(
    e: TxEntities,
    config: AdeConfigurationItem,
    previousTokenIds: string[] = config.fallbackTokenIds,
  ) {
    const url = discoveryUrl(options.publicUrl, config.discoveryId);
    const key = { tenantId: config.tenantId, configurationId: config.configurationId };
    const current = config.fallbackTokenIds.map((tokenId) =>
      e.fallbackRegistration
        .upsert({
          ...key,
          tokenId,
          url,
          desired: config.enabled ? 'REGISTERED' : 'REMOVED',
          state: 'PENDING',
        })
        .commit(),
    );
    const dropped = previousTokenIds
      .filter((tokenId) => !config.fallbackTokenIds.includes(tokenId))
      .map((tokenId) =>
        e.fallbackRegistration
          .upsert({ ...key, tokenId, url, desired: 'REMOVED', state: 'PENDING' })
          .commit(),
      );
    return [...current, ...dropped];
  }

  async function registrations(configurationId: string): Promise<FallbackRegistrationItem[]> {
    const tenantId = authorizeInTenant('ade:read');
    return (
      await fallbackRegistration.query.byConfiguration({ tenantId, configurationId }).go({ pages: 'all' })
    ).data;
  }

  /** Brings Apple in line with every registration of the configuration that is not yet. */
  async function sync(configurationId: string): Promise<FallbackRegistrationItem[]> {
    authorizeInTenant('ade:write');
    const all = await registrations(configurationId);
    const pending = all.filter((r) => r.state !== r.desired);
    if (pending.length === 0) return all;
    await Promise.all(pending.map(apply));
    return registrations(configurationId);
  }

  async function apply(registration: FallbackRegistrationItem): Promise<void> {
    const { tenantId, configurationId, tokenId, desired, url } = registration;
    const attemptAt = options.now().toISOString();
    const key = { tenantId, configurationId, tokenId };
    try {
      const api = options.deviceAssignment(await tokens.credentials(await tokens.get(tokenId)));
      if (desired === 'REGISTERED') {
        await api.assignAccountDrivenEnrollmentProfile(url);
      } else {
        // Remove only our own URL: the organisation may have moved fallback to another service.
        const current = await api.fetchAccountDrivenEnrollmentProfile();
        if (current?.url === url) await api.removeAccountDrivenEnrollmentProfile();
      }
      await fallbackRegistration
        .patch(key)
        .set({ state: desired, lastSuccessAt: attemptAt, lastAttemptAt: attemptAt })
        .remove(['lastError', 'lastErrorCode'])
        .where((a, { eq }) => eq(a.desired, desired)) // a newer wish wins over this result
        .go()
        .catch(() => {});
      await record(registration, 'SUCCESS');
    } catch (error) {
      const { code, message } =
        error instanceof AppError
          ? { code: error.code, message: error.message }
          : describeAppleFailure(error);
      await fallbackRegistration
        .patch(key)
        .set({ state: 'FAILED', lastAttemptAt: attemptAt, lastError: message, lastErrorCode: code })
        .where((a, { eq }) => eq(a.desired, desired))
        .go()
        .catch(() => {});
      await record(registration, 'FAILURE', `${code}: ${message}`);
    }
  }

  /** Every call to Apple leaves an audit event with its outcome (best effort: the state is recorded above). */
  async function record(
    registration: FallbackRegistrationItem,
    outcome: 'SUCCESS' | 'FAILURE',
    reason?: string,
  ) {
    await service.entities.auditEvent
      .put(
        auditRecord({
          scope: { tenantId: registration.tenantId },
          action: registration.desired === 'REGISTERED' ? 'adeFallback.register' : 'adeFallback.remove',
          targetType: 'AdeConfiguration',
          targetId: registration.configurationId,
          outcome,
          reason,
          details: { tokenId: registration.tokenId, url: registration.url },
        }),
      )
      .go()
      .catch(() => {});
  }

  /** Of `tokenIds`, those assigned directly to `policyId`. */
  async function tokensOnPolicy(tokenIds: string[], policyId: string): Promise<string[]> {
    if (tokenIds.length === 0) return [];
    const onPolicy = new Set((await tokens.listForPolicy(policyId)).map((t) => t.tokenId));
    return tokenIds.filter((id) => onPolicy.has(id));
  }

  /** Refuses a token not assigned directly to the configuration's policy, saying where it is. */
  async function assertOnPolicy(token: AdeTokenItem, config: AdeConfigurationItem): Promise<void> {
    if (token.policyId === config.policyId) return;
    const target = await policies.get(config.policyId);
    const rule = `A fallback token must be assigned directly to "${target.name}", the policy of this configuration; a token on a parent, a child or an unrelated policy makes enrollment fail on the device.`;
    if (!token.policyId) {
      throw AppError.conflict(
        'FALLBACK_TOKEN_NOT_ON_POLICY',
        `Token "${token.name}" is not assigned to any policy. ${rule}`,
      );
    }
    const where = await policies.get(token.policyId);
    const relation = (await policies.ancestors(target)).some((p) => p.policyId === where.policyId)
      ? `a parent policy of "${target.name}"`
      : (await policies.ancestors(where)).some((p) => p.policyId === target.policyId)
        ? `a child policy of "${target.name}"`
        : 'an unrelated policy';
    throw AppError.conflict(
      'FALLBACK_TOKEN_NOT_ON_POLICY',
      `Token "${token.name}" is assigned to "${where.name}", ${relation}. ${rule}`,
    );
  }

  return { wishes, registrations, sync, tokensOnPolicy, assertOnPolicy };
}

export type FallbackOperations = ReturnType<typeof fallbackOperations>;
