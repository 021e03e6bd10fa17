/**
 * ADE configurations: one per policy, each owning its domains system-wide. Every rule is a
 * condition inside the one transaction that saves the change — the policy's `adeConfigurationId`
 * (one configuration per policy), a domainClaim per domain created with attribute_not_exists
 * (one owner per domain, across tenants), the configuration's version (no lost update).
 */
import type { TransactionItemCode } from 'electrodb';
import * as z from 'zod/mini';
import { auditPut } from '../audit.ts';
import { describeActor, useActor } from '../context.ts';
import { normalizeDomain } from '../discovery/domains.ts';
import type { AdeConfigurationItem, AdeService } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { isIdOf, newId } from '../ids.ts';
import type { PolicyReads } from '../policies/tree.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt, type TxEntities } from '../transaction.ts';
import { parseInput } from '../validation.ts';
import { newDiscoveryId } from './discovery-id.ts';
import { hashPasscode, verifyPasscode } from './passcode.ts';

export const MAX_DOMAINS = 20;

const setSchema = z.object({
  enrollmentType: z.enum(['USER', 'DEVICE'], { error: 'must be USER or DEVICE' }),
  domains: z
    .array(z.string())
    .check(
      z.minLength(1, 'needs at least one domain'),
      z.maxLength(MAX_DOMAINS, `at most ${MAX_DOMAINS} domains`),
    ),
  authMethod: z.enum(['MANAGED_APPLE_ACCOUNT', 'PASSCODE'], {
    error: 'must be MANAGED_APPLE_ACCOUNT or PASSCODE',
  }),
  passcode: z.optional(
    z
      .string()
      .check(
        z.minLength(6, 'must be at least 6 characters'),
        z.maxLength(64, 'must be at most 64 characters'),
      ),
  ),
  enabled: z.optional(z.boolean()),
  requireAppleVerifiedDevice: z.optional(z.boolean()),
});

export interface SetConfigurationInput {
  policyId: string;
  enrollmentType: 'USER' | 'DEVICE';
  domains: string[];
  authMethod: 'MANAGED_APPLE_ACCOUNT' | 'PASSCODE';
  /** For PASSCODE: a new passcode; left out keeps the current one (null is refused: it has no "cleared"). */
  passcode?: string | null;
  /** Left out: unchanged, and true for a new configuration (null is refused, like passcode's). */
  enabled?: boolean | null;
  /**
   * Refuse devices whose enrollment request is not signed by an identity of Apple's device PKI.
   * Left out: unchanged, and false for a new configuration (null is refused).
   */
  requireAppleVerifiedDevice?: boolean | null;
}

/** Fields a "set" keeps when left out but cannot clear: null would be a mistake, said as one. */
function refuseNull(input: SetConfigurationInput) {
  const problems = (['passcode', 'enabled', 'requireAppleVerifiedDevice'] as const)
    .filter((field) => input[field] === null)
    .map((field) => ({
      path: [field],
      message: 'cannot be cleared: leave it out to keep the current value',
    }));
  if (problems.length) throw AppError.validation(problems);
}

/** The fallback registration's wishes for a configuration (fallback.ts), saved with a change to it. */
type FallbackWishes = (e: TxEntities, config: AdeConfigurationItem) => unknown[];

