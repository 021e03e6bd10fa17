/**
 * The Apollo server for the GraphQL API, transport-neutral: the Lambda handler (packages/functions)
 * and in-process tests both go through `executeGraphQL`, which authenticates the bearer key, runs
 * the operation as that actor, and returns status, headers and body.
 */
import { type Actor, AppError, type Core, runAs } from '@ade/core';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import { createContext, type GraphQLContext } from './context.ts';
import { enforceLimits, LIMITS } from './limits.ts';
import { schema } from './schema.ts';

/** Largest request body accepted (a GraphQL document plus variables). */
export const MAX_BODY_BYTES = 256 * 1024;

export interface GraphQLHttpRequest {
  method: string;
  headers: Record<string, string | undefined>;
  /** The raw query string, without `?`. */
  search: string;
  body: string | undefined;
  requestId: string;
}

export interface GraphQLHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Logger {
  error(message: string, details: Record<string, unknown>): void;
}

export function createGraphQLServer(logger: Logger = { error: (m, d) => console.error(m, d) }) {
  const server = new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: LIMITS.maxTokens },
    plugins: [
      // Browsers get our own explorer (packages/explorer, served by the GraphQL function); Apollo's
      // landing page would load Apollo's from a CDN, and would answer a browser's GET with a `query`.
      ApolloServerPluginLandingPageDisabled(),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ document, operation, request }) {
              if (operation) enforceLimits(document, operation, request.variables ?? {});
            },
          };
        },
      },
    ],
    formatError: (formatted: GraphQLFormattedError, error: unknown) => {
      const original = unwrapResolverError(error);
      if (original instanceof AppError) {
        return { ...formatted, message: original.message, extensions: { code: original.code } };
      }
      const code = formatted.extensions?.code;
      if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted; // validation, limits, bad requests
      logger.error('graphql.unexpected', {
        error: original instanceof Error ? original.stack : String(original),
      });
      return {
        message: 'Internal error; it has been logged.',
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    },
  });
  return server;
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

function json(status: number, value: unknown): GraphQLHttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(value),
  };
}

function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** Authenticates and executes one HTTP GraphQL request. */
export async function executeGraphQL(
  server: GraphQLServer,
  core: Core,
  request: GraphQLHttpRequest,
): Promise<GraphQLHttpResponse> {
  if (request.body && Buffer.byteLength(request.body) > MAX_BODY_BYTES) {
    return json(
      413,
      errorBody('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes.`),
    );
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers.set(name.toLowerCase(), value);

  let actor: Actor;
  try {
    actor = await core.apiKeys.authenticate(bearer(headers.get('authorization')));
  } catch (error) {
    if (error instanceof AppError) {
      return {
        ...json(401, errorBody(error.code, error.message)),
        headers: { ...json(401, null).headers, 'www-authenticate': 'Bearer' },
      };
    }
    throw error;
  }

  let body: unknown;
  if (request.method === 'POST') {
    try {
      body = request.body ? JSON.parse(request.body) : undefined;
    } catch {
      return json(400, errorBody('BAD_REQUEST', 'The request body is not valid JSON.'));
    }
  }

  const result = await runAs(
    actor,
    () =>
      server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method.toUpperCase(), headers, search: request.search, body },
        context: async () => createContext(core, actor, request.requestId),
      }),
    request.requestId,
  );
  const out: Record<string, string> = {};
  for (const [name, value] of result.headers) out[name] = value;
  let text = '';
  if (result.body.kind === 'complete') text = result.body.string;
  else for await (const chunk of result.body.asyncIterator) text += chunk;
  return { status: result.status ?? 200, headers: out, body: text };
}

function bearer(header: string | undefined): string {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw AppError.unauthenticated();
  return match[1]!;
}
