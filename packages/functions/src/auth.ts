/**
 * The `apple-as-web` web-authentication page: GET shows it, POST checks it, and success answers
 * 308 to Apple's callback scheme with the access token. Device-facing: no Apollo, no graphql.
 * …/servicediscovery/{discoveryId}/auth/{sessionId}[/logo]
 */

import { type DeviceCore, enrollmentPart } from '@ade/core/device-core';
import { EnrollmentRefusal } from '@ade/core/enrollment/refusal';
import { INPUT_LIMITS, TOO_LONG_MESSAGES } from '@ade/core/input-limits';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { devicePartFromEnv } from './device-core-from-env.ts';
import { decodeBody, type LambdaHandler } from './http.ts';
import { withLogging } from './log.ts';
import { queryParameter } from './query.ts';
import { type UnavailableBody, withStoreUnavailable } from './unavailable.ts';
import { renderAuthPage, renderMessagePage } from './web/auth-page.ts';

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // form-action must allow Apple's callback scheme: browsers apply it to the 308 after the POST.
  'content-security-policy':
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self' apple-remotemanagement-user-login:; frame-ancestors 'none'; base-uri 'none'",
};

function html(
  status: number,
  body: string,
  extra: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra },
    body,
  };
}

function cookie(event: APIGatewayProxyEventV2, name: string): string | null {
  for (const c of event.cookies ?? []) {
    const [key, ...rest] = c.split('=');
    if (key?.trim() === name) return rest.join('=');
  }
  return null;
}

/** The sign-in page is read by a person: while the database is unreachable, a page saying to try again. */
const unavailablePage: UnavailableBody = (error) => ({
  headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS },
  body: renderMessagePage(
    'Temporarily unavailable',
    `Enrollment cannot continue right now. Try again in ${error.retryAfterSeconds} seconds.`,
  ),
});

export function createAuthHandler(core: Pick<DeviceCore, 'webAuth' | 'options'>): LambdaHandler {
  return withStoreUnavailable(async (event) => {
    const discoveryId = event.pathParameters?.discoveryId ?? '';
    const sessionId = event.pathParameters?.sessionId ?? '';
    const base = `/mdm/enrollment/servicediscovery/${discoveryId}/auth/${sessionId}`;
    const secure = core.options.publicUrl.startsWith('https:');
    const csrfCookie = (csrf: string) =>
      `ade_csrf=${csrf}; Path=${base}; HttpOnly; SameSite=Lax; Max-Age=900${secure ? '; Secure' : ''}`;
    const show = async (
      userIdentifier: string | null,
      options: { error?: string } = {},
      retryAfterSeconds?: number,
    ) => {
      const state = await core.webAuth.page(discoveryId, sessionId, userIdentifier);
      const page = renderAuthPage({ ...state, formPath: base, logoPath: `${base}/logo` }, options);
      // Too soon for the backoff: the form again, as a 429 that says when.
      const status = retryAfterSeconds ? 429 : 200;
      const wait: Record<string, string> = retryAfterSeconds
        ? { 'retry-after': String(retryAfterSeconds) }
        : {};
      return { ...html(status, page, wait), cookies: [csrfCookie(state.csrf)] };
    };
    try {
      const method = event.requestContext.http.method;
      if (method === 'GET' && event.rawPath.endsWith('/logo')) {
        const logo = await core.webAuth.logo(discoveryId, sessionId);
        if (!logo) return { statusCode: 404, headers: SECURITY_HEADERS, body: '' };
        return {
          statusCode: 200,
          headers: {
            ...SECURITY_HEADERS,
            'content-type': logo.contentType,
            'cache-control': 'private, max-age=900',
          },
          body: logo.data,
          isBase64Encoded: true,
        };
      }
      if (method === 'GET') return await show(queryParameter(event.rawQueryString, 'user-identifier'));
      const body = decodeBody(event) ?? '';
      // Refused before it is parsed: the form is a few hundred bytes, and nothing in a larger one is read.
      if (Buffer.byteLength(body) > INPUT_LIMITS.signInFormBytes)
        throw new EnrollmentRefusal(413, 'INPUT_TOO_LONG', TOO_LONG_MESSAGES.signInFormBytes);
      const form = new URLSearchParams(body); // an HTML form: form encoding applies here
      const result = await core.webAuth.submit({
        discoveryId,
        sessionId,
        csrfForm: form.get('csrf'),
        csrfCookie: cookie(event, 'ade_csrf'),
        userIdentifier: form.get('user-identifier'),
        passcode: form.get('passcode'),
        // Counted by the guessing limits: API Gateway's view of the client, never a header it sent.
        sourceAddress: event.requestContext.http.sourceIp,
      });
      if ('location' in result) {
        // Apple: "respond with HTTP 308 and the Location" (docs/protocol/enrollment.md#web-authentication).
        return { statusCode: 308, headers: { ...SECURITY_HEADERS, location: result.location }, body: '' };
      }
      return await show(form.get('user-identifier'), { error: result.retry }, result.retryAfterSeconds);
    } catch (error) {
      if (error instanceof EnrollmentRefusal)
        return html(
          error.status,
          renderMessagePage('Enrollment cannot continue', error.message),
          error.retryAfterSeconds ? { 'retry-after': String(error.retryAfterSeconds) } : {},
        );
      throw error;
    }
  }, unavailablePage);
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('auth', (event, context) => {
  handle ??= createAuthHandler(devicePartFromEnv(enrollmentPart));
  return handle(event, context);
});
