/**
 * Every function of the route table as its Lambda handler: what a local runtime needs to serve a
 * test or a benchmark exactly as `pnpm dev` does, but against the caller's core (its table, fakes
 * and clock). GraphQL runs on `core`; the device-facing functions on a device core over db/wire.ts,
 * as in Lambda (functions/device-core-from-env.ts). Callers replace entries to wrap them (timing,
 * request counts).
 */
import { type Core, type CoreOptions, createDeviceCore, type DeviceCore } from '@ade/core';
import { createWireDatabase } from '@ade/core/db/wire';
import { createAuthHandler } from '@ade/functions/auth';
import { createCheckinHandler } from '@ade/functions/checkin';
import { createConnectHandler } from '@ade/functions/connect';
import { createDiscoveryHandler } from '@ade/functions/discovery';
import { createEnrollHandler } from '@ade/functions/enroll';
import { createGraphQLHandler } from '@ade/functions/graphql';
import type { LambdaHandler } from '@ade/functions/http';
import type { FunctionName } from '@ade/functions/routes';

/**
 * The device core a device-facing function builds, on `core`'s table and with its options (keys,
 * token signer, clock, APNs), over the wire client. Its requests count into `core.db.requests`, so
 * a test or benchmark counts the whole local stack in one place. `overrides` replace options of the
 * device core only (a counting passcode verifier, the limits off for a benchmark).
 */
export async function wireDeviceCore(core: Core, overrides: Partial<CoreOptions> = {}): Promise<DeviceCore> {
  const endpoint = await core.db.client.config.endpoint?.();
  return createDeviceCore(
    createWireDatabase({
      tableName: core.db.tableName,
      requests: core.db.requests,
      ...(endpoint ? { endpoint: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}` } : {}),
    }),
    { ...core.options, ...overrides },
  );
}

export function localHandlers(core: Core, device: DeviceCore): Record<FunctionName, LambdaHandler> {
  return {
    graphql: createGraphQLHandler(core),
    discovery: createDiscoveryHandler(device),
    enroll: createEnrollHandler(device, (redeemed) => device.profiles.issue(redeemed)),
    auth: createAuthHandler(device),
    checkin: createCheckinHandler(device),
    connect: createConnectHandler(device),
  };
}
