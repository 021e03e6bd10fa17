/**
 * POST …/servicediscovery/{discoveryId}/userenroll | deviceenroll: the device's enrollment request
 * (docs/protocol/enrollment.md). The body is a CMS-signed plist, whatever the Content-Type says (devices have sent
 * application/pkcs7-signature and application/x-www-form-urlencoded), so it is read raw, never
 * form-parsed. Without a usable bearer: 401 with the `apple-as-web` challenge. With one: the
 * enrollment profile. Device-facing: no Apollo, no graphql.
 */

import { type DeviceCore, enrollmentPart } from '@ade/core/device-core';
import type { RedeemedToken } from '@ade/core/enrollment/index';
import { EnrollmentRefusal } from '@ade/core/enrollment/refusal';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { devicePartFromEnv } from './device-core-from-env.ts';
import { bearerToken, type LambdaHandler, requestBytes } from './http.ts';
import { withLogging } from './log.ts';
import { withStoreUnavailable } from './unavailable.ts';

export type ProfileIssuer = (redeemed: RedeemedToken) => Promise<Buffer>;

export function createEnrollHandler(
  core: Pick<DeviceCore, 'enrollment'>,
  issueProfile: ProfileIssuer,
): LambdaHandler {
  return withStoreUnavailable(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const route = event.rawPath.endsWith('/deviceenroll') ? 'deviceenroll' : 'userenroll';
      const result = await core.enrollment.enroll({
        discoveryId: event.pathParameters?.discoveryId ?? '',
        route,
        body: requestBytes(event),
        bearer: bearerToken(event),
      });
      if (result.kind === 'challenge') {
        // Apple's example separates parameters with ", " (docs/protocol/enrollment.md#the-401-challenge).
        return {
          statusCode: 401,
          headers: {
            'www-authenticate': `Bearer method="apple-as-web", url="${result.url}"`,
            'cache-control': 'no-store',
          },
          body: '',
        };
      }
      const profile = await issueProfile(result);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/x-apple-aspen-config', 'cache-control': 'no-store' },
        body: profile.toString('base64'),
        isBase64Encoded: true,
      };
    } catch (error) {
      if (error instanceof EnrollmentRefusal) {
        return {
          statusCode: error.status === 401 ? 403 : error.status,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: error.message,
        };
      }
      throw error;
    }
  });
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('enroll', (event, context) => {
  if (!handle) {
    const core = devicePartFromEnv(enrollmentPart);
    handle = createEnrollHandler(core, (redeemed) => core.profiles.issue(redeemed));
  }
  return handle(event, context);
});
