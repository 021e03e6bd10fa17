/**
 * The device functions' foundation (core/device-core.ts) over the small DynamoDB client of
 * core/db/wire.ts; each function adds its own part (discoveryPart, enrollmentPart, mdmPart). Neither
 * the AWS SDK nor the administration code is in their bundles (infra/bundle.ts), which is what keeps
 * their cold start within budget (`pnpm bench:coldstart`).
 */
import { createWireDatabase } from '@ade/core/db/wire';
import { type DeviceFoundation, deviceFoundation } from '@ade/core/device-core';
import { optionsFromEnv, tableFromEnv } from './env.ts';

let foundation: DeviceFoundation | undefined;

/** One foundation per process (Lambda container), built on first use. */
export function deviceFoundationFromEnv(): DeviceFoundation {
  foundation ??= deviceFoundation(createWireDatabase(tableFromEnv()), optionsFromEnv());
  return foundation;
}

/** The foundation with one function's part added (e.g. `devicePartFromEnv(discoveryPart)`). */
export function devicePartFromEnv<P>(part: (foundation: DeviceFoundation) => P): DeviceFoundation & P {
  const foundation = deviceFoundationFromEnv();
  return { ...foundation, ...part(foundation) };
}
