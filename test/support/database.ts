/**
 * A DynamoDB table of its own for each test file, on the run's DynamoDB Local, so files run in
 * parallel without seeing each other's items. Refuses any endpoint that is not on this machine: a
 * test must never be able to write to a real table.
 */

import { createDatabase, createTableInput, type Database } from '@ade/core';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';

export function localEndpoint(): string {
  const endpoint = inject('dynamoEndpoint');
  const host = new URL(endpoint).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`refusing non-local DynamoDB endpoint ${endpoint}`);
  return endpoint;
}

export async function createTestTable(prefix = 'test'): Promise<Database> {
  const tableName = `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const db = createDatabase({ tableName, endpoint: localEndpoint() });
  await db.client.send(new CreateTableCommand(createTableInput(tableName)));
  db.requests.reset();
  return db;
}

/** Registers beforeAll/afterAll hooks and returns a getter for this file's database. */
export function useTestDatabase(prefix?: string): () => Database {
  let db: Database | undefined;
  beforeAll(async () => {
    db = await createTestTable(prefix);
  });
  afterAll(async () => {
    if (!db) return;
    await db.client.send(new DeleteTableCommand({ TableName: db.tableName })).catch(() => {});
    db.client.destroy();
  });
  return () => {
    if (!db) throw new Error('test database not ready (use it inside a test or hook)');
    return db;
  };
}

/**
 * Every item of a test table, unmarshalled, by `pk|sk`: what some requests wrote is the difference
 * of two scans (the table is the file's own, so nothing else writes to it meanwhile).
 */
export async function scanTable(db: Database): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  const client = DynamoDBDocumentClient.from(db.client);
  let ExclusiveStartKey: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await client.send(new ScanCommand({ TableName: db.tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) items.set(`${item.pk}|${item.sk}`, item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The items of `after` that `before` did not have. */
export function added(
  before: Map<string, Record<string, unknown>>,
  after: Map<string, Record<string, unknown>>,
): Record<string, unknown>[] {
  return [...after].filter(([key]) => !before.has(key)).map(([, item]) => item);
}
