/**
 * Every function of the route table as its Lambda handler over one core: what a local runtime needs to
 * serve a test or a benchmark exactly as `pnpm dev` does, but against the caller's core (its table,
 * fakes and clock). Callers replace entries to wrap them (timing, request counts).
 */
import type { Core } from '@ade/core';
import { createAuthHandler } from '@ade/functions/auth';
import { createCheckinHandler } from '@ade/functions/checkin';
import { createConnectHandler } from '@ade/functions/connect';
import { createDiscoveryHandler } from '@ade/functions/discovery';
import { createEnrollHandler } from '@ade/functions/enroll';
import { createGraphQLHandler } from '@ade/functions/graphql';
import type { LambdaHandler } from '@ade/functions/http';
import type { FunctionName } from '@ade/functions/routes';

export function localHandlers(core: Core): Record<FunctionName, LambdaHandler> {
  return {
    graphql: createGraphQLHandler(core),
    discovery: createDiscoveryHandler(core),
    enroll: createEnrollHandler(core, (redeemed) => core.profiles.issue(redeemed)),
    auth: createAuthHandler(core),
    checkin: createCheckinHandler(core),
    connect: createConnectHandler(core),
  };
}
