/**
 * PUT /mdm/t/{tenant}/checkin — the CheckInURL of every profile of that tenant (docs/protocol/mdm.md):
 * Authenticate, TokenUpdate, CheckOut, DeclarativeManagement. The device is found by its
 * Mdm-Signature, never by the ids it claims. Device-facing: no Apollo, no graphql.
 */

import { type DeviceCore, mdmPart } from '@ade/core/device-core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { devicePartFromEnv } from './device-core-from-env.ts';
import { bearerToken, type LambdaHandler, requestBytes } from './http.ts';
import { withLogging } from './log.ts';
import { withStoreUnavailable } from './unavailable.ts';

/** What check-in and the command channel both read from a request: tenant, signature, body, bearer. */
export function mdmRequest(event: APIGatewayProxyEventV2) {
  return {
    tenantUlid: event.pathParameters?.tenant ?? '',
    signature: event.headers?.['mdm-signature'],
    body: requestBytes(event),
    bearer: bearerToken(event),
  };
}

export function createCheckinHandler(core: Pick<DeviceCore, 'checkins'>): LambdaHandler {
  return withStoreUnavailable(async (event) => {
    const result = await core.checkins.checkIn(mdmRequest(event));
    return { statusCode: result.status, headers: result.headers, body: result.body };
  });
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('checkin', (event, context) => {
  handle ??= createCheckinHandler(devicePartFromEnv(mdmPart));
  return handle(event, context);
});
