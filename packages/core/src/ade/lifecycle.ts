/**
 * Enabling, disabling, moving and deleting an ADE configuration. Each is one transaction with its
 * audit event; the change to Apple's fallback registration is saved as a wish in the same
 * transaction (fallback.ts) and carried out right after it.
 */
import { auditPut } from '../audit.ts';
import type { AdeConfigurationItem, AdeService } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import type { PolicyReads } from '../policies/tree.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt, type TxEntities } from '../transaction.ts';
import type { ConfigurationOperations } from './configurations.ts';
import { diagnose } from './diagnostics.ts';
import type { FallbackOperations } from './fallback.ts';
import type { TokenOperations } from './tokens.ts';

/** The transaction item that frees the configuration's policy (only if it still points at it). */
function releasePolicy(e: TxEntities, item: AdeConfigurationItem) {
  return e.policy
    .patch({ tenantId: item.tenantId, policyId: item.policyId })
    .remove(['adeConfigurationId'])
    .where((a, { eq }) => eq(a.adeConfigurationId, item.configurationId))
    .commit();
}

export function lifecycleOperations(
  service: AdeService,
  policies: PolicyReads,
  configurations: ConfigurationOperations,
  fallback: FallbackOperations,
  tokens: TokenOperations,
  now: () => Date,
) {
  const stale = (item: AdeConfigurationItem) =>
    AppError.versionMismatch('The ADE configuration', item.version + 1);

  async function setEnabled(configurationId: string, enabled: boolean): Promise<AdeConfigurationItem> {
    const tenantId = authorizeInTenant('ade:write');
    const item = await configurations.get(configurationId);
    if (item.enabled === enabled) return item;
    await commit(
      service,
      (e) => [
        e.adeConfiguration
          .patch({ tenantId, configurationId })
          .set({ enabled })
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, item.version))
          .commit(),
        ...fallback.wishes(e, { ...item, enabled }),
        auditPut(e, {
          scope: { tenantId },
          action: enabled ? 'adeConfiguration.enable' : 'adeConfiguration.disable',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
        }),
      ],
      (codes) => (failedAt(codes, 0) ? stale(item) : undefined),
    );
    if (item.fallbackTokenIds.length) await fallback.sync(configurationId);
    return { ...item, enabled, version: item.version + 1 };
  }

  /**
   * Moves the configuration to another policy atomically (the old policy releases it, the new one
   * must have none). Fallback tokens must sit on the configuration's policy, so tokens not directly
   * assigned to the new policy are dropped and their registration with Apple removed.
   */
  async function move(configurationId: string, policyId: string): Promise<AdeConfigurationItem> {
    const tenantId = authorizeInTenant('ade:write');
    const item = await configurations.get(configurationId);
    if (item.policyId === policyId) return item;
    const target = await policies.get(policyId);
    if (target.adeConfigurationId) {
      throw AppError.conflict('CONFIGURATION_EXISTS', `"${target.name}" already has an ADE configuration.`);
    }
    const kept = await fallback.tokensOnPolicy(item.fallbackTokenIds, policyId);
    const moved = { ...item, policyId, fallbackTokenIds: kept };
    await commit(
      service,
      (e) => [
        e.adeConfiguration
          .patch({ tenantId, configurationId })
          .set({ policyId, fallbackTokenIds: kept })
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, item.version))
          .commit(),
        releasePolicy(e, item),
        e.policy
          .patch({ tenantId, policyId })
          .set({ adeConfigurationId: configurationId })
          .where((a, { notExists }) => notExists(a.adeConfigurationId))
          .commit(),
        ...fallback.wishes(e, moved, item.fallbackTokenIds),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeConfiguration.move',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: {
            from: item.policyId,
            to: policyId,
            droppedFallbackTokens: item.fallbackTokenIds.filter((t) => !kept.includes(t)),
          },
        }),
      ],
      (codes) =>
        failedAt(codes, 2)
          ? AppError.conflict('CONFIGURATION_EXISTS', `"${target.name}" got an ADE configuration meanwhile.`)
          : codes.some((c) => c === 'ConditionalCheckFailed')
            ? stale(item)
            : undefined,
    );
    if (item.fallbackTokenIds.length) await fallback.sync(configurationId);
    return { ...moved, version: item.version + 1 };
  }

  /** Deletes the configuration, releases its domains and policy, and unregisters it from Apple. */
  async function remove(configurationId: string): Promise<AdeConfigurationItem> {
    const tenantId = authorizeInTenant('ade:write');
    const item = await configurations.get(configurationId);
    await commit(
      service,
      (e) => [
        e.adeConfiguration
          .delete({ tenantId, configurationId })
          .where((a, { eq }) => eq(a.version, item.version))
          .commit(),
        releasePolicy(e, item),
        ...item.domains.map((domain) =>
          e.domainClaim
            .delete({ domain })
            .where((a, { eq }) => eq(a.configurationId, configurationId))
            .commit(),
        ),
        // Deleting an absent item is a no-op, so the branding goes whether or not it was set.
        e.branding.delete({ tenantId, configurationId }).commit(),
        e.brandingLogo.delete({ tenantId, configurationId }).commit(),
        ...fallback.wishes(e, { ...item, enabled: false, fallbackTokenIds: [] }, item.fallbackTokenIds),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeConfiguration.delete',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: { policyId: item.policyId, domains: item.domains },
        }),
      ],
      (codes) => (codes.some((c) => c === 'ConditionalCheckFailed') ? stale(item) : undefined),
    );
    if (item.fallbackTokenIds.length) await fallback.sync(configurationId);
    return item;
  }

  /** Chooses the fallback tokens; each must be assigned directly to the configuration's policy. */
  async function setFallbackTokens(
    configurationId: string,
    tokenIds: string[],
  ): Promise<AdeConfigurationItem> {
    const tenantId = authorizeInTenant('ade:write');
    const item = await configurations.get(configurationId);
    const wanted = [...new Set(tokenIds)];
    for (const tokenId of wanted) await fallback.assertOnPolicy(await tokens.get(tokenId), item);
    if (wanted.join() === item.fallbackTokenIds.join()) return item;
    const next = { ...item, fallbackTokenIds: wanted };
    await commit(
      service,
      (e) => [
        e.adeConfiguration
          .patch({ tenantId, configurationId })
          .set({ fallbackTokenIds: wanted })
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, item.version))
          .commit(),
        // The rule must still hold when the transaction commits, not only when we read the tokens.
        ...wanted.map((tokenId) =>
          e.adeToken
            .check({ tenantId, tokenId })
            .where((a, { eq }) => eq(a.policyId, item.policyId))
            .commit(),
        ),
        ...fallback.wishes(e, next, item.fallbackTokenIds),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeConfiguration.setFallbackTokens',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: { from: item.fallbackTokenIds, to: wanted },
        }),
      ],
      (codes) =>
        failedAt(codes, 0)
          ? stale(item)
          : codes.some((c) => c === 'ConditionalCheckFailed')
            ? AppError.conflict(
                'FALLBACK_TOKEN_NOT_ON_POLICY',
                'A token was moved to another policy meanwhile; choose again.',
              )
            : undefined,
    );
    await fallback.sync(configurationId);
    return { ...next, version: item.version + 1 };
  }

  /** What is wrong, or about to be, with the configuration's fallback (see diagnostics.ts). */
  async function diagnostics(configurationId: string) {
    const item = await configurations.get(configurationId);
    const found = await Promise.all(item.fallbackTokenIds.map((id) => tokens.get(id).catch(() => undefined)));
    const byId = new Map(found.filter((t) => t !== undefined).map((t) => [t.tokenId, t]));
    return diagnose(item, byId, await fallback.registrations(configurationId), now());
  }

  return { setEnabled, move, remove, setFallbackTokens, diagnostics };
}

export type LifecycleOperations = ReturnType<typeof lifecycleOperations>;
