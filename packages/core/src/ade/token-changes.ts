/** Assigning an ADE token to a policy (exactly one, or none) and deleting it. */
import { auditPut } from '../audit.ts';
import type { AdeService, AdeTokenItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import type { PolicyReads } from '../policies/tree.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt } from '../transaction.ts';
import type { ConfigurationOperations } from './configurations.ts';
import type { TokenOperations } from './tokens.ts';

export function tokenChanges(
  service: AdeService,
  policies: PolicyReads,
  tokens: TokenOperations,
  configurations: ConfigurationOperations,
) {
  /** The configuration using the token as a fallback, if any (only the one on its policy can). */
  async function fallbackUser(token: AdeTokenItem) {
    if (!token.policyId) return undefined;
    const policy = await policies.get(token.policyId);
    if (!policy.adeConfigurationId) return undefined;
    const config = await configurations.get(policy.adeConfigurationId);
    return config.fallbackTokenIds.includes(token.tokenId) ? config : undefined;
  }

  /**
   * Assigns the token directly to one policy (or to none, with null; undefined changes nothing, so
   * a script that forgot its variable does not unassign). Moving a token that a configuration uses
   * as fallback is allowed — the configuration's diagnostics then report it.
   */
  async function assign(tokenId: string, policyId: string | null | undefined): Promise<AdeTokenItem> {
    const tenantId = authorizeInTenant('ade:write');
    const token = await tokens.get(tokenId);
    if (policyId === undefined || (token.policyId ?? null) === policyId) return token;
    const target = policyId ? await policies.get(policyId) : undefined;
    await commit(
      service,
      (e) => [
        e.adeToken
          .patch({ tenantId, tokenId })
          .set({
            policyKey: target?.policyId ?? tokens.UNASSIGNED,
            ...(target ? { policyId: target.policyId } : {}),
          })
          .remove(target ? [] : ['policyId'])
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, token.version))
          .commit(),
        ...(target
          ? [e.policy.patch({ tenantId, policyId: target.policyId }).add({ tokenCount: 1 }).commit()]
          : []),
        ...(token.policyId
          ? [e.policy.patch({ tenantId, policyId: token.policyId }).subtract({ tokenCount: 1 }).commit()]
          : []),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeToken.assign',
          targetType: 'AdeToken',
          targetId: tokenId,
          details: { from: token.policyId ?? null, to: target?.policyId ?? null },
        }),
      ],
      (codes) =>
        failedAt(codes, 0)
          ? AppError.versionMismatch('The ADE token', token.version + 1)
          : failedAt(codes, 1) && target
            ? AppError.notFound(`Policy ${target.policyId}`)
            : undefined,
    );
    return tokens.get(tokenId);
  }

  /** Deletes the token (refused while a configuration uses it as a fallback token). */
  async function remove(tokenId: string): Promise<AdeTokenItem> {
    const tenantId = authorizeInTenant('ade:write');
    const token = await tokens.get(tokenId);
    const user = await fallbackUser(token);
    if (user) {
      throw AppError.conflict(
        'TOKEN_IN_USE',
        `"${token.name}" is a fallback token of an ADE configuration; remove it from the configuration's fallback tokens first.`,
      );
    }
    await commit(
      service,
      (e) => [
        e.adeToken
          .delete({ tenantId, tokenId })
          .where((a, { eq }) => eq(a.version, token.version))
          .commit(),
        ...(token.policyId
          ? [e.policy.patch({ tenantId, policyId: token.policyId }).subtract({ tokenCount: 1 }).commit()]
          : []),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeToken.delete',
          targetType: 'AdeToken',
          targetId: tokenId,
          details: { name: token.name },
        }),
      ],
      (codes) =>
        failedAt(codes, 0) ? AppError.versionMismatch('The ADE token', token.version + 1) : undefined,
    );
    return token;
  }

  return { assign, remove, fallbackUser };
}
