/**
 * PUT /mdm/t/{tenant}/connect — the ServerURL of every profile of that tenant
 * (docs/protocol/mdm.md#the-command-channel): the
 * command channel. `Idle` gets the next queued command or an empty 200; results settle deployments.
 * Authenticated like check-in (Mdm-Signature, bearer). Device-facing: no Apollo, no graphql.
 */

import { type DeviceCore, mdmPart } from '@ade/core/device-core';
import { mdmRequest } from './checkin.ts';
import { devicePartFromEnv } from './device-core-from-env.ts';
import type { LambdaHandler } from './http.ts';
import { withLogging } from './log.ts';
import { withStoreUnavailable } from './unavailable.ts';

export function createConnectHandler(core: Pick<DeviceCore, 'commands'>): LambdaHandler {
  return withStoreUnavailable(async (event) => {
    const result = await core.commands.connect(mdmRequest(event));
    return { statusCode: result.status, headers: result.headers, body: result.body };
  });
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('connect', (event, context) => {
  handle ??= createConnectHandler(devicePartFromEnv(mdmPart));
  return handle(event, context);
});
