/** POST/GET /graphql: the GraphQL API for portals and scripts. */
import type { Core } from '@ade/core';
import { createGraphQLServer, executeGraphQL } from '@ade/graphql';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { coreFromEnv } from './core-from-env.ts';
import { decodeBody, type LambdaHandler } from './http.ts';
import { logger, withLogging } from './log.ts';

export function createGraphQLHandler(core: Core): LambdaHandler {
  const server = createGraphQLServer(logger);
  const started = server.start();
  return async (event: APIGatewayProxyEventV2, context: Context) => {
    await started;
    const requestId = context.awsRequestId || event.requestContext.requestId;
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
  };
}

let handle: LambdaHandler | undefined;

export const handler: LambdaHandler = withLogging('graphql', (event, context) => {
  handle ??= createGraphQLHandler(coreFromEnv());
  return handle(event, context);
});
