/**
 * POST/GET /graphql: the GraphQL API for portals and scripts; and for a person with a browser, the
 * GraphQL explorer (GET /graphql asking for HTML without a `query`, its assets under
 * /graphql/explorer/, and GET / leading there).
 */
import { fileURLToPath } from 'node:url';
import type { Core } from '@ade/core';
import { createGraphQLServer, executeGraphQL, unavailableResponse } from '@ade/graphql';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { coreFromEnv } from './core-from-env.ts';
import { decodeBody, type LambdaHandler } from './http.ts';
import { logger, withLogging } from './log.ts';
import { type UnavailableBody, withStoreUnavailable } from './unavailable.ts';
import { type Explorer, explorerFromDirectory } from './web/explorer.ts';

/** A 503 in GraphQL's shape: `errors[0].extensions.code` is SERVICE_UNAVAILABLE. */
const graphQLUnavailable: UnavailableBody = (error) => {
  const { headers, body } = unavailableResponse(error);
  return { headers, body };
};

/**
 * A browser opening the endpoint: it asks for HTML and sends no `query`. API clients keep GraphQL
 * over GET (a `query` parameter, under Apollo's CSRF prevention) and get JSON errors otherwise.
 */
function isBrowserVisit(event: APIGatewayProxyEventV2): boolean {
  return (
    !new URLSearchParams(event.rawQueryString ?? '').has('query') &&
    /\btext\/html\b/i.test(event.headers?.accept ?? '')
  );
}

/** The explorer's answer to this request, or undefined when it is one for the API. */
function explorerAnswer(
  explorer: Explorer,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> | undefined {
  switch (event.routeKey) {
    case 'GET /':
      return Promise.resolve({
        statusCode: 302,
        headers: { location: 'graphql', 'cache-control': 'no-cache' },
      });
    case 'GET /graphql/explorer/{asset}':
      return explorer.asset(event.pathParameters?.asset ?? '', event.headers?.['accept-encoding']);
    case 'GET /graphql':
      return isBrowserVisit(event) ? explorer.page() : undefined;
    default:
      return undefined;
  }
}

export function createGraphQLHandler(
  core: Core,
  explorer: Explorer = explorerFromDirectory(explorerDir()),
): LambdaHandler {
  const server = createGraphQLServer(logger);
  const started = server.start();
  // executeGraphQL answers an unreachable database itself (503, SERVICE_UNAVAILABLE); this covers the rest.
  return withStoreUnavailable(async (event: APIGatewayProxyEventV2, context: Context) => {
    const requestId = context.awsRequestId || event.requestContext.requestId;
    const page = explorerAnswer(explorer, event);
    if (page) {
      const response = await page;
      return { ...response, headers: { ...response.headers, 'x-request-id': requestId } };
    }
    await started;
    const response = await executeGraphQL(server, core, {
      method: event.requestContext.http.method,
      headers: event.headers ?? {},
      search: event.rawQueryString ?? '',
      body: decodeBody(event),
      requestId,
    });
    return {
      statusCode: response.status,
      headers: { ...response.headers, 'x-request-id': requestId },
      body: response.body,
    };
  }, graphQLUnavailable);
}

/**
 * Where the built explorer is: ADE_EXPLORER_DIR (`pnpm dev`), else `explorer/` beside this module,
 * which in the Lambda package is index.mjs (infra/bundle.ts writes it there).
 */
export function explorerDir(): string {
  return process.env.ADE_EXPLORER_DIR || fileURLToPath(new URL('./explorer/', import.meta.url));
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('graphql', (event, context) => {
  handle ??= createGraphQLHandler(coreFromEnv());
  return handle(event, context);
});
