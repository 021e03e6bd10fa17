/** A tenant's policy tree: create, rename, move, delete, and the reads in tree.ts. */
import * as z from 'zod/mini';
import { auditPut } from '../audit.ts';
import { describeActor, useActor } from '../context.ts';
import type { AdeService, PolicyItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt, MAX_TRANSACTION_ITEMS } from '../transaction.ts';
import { nameSchema, parseInput, versionSchema } from '../validation.ts';
import { policyMove } from './move.ts';
import { MAX_DEPTH, policyReads } from './tree.ts';

export type ChildrenOnDelete = 'REFUSE' | 'MOVE_TO_PARENT';

const renameSchema = z.object({ name: nameSchema, expectedVersion: versionSchema });

export function policyOperations(service: AdeService) {
  const reads = policyReads(service);
  const { policy } = service.entities;

  async function create(input: { parentId: string; name: string }): Promise<PolicyItem> {
    const tenantId = authorizeInTenant('policy:write');
    const name = parseInput(nameSchema, input.name, ['name']);
    const parent = await reads.get(input.parentId);
    if ((await reads.ancestors(parent)).length + 1 >= MAX_DEPTH) {
      throw AppError.conflict(
        'POLICY_TREE_TOO_DEEP',
        `Policies can be nested at most ${MAX_DEPTH} levels deep.`,
      );
    }
    const policyId = newId('policy');
    await commit(
      service,
      (e) => [
        e.policy.patch({ tenantId, policyId: parent.policyId }).add({ childCount: 1 }).commit(),
        e.policy
          .create({
            tenantId,
            policyId,
            parentId: parent.policyId,
            parentKey: parent.policyId,
            name,
            createdBy: describeActor(useActor()).id,
          })
          .commit(),
        e.tenant.patch({ tenantId }).add({ policyCount: 1 }).commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'policy.create',
          targetType: 'Policy',
          targetId: policyId,
          details: { name, parentId: parent.policyId },
        }),
      ],
      (codes) => (failedAt(codes, 0) ? AppError.notFound(`Policy ${parent.policyId}`) : undefined),
    );
    return (await policy.get({ tenantId, policyId }).go()).data!;
  }

  async function rename(
    policyId: string,
    input: { name: string; expectedVersion?: number | null },
  ): Promise<PolicyItem> {
    const tenantId = authorizeInTenant('policy:write');
    const { name, expectedVersion } = parseInput(renameSchema, {
      ...input,
      expectedVersion: input.expectedVersion ?? undefined,
    });
    const current = await reads.get(policyId);
    if (expectedVersion !== undefined && expectedVersion !== current.version)
      throw AppError.versionMismatch('The policy', current.version);
    if (current.name === name) return current;
    await commit(
      service,
      (e) => [
        e.policy
          .patch({ tenantId, policyId })
          .set({ name })
          .add({ version: 1 })
          .where((a, { eq }) => eq(a.version, current.version))
          .commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'policy.rename',
          targetType: 'Policy',
          targetId: policyId,
          details: { from: current.name, to: name },
        }),
      ],
      (codes) =>
        failedAt(codes, 0) ? AppError.versionMismatch('The policy', current.version + 1) : undefined,
    );
    return { ...current, name, version: current.version + 1 };
  }

  /**
   * Deletes a policy. With children it is refused (POLICY_HAS_CHILDREN) unless `children` is
   * MOVE_TO_PARENT, which re-parents them to the deleted policy's parent in the same transaction.
   * The condition on `childCount` makes the refusal exact even against a concurrent create.
   */
  async function remove(policyId: string, children: ChildrenOnDelete = 'REFUSE'): Promise<PolicyItem> {
    const tenantId = authorizeInTenant('policy:write');
    const node = await reads.get(policyId);
    const parentId = node.parentId;
    if (!parentId) throw AppError.conflict('POLICY_IS_ROOT', 'The root policy cannot be deleted.');
    const hasChildren = () =>
      AppError.conflict(
        'POLICY_HAS_CHILDREN',
        `"${node.name}" has child policies; move or delete them first, or delete with children: MOVE_TO_PARENT.`,
      );
    if (node.adeConfigurationId) {
      throw AppError.conflict(
        'POLICY_HAS_CONFIGURATION',
        `"${node.name}" has an ADE configuration; move or delete it first.`,
      );
    }
    if (node.deviceCount > 0) {
      throw AppError.conflict(
        'POLICY_HAS_DEVICES',
        `"${node.name}" has ${node.deviceCount} devices; move them to another policy first.`,
      );
    }
    if (node.tokenCount > 0) {
      throw AppError.conflict(
        'POLICY_HAS_TOKENS',
        `"${node.name}" has ADE tokens assigned; assign them elsewhere first.`,
      );
    }
    let movedChildren: PolicyItem[] = [];
    if (node.childCount > 0) {
      if (children === 'REFUSE') throw hasChildren();
      movedChildren = await allChildren(tenantId, policyId);
      if (movedChildren.length + 4 > MAX_TRANSACTION_ITEMS) {
        throw AppError.conflict(
          'TOO_MANY_CHILDREN',
          `"${node.name}" has ${movedChildren.length} children; move some of them first (at most 96 at once).`,
        );
      }
    }
    await commit(
      service,
      (e) => [
        e.policy
          .delete({ tenantId, policyId })
          .where(
            // Children, tokens and a configuration all keep a policy alive; a concurrent change to any fails this.
            (a, { eq, notExists }) =>
              `${eq(a.childCount, movedChildren.length)} AND ${eq(a.version, node.version)} AND ${eq(a.tokenCount, 0)} AND ${eq(a.deviceCount, 0)} AND ${notExists(a.adeConfigurationId)}`,
          )
          .commit(),
        ...movedChildren.map((child) =>
          e.policy
            .patch({ tenantId, policyId: child.policyId })
            .set({ parentId, parentKey: parentId })
            .add({ version: 1 })
            .where((a, { eq }) => eq(a.parentId, policyId))
            .commit(),
        ),
        e.policy
          .patch({ tenantId, policyId: parentId })
          .add({ childCount: movedChildren.length - 1 })
          .commit(),
        e.tenant.patch({ tenantId }).subtract({ policyCount: 1 }).commit(),
        auditPut(e, {
          scope: { tenantId },
          action: 'policy.delete',
          targetType: 'Policy',
          targetId: policyId,
          details: { name: node.name, parentId, movedChildren: movedChildren.map((c) => c.policyId) },
        }),
      ],
      (codes) => (failedAt(codes, 0) ? hasChildren() : undefined),
    );
    return node;
  }

  async function allChildren(tenantId: string, policyId: string): Promise<PolicyItem[]> {
    const { data } = await policy.query.childrenOf({ tenantId, parentKey: policyId }).go({ pages: 'all' });
    return data;
  }

  return { ...reads, create, rename, move: policyMove(service, reads), remove };
}

export type PolicyOperations = ReturnType<typeof policyOperations>;
