/**
 * The AWS SDK's DynamoDB client with a request counter and the recognition of an unreachable
 * database (db/unavailable.ts), one middleware each, on every command.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRequestCounter, type DocumentDatabase, type RecordingCounter } from './requests.ts';
import { asStoreError } from './unavailable.ts';

export type { DocumentDatabase, RecordingCounter, RequestCounter } from './requests.ts';

/** The AWS SDK's client under ElectroDB: GraphQL, scripts, the local runtime's table and the tests. */
export interface Database extends DocumentDatabase {
  client: DynamoDBClient;
  document: DynamoDBDocumentClient;
  tableName: string;
  /** Recording, so that a device core on the wire client can count into it too (db/wire.ts). */
  requests: RecordingCounter;
}

export interface DatabaseOptions {
  tableName: string;
  /** e.g. `http://127.0.0.1:8000` for DynamoDB Local; unset in AWS. */
  endpoint?: string;
  region?: string;
}

export function createDatabase(options: DatabaseOptions): Database {
  const config: DynamoDBClientConfig = { region: options.region ?? process.env.AWS_REGION ?? 'us-east-1' };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    // DynamoDB Local accepts any credentials; never let a local run pick up real ones.
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  const client = new DynamoDBClient(config);
  const requests = countRequests(client);
  reportUnreachable(client);
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return { client, document, tableName: options.tableName, requests };
}

function countRequests(client: DynamoDBClient): RecordingCounter {
  const counter = createRequestCounter();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.record(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'adeRequestCounter' },
  );
  return counter;
}

/**
 * Outside the SDK's retries (the `initialize` step wraps them all): what is still failing once they
 * are spent, because the database cannot be reached, becomes a StoreUnavailableError.
 */
function reportUnreachable(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw asStoreError(error);
      }
    },
    { step: 'initialize', name: 'adeStoreUnavailable' },
  );
}
