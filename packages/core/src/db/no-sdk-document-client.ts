/**
 * Stands in for `@aws-sdk/lib-dynamodb` in the device-facing functions' bundles (infra/bundle.ts).
 * ElectroDB `require`s that package when it loads, for the SDK's v3 DocumentClient, and the package
 * brings the whole AWS SDK DynamoDB client with it. Those functions give ElectroDB the v2-shaped
 * client of db/wire.ts instead, which ElectroDB drives without ever touching these commands; should
 * anything construct one, it fails loudly rather than half-working.
 */
class NotBundled {
  constructor() {
    throw new Error(
      "@aws-sdk/lib-dynamodb is not in this function's bundle: device-facing functions use core/db/wire.ts (infra/bundle.ts)",
    );
  }
}

export {
  NotBundled as BatchGetCommand,
  NotBundled as BatchWriteCommand,
  NotBundled as DeleteCommand,
  NotBundled as DynamoDBDocumentClient,
  NotBundled as GetCommand,
  NotBundled as PutCommand,
  NotBundled as QueryCommand,
  NotBundled as ScanCommand,
  NotBundled as TransactGetCommand,
  NotBundled as TransactWriteCommand,
  NotBundled as UpdateCommand,
};
