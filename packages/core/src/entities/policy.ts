import { Entity } from 'electrodb';
import { type EntityConfig, SERVICE, tenantPartition, timestamps } from './common.ts';

/**
 * A node of a tenant's policy tree. Only the parent is stored (not a materialized path), so a move
 * writes one node however large its subtree is; ancestors are walked upwards when asked for.
 * `childCount` lets a delete refuse a node with children by a condition instead of a read.
 */
export const policyEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { service: SERVICE, entity: 'policy', version: '1' },
      attributes: {
        tenantId: { type: 'string', required: true, readOnly: true },
        policyId: { type: 'string', required: true, readOnly: true },
        /** Unset only on the tenant's root policy. */
        parentId: { type: 'string' },
        /** The index value of the parent: `parentId`, or `ROOT` for the root (index keys cannot be absent). */
        parentKey: { type: 'string', required: true, hidden: true },
        name: { type: 'string', required: true },
        childCount: { type: 'number', required: true, default: 0 },
        /** The ADE configuration attached here (at most one: a condition on this attribute enforces it). */
        adeConfigurationId: { type: 'string' },
        /** ADE tokens assigned directly to this policy; a policy with tokens cannot be deleted. */
        tokenCount: { type: 'number', required: true, default: 0 },
        /** Devices in this policy; a policy with devices cannot be deleted. */
        deviceCount: { type: 'number', required: true, default: 0 },
        version: { type: 'number', required: true, default: 1 },
        createdBy: { type: 'string', required: true, readOnly: true },
        ...timestamps,
      },
      indexes: {
        // All policies of a tenant, in creation order (tree pages, exports).
        byTenant: {
          pk: tenantPartition,
          sk: { field: 'sk', composite: ['policyId'], template: 'POL#${policyId}', casing: 'none' },
        },
        // The children of one policy.
        childrenOf: {
          index: 'gsi1',
          pk: {
            field: 'gsi1pk',
            composite: ['tenantId', 'parentKey'],
            template: 'T#${tenantId}#CHILDREN#${parentKey}',
            casing: 'none',
          },
          sk: { field: 'gsi1sk', composite: ['policyId'], template: '${policyId}', casing: 'none' },
        },
      },
    },
    config,
  );
