/**
 * What a function knows about its deployment, from environment variables set by infra (or by the
 * local runtime): the table, and for DynamoDB Local its endpoint.
 */
import { type Core, createCore, createDatabase } from '@ade/core';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set.`);
  return value;
}

let core: Core | undefined;

/** One core per process (Lambda container), built on first use. */
export function coreFromEnv(): Core {
  core ??= createCore(
    createDatabase({
      tableName: requireEnv('ADE_TABLE_NAME'),
      endpoint: process.env.ADE_DYNAMODB_ENDPOINT || undefined,
    }),
  );
  return core;
}
