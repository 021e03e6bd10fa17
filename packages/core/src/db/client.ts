/**
 * DynamoDB clients with a request counter. Every benchmark and several tests report "DynamoDB
 * requests per operation"; counting at the client (one middleware, every command) is the only
 * honest place to do that.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface RequestCounter {
  /** Requests per command name since the last reset, e.g. `{ GetItemCommand: 2 }`. */
  readonly byCommand: Record<string, number>;
  total(): number;
  reset(): void;
}

export interface Database {
  client: DynamoDBClient;
  document: DynamoDBDocumentClient;
  tableName: string;
  requests: RequestCounter;
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
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return { client, document, tableName: options.tableName, requests };
}

function countRequests(client: DynamoDBClient): RequestCounter {
  const byCommand: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      byCommand[name] = (byCommand[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'adeRequestCounter' },
  );
  return {
    byCommand,
    total: () => Object.values(byCommand).reduce((sum, n) => sum + n, 0),
    reset: () => {
      for (const key of Object.keys(byCommand)) delete byCommand[key];
    },
  };
}
