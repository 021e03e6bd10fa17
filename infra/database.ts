/**
 * The DynamoDB table, derived from the one definition in packages/core/src/db/table.ts that the
 * local runtime and the tests create their tables from. `createTable()` passes `tableArgs()` to
 * `sst.aws.Dynamo`; infra/database.test.ts checks the two cannot drift, infra/sst.test.ts what a
 * deploy would create.
 */
import { tableDefinition } from '../packages/core/src/db/table.ts';

export interface TableArgs {
  fields: Record<string, 'string'>;
  primaryIndex: { hashKey: string; rangeKey: string };
  globalIndexes: Record<string, { hashKey: string; rangeKey: string; projection: 'all' }>;
  ttl: string;
  deletionProtection: boolean;
}

export function tableArgs(stage: string): TableArgs {
  const fields: Record<string, 'string'> = {
    [tableDefinition.partitionKey]: 'string',
    [tableDefinition.sortKey]: 'string',
  };
  const globalIndexes: TableArgs['globalIndexes'] = {};
  for (const [name, index] of Object.entries(tableDefinition.globalIndexes)) {
    fields[index.partitionKey] = 'string';
    fields[index.sortKey] = 'string';
    globalIndexes[name] = { hashKey: index.partitionKey, rangeKey: index.sortKey, projection: 'all' };
  }
  return {
    fields,
    primaryIndex: { hashKey: tableDefinition.partitionKey, rangeKey: tableDefinition.sortKey },
    globalIndexes,
    ttl: tableDefinition.ttlAttribute,
    deletionProtection: isProduction(stage),
  };
}

/** Stages whose data must survive mistakes: deletion protection, retained on removal. */
export function isProduction(stage: string): boolean {
  return stage === 'production' || stage === 'prod';
}

/**
 * The table. `sst.aws.Dynamo` always turns on point-in-time recovery; production stages add
 * deletion protection, and the app's `retain` removal (sst.config.ts) keeps the table if the stage
 * is ever removed.
 */
export function createTable(stage: string) {
  return new sst.aws.Dynamo('Table', tableArgs(stage));
}