export function configurationOperations(
  service: AdeService,
  policies: PolicyReads,
  fallbackWishes: FallbackWishes,
) {
  const { adeConfiguration } = service.entities;

  async function get(configurationId: string): Promise<AdeConfigurationItem> {
    const tenantId = authorizeInTenant('ade:read');
    const item = isIdOf('adeConfiguration', configurationId)
      ? (await adeConfiguration.get({ tenantId, configurationId }).go()).data
      : null;
    if (!item) throw AppError.notFound(`ADE configuration ${configurationId}`);
    return item;
  }

  /**
   * Normalizes and de-duplicates domains; every problem is reported with its index. `inputIndex`
   * maps each normalized domain to where the caller first gave it (the path of a DOMAIN_TAKEN).
   */
  function normalizeDomains(domains: string[]): { domains: string[]; inputIndex: Map<string, number> } {
    const problems: { path: string[]; message: string }[] = [];
    const inputIndex = new Map<string, number>();
    domains.forEach((domain, index) => {
      try {
        const normalized = normalizeDomain(domain, ['domains', String(index)]);
        if (!inputIndex.has(normalized)) inputIndex.set(normalized, index);
      } catch (error) {
        if (error instanceof AppError) problems.push(...error.problems);
        else throw error;
      }
    });
    if (problems.length) throw AppError.validation(problems);
    return { domains: [...inputIndex.keys()], inputIndex };
  }

  /**
   * Creates the policy's configuration, or updates it: type, domains and method become exactly
   * what is given; `passcode` and `enabled` left out keep their values. A new configuration is
   * enabled unless `enabled: false` says otherwise: an admin who has just set one up with its
   * domains expects it to answer devices. "Set" is idempotent: the same input twice writes nothing
   * the second time. Returns the item and whether `enabled` changed, so the caller can bring
   * Apple's fallback registration in line.
   */
  async function set(
    input: SetConfigurationInput,
  ): Promise<{ item: AdeConfigurationItem; enabledChanged: boolean }> {
    const tenantId = authorizeInTenant('ade:write');
    refuseNull(input);
    const parsed = parseInput(setSchema, {
      ...input,
      passcode: input.passcode ?? undefined,
      enabled: input.enabled ?? undefined,
      requireAppleVerifiedDevice: input.requireAppleVerifiedDevice ?? undefined,
    });
    const { domains, inputIndex } = normalizeDomains(parsed.domains);
    const policy = await policies.get(input.policyId);
    const existing = policy.adeConfigurationId ? await get(policy.adeConfigurationId) : undefined;
    if (parsed.authMethod === 'PASSCODE' && !parsed.passcode && !existing?.passcodeHash) {
      throw new AppError(
        'validation',
        'PASSCODE_REQUIRED',
        'The PASSCODE method needs a passcode (6–64 characters).',
        [{ path: ['passcode'], message: 'is required for the PASSCODE method' }],
      );
    }
    let passcodeHash: string | undefined;
    if (parsed.authMethod === 'PASSCODE') {
      const unchanged =
        existing?.passcodeHash &&
        (!parsed.passcode || (await verifyPasscode(parsed.passcode, existing.passcodeHash)));
      passcodeHash = unchanged ? existing!.passcodeHash : await hashPasscode(parsed.passcode!);
    }
    const enabled = parsed.enabled ?? existing?.enabled ?? true;
    const requireAppleVerifiedDevice =
      parsed.requireAppleVerifiedDevice ?? existing?.requireAppleVerifiedDevice === true;
    const actor = describeActor(useActor()).id;

    const taken = (offset: number, claimed: string[]) => (codes: TransactionItemCode[]) => {
      const index = codes.findIndex(
        (code, i) => i >= offset && i < offset + claimed.length && code === 'ConditionalCheckFailed',
      );
      if (index < 0) return undefined;
      const domain = claimed[index - offset]!;
      return domainTaken(domain, ['domains', String(inputIndex.get(domain))]);
    };

    if (!existing) {
      const configurationId = newId('adeConfiguration');
      const item = {
        tenantId,
        configurationId,
        policyId: policy.policyId,
        discoveryId: newDiscoveryId(tenantId, configurationId),
        enrollmentType: parsed.enrollmentType,
        domains,
        authMethod: parsed.authMethod,
        passcodeHash,
        enabled,
        requireAppleVerifiedDevice,
        fallbackTokenIds: [],
        createdBy: actor,
      };
      await commit(
        service,
        (e) => [
          e.policy
            .patch({ tenantId, policyId: policy.policyId })
            .set({ adeConfigurationId: configurationId })
            .where((a, { notExists }) => notExists(a.adeConfigurationId))
            .commit(),
          e.adeConfiguration.create(item).commit(),
          ...domains.map((domain) => e.domainClaim.create({ domain, tenantId, configurationId }).commit()),
          auditPut(e, {
            scope: { tenantId },
            action: 'adeConfiguration.create',
            targetType: 'AdeConfiguration',
            targetId: configurationId,
            details: {
              policyId: policy.policyId,
              enrollmentType: item.enrollmentType,
              domains,
              authMethod: item.authMethod,
              enabled,
              requireAppleVerifiedDevice,
            },
          }),
        ],
        (codes) =>
          failedAt(codes, 0)
            ? AppError.conflict(
                'CONFIGURATION_EXISTS',
                'This policy got an ADE configuration meanwhile; set it again to update it.',
              )
            : taken(2, domains)(codes),
      );
      // What was just written (no read-after-write: the transaction wrote exactly this, or failed).
      // A new configuration has no fallback tokens yet: nothing to register with Apple.
      const now = new Date().toISOString();
      return { item: { ...item, version: 1, createdAt: now, updatedAt: now }, enabledChanged: false };
    }

    const added = domains.filter((d) => !existing.domains.includes(d));
    const removed = existing.domains.filter((d) => !domains.includes(d));
    const next = {
      enrollmentType: parsed.enrollmentType,
      domains,
      authMethod: parsed.authMethod,
      enabled,
      requireAppleVerifiedDevice,
    };
    const same =
      added.length === 0 &&
      removed.length === 0 &&
      existing.domains.join() === domains.join() &&
      existing.enrollmentType === next.enrollmentType &&
      existing.authMethod === next.authMethod &&
      existing.enabled === enabled &&
      (existing.requireAppleVerifiedDevice === true) === requireAppleVerifiedDevice &&
      existing.passcodeHash === passcodeHash;
    if (same) return { item: existing, enabledChanged: false };
    const { configurationId } = existing;
    await commit(
      service,
      (e) => [
        e.adeConfiguration
          .patch({ tenantId, configurationId })
          .set({ ...next, ...(passcodeHash ? { passcodeHash } : {}) })
          .remove(passcodeHash ? [] : ['passcodeHash'])
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, existing.version))
          .commit(),
        ...added.map((domain) => e.domainClaim.create({ domain, tenantId, configurationId }).commit()),
        ...removed.map((domain) =>
          e.domainClaim
            .delete({ domain })
            .where((a, { eq }) => eq(a.configurationId, configurationId))
            .commit(),
        ),
        // Enabling or disabling here changes what Apple should hold, as enable/disable do.
        ...(existing.enabled !== enabled ? fallbackWishes(e, { ...existing, enabled }) : []),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeConfiguration.update',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: { added, removed, ...next, passcodeChanged: passcodeHash !== existing.passcodeHash },
        }),
      ],
      (codes) =>
        failedAt(codes, 0)
          ? AppError.versionMismatch('The ADE configuration', existing.version + 1)
          : taken(1, added)(codes),
    );
    const item = {
      ...existing,
      ...next,
      passcodeHash,
      version: existing.version + 1,
      updatedAt: new Date().toISOString(),
    };
    return { item, enabledChanged: existing.enabled !== enabled };
  }

  /** The tenant's configurations (a handful per tenant: one query). */
  async function list(): Promise<AdeConfigurationItem[]> {
    const tenantId = authorizeInTenant('ade:read');
    const { data } = await adeConfiguration.query.byTenant({ tenantId }).go({ pages: 'all' });
    return data;
  }

  return { get, list, set, normalizeDomains };
}

/** `path`: the input field that named the domain (like every field problem, for portals to point at). */
export function domainTaken(domain: string, path: string[]): AppError {
  // Never say who has it: that would reveal another tenant's customer.
  const message = `${domain} is already used by another ADE configuration.`;
  return new AppError('conflict', 'DOMAIN_TAKEN', message, [{ path, message }]);
}

export type ConfigurationOperations = ReturnType<typeof configurationOperations>;
