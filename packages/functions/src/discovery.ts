/**
 * GET /mdm/enrollment/servicediscovery/{discoveryId}: Apple's service discovery for one ADE
 * configuration — the URL registered with ABM/ASM for fallback, and the target of the customer's
 * Worker or redirect. Device-facing: no Apollo, no graphql, one DynamoDB read at most.
 */

import { type DeviceCore, discoveryPart } from '@ade/core/device-core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { devicePartFromEnv } from './device-core-from-env.ts';
import type { LambdaHandler } from './http.ts';
import { withLogging } from './log.ts';
import { queryParameter } from './query.ts';
import { withStoreUnavailable } from './unavailable.ts';

export function createDiscoveryHandler(core: Pick<DeviceCore, 'discovery'>): LambdaHandler {
  return withStoreUnavailable(async (event: APIGatewayProxyEventV2) => {
    const answer = await core.discovery.answer(event.pathParameters?.discoveryId ?? '', {
      userIdentifier: queryParameter(event.rawQueryString, 'user-identifier'),
      modelFamily: queryParameter(event.rawQueryString, 'model-family'),
    });
    return {
      statusCode: answer.status,
      headers: { ...answer.headers, 'cache-control': 'no-store' },
      body: JSON.stringify(answer.body),
    };
  });
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('discovery', (event, context) => {
  handle ??= createDiscoveryHandler(devicePartFromEnv(discoveryPart));
  return handle(event, context);
});
