import type { EntityConfiguration } from 'electrodb';

/** Frozen: ElectroDB writes the service and entity names into every item. Never rename them. */
export const SERVICE = 'ade';

/** Partition values. Every tenant-scoped item lives under `T#<tenantId>`. */
export const partitions = {
  operator: 'OPERATOR',
  partner: (partnerId: string) => `P#${partnerId}`,
  tenant: (tenantId: string) => `T#${tenantId}`,
} as const;

export type EntityConfig = EntityConfiguration;

/** The partition key of every tenant-scoped access pattern on the table: `T#<tenantId>` (shared, so frozen). */
export const tenantPartition = Object.freeze({
  field: 'pk',
  composite: Object.freeze(['tenantId'] as const),
  template: 'T#${tenantId}',
  casing: 'none',
} as const);

export const timestamps = {
  createdAt: { type: 'string', required: true, readOnly: true, default: () => new Date().toISOString() },
  updatedAt: {
    type: 'string',
    required: true,
    default: () => new Date().toISOString(),
    watch: '*',
    set: () => new Date().toISOString(),
  },
} as const;
