/**
 * The device core (core/device-core.ts) for the device-facing functions, over the small DynamoDB
 * client of core/db/wire.ts: neither the AWS SDK nor the administration code is in their bundles
 * (infra/bundle.ts), which is what keeps their cold start within budget (`pnpm bench:coldstart`).
 */
import { createWireDatabase } from '@ade/core/db/wire';
import { createDeviceCore, type DeviceCore } from '@ade/core/device-core';
import { optionsFromEnv, tableFromEnv } from './env.ts';

let core: DeviceCore | undefined;

/** One device core per process (Lambda container), built on first use. */
export function deviceCoreFromEnv(): DeviceCore {
  core ??= createDeviceCore(createWireDatabase(tableFromEnv()), optionsFromEnv());
  return core;
}
