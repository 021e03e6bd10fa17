/**
 * Starts one in-memory DynamoDB Local for the whole test run and hands its endpoint to every test
 * file. It is stopped in teardown — which vitest runs on failures too — and, should this process die
 * some other way, by the watchdog in `startDynamoLocal`.
 */

import { startDynamoLocal } from '@ade/local/dynamodb-local';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
