/**
 * The one DynamoDB table of ADE Cloud, described once. The local runtime and the test setup create
 * it from `createTableInput()`; infra (SST) derives its `sst.aws.Dynamo` arguments from the same
 * constant, so the three can never disagree on keys, indexes or the TTL attribute.
 *
 * Physical attribute names are generic (`pk`/`sk`, `gsi1pk`/`gsi1sk`, …); each entity maps its
 * access patterns onto them and names them (see `packages/core/src/entities`).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Global secondary indexes, all projecting every attribute. */
  globalIndexes: {
    gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    gsi2: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  },
  /** Epoch seconds; DynamoDB deletes an item some time after it passes (audit retention, sessions). */
  ttlAttribute: 'expiresAt',
} as const;

export type IndexName = keyof typeof tableDefinition.globalIndexes;

/** All key attributes are strings. */
function keyAttributes(): string[] {
  const names: string[] = [tableDefinition.partitionKey, tableDefinition.sortKey];
  for (const index of Object.values(tableDefinition.globalIndexes))
    names.push(index.partitionKey, index.sortKey);
  return names;
}

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes().map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: Object.entries(tableDefinition.globalIndexes).map(([name, index]) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
