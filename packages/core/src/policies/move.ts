/**
 * Moving a policy under another, without ever letting the tree become a graph.
 *
 * A move of X under P is safe when X is not P nor an ancestor of P. We read P's ancestor chain and
 * commit the move in one transaction that also asserts every link of that chain is unchanged
 * (each ancestor still has the parent we read). If any link moved meanwhile — e.g. a concurrent
 * move of P under X — the transaction is cancelled instead of creating a cycle. DynamoDB
 * transactions are serializable, so of two moves that together would form a cycle at most one
 * commits. The chain is bounded by MAX_DEPTH, which keeps the transaction under 100 items.
 */
import { auditPut } from '../audit.ts';
import type { AdeService, PolicyItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, type TxEntities } from '../transaction.ts';
import { MAX_DEPTH, type PolicyReads } from './tree.ts';

export function policyMove(service: AdeService, reads: PolicyReads) {
  return async function move(policyId: string, newParentId: string): Promise<PolicyItem> {
    const tenantId = authorizeInTenant('policy:write');
    const node = await reads.get(policyId);
    if (!node.parentId) throw AppError.conflict('POLICY_IS_ROOT', 'The root policy cannot be moved.');
    if (newParentId === node.parentId) return node; // already there: a "set" is idempotent
    if (newParentId === policyId) {
      throw AppError.conflict('POLICY_CYCLE', 'A policy cannot be moved under itself.');
    }
    const newParent = await reads.get(newParentId);
    const chain = [newParent, ...(await reads.ancestors(newParent)).reverse()]; // new parent → root
    if (chain.some((item) => item.policyId === policyId)) {
      throw AppError.conflict(
        'POLICY_CYCLE',
        `"${newParent.name}" is inside "${node.name}"; a policy cannot be moved under its own descendant.`,
      );
    }
    if (chain.length > MAX_DEPTH) {
      throw AppError.conflict(
        'POLICY_TREE_TOO_DEEP',
        `Policies can be nested at most ${MAX_DEPTH} levels deep.`,
      );
    }
    const oldParentId = node.parentId;

    await commit(
      service,
      (e) => [
        e.policy
          .patch({ tenantId, policyId })
          .set({ parentId: newParentId, parentKey: newParentId })
          .add({ version: 1 })
          .where((a, { eq }) => `${eq(a.version, node.version)} AND ${eq(a.parentId, oldParentId)}`)
          .commit(),
        // The old parent may itself be on the chain; then its decrement carries the chain condition.
        ...chain.map((link, index) =>
          chainItem(e, tenantId, link, index === 0 ? 1 : link.policyId === oldParentId ? -1 : 0),
        ),
        ...(chain.some((link) => link.policyId === oldParentId)
          ? []
          : [e.policy.patch({ tenantId, policyId: oldParentId }).subtract({ childCount: 1 }).commit()]),
        auditPut(e, {
          scope: { tenantId },
          action: 'policy.move',
          targetType: 'Policy',
          targetId: policyId,
          details: { from: oldParentId, to: newParentId },
        }),
      ],
      (codes) =>
        codes.some((code) => code === 'ConditionalCheckFailed')
          ? AppError.conflict(
              'CONCURRENT_CHANGE',
              'The policy tree changed while this move was being saved (another move or edit); read it again and retry.',
            )
          : undefined,
    );
    return { ...node, parentId: newParentId, version: node.version + 1 };
  };
}

/** Asserts `link` still hangs where we read it, adjusting its child count by `delta` if needed. */
function chainItem(e: TxEntities, tenantId: string, link: PolicyItem, delta: number) {
  const key = { tenantId, policyId: link.policyId };
  const unchanged = (
    a: { parentId: unknown },
    ops: { eq: (a: unknown, v: unknown) => string; notExists: (a: unknown) => string },
  ) => (link.parentId ? ops.eq(a.parentId, link.parentId) : ops.notExists(a.parentId));
  if (delta > 0) return e.policy.patch(key).add({ childCount: delta }).where(unchanged).commit();
  if (delta < 0) return e.policy.patch(key).subtract({ childCount: -delta }).where(unchanged).commit();
  return e.policy.check(key).where(unchanged).commit();
}
