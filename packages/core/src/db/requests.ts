/**
 * DynamoDB requests per command name. Every benchmark and several tests report "DynamoDB requests
 * per operation"; counting at the client (every request it sends) is the only honest place to do
 * that, whichever client it is (db/client.ts, the AWS SDK; db/wire.ts, the device functions' own).
 */
import type { DocumentClient } from 'electrodb';

export interface RequestCounter {
  /** Requests per command name since the last reset, e.g. `{ GetItemCommand: 2 }`. */
  readonly byCommand: Record<string, number>;
  total(): number;
  reset(): void;
}

export interface RecordingCounter extends RequestCounter {
  /** Counts one request of `commandName` (`GetItemCommand`, `TransactWriteItemsCommand`, …). */
  record(commandName: string): void;
}

export function createRequestCounter(): RecordingCounter {
  const byCommand: Record<string, number> = {};
  return {
    byCommand,
    record: (name) => {
      byCommand[name] = (byCommand[name] ?? 0) + 1;
    },
    total: () => Object.values(byCommand).reduce((sum, n) => sum + n, 0),
    reset: () => {
      for (const key of Object.keys(byCommand)) delete byCommand[key];
    },
  };
}

/**
 * What the domain needs of a database: a document client ElectroDB accepts (the AWS SDK's v3
 * DocumentClient, or the v2-shaped one of db/wire.ts), the table, and the request count.
 */
export interface DocumentDatabase {
  document: DocumentClient;
  tableName: string;
  requests: RequestCounter;
}
