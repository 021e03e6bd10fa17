/**
 * The whole core for GraphQL and the rollout worker, over the AWS SDK's DynamoDB client.
 */
import { type Core, createCore, createDatabase } from '@ade/core';
import { optionsFromEnv, tableFromEnv } from './env.ts';

let core: Core | undefined;

/** One core per process (Lambda container), built on first use. */
export function coreFromEnv(): Core {
  core ??= createCore(createDatabase(tableFromEnv()), optionsFromEnv());
  return core;
}
