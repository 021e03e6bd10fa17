/**
 * The Apollo server for the GraphQL API, transport-neutral: the Lambda handler (packages/functions)
 * and in-process tests both go through `executeGraphQL`, which authenticates the bearer key, runs
 * the operation as that actor, and returns status, headers and body.
 */
import { type Actor, AppError, type Core, runAs, type StoreUnavailableError, unavailableIn } from '@ade/core';
import { ApolloServer, type GraphQLRequestListener, HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import { createContext, type GraphQLContext } from './context.ts';
import { armor, enforceCost, LIMITS, limitCodeOf } from './limits.ts';
import { schema } from './schema.ts';

/** Largest request body accepted (a GraphQL document plus variables). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Largest answer, counted as Lambda counts it: the body as a JSON string inside the function's
 * result (quotes and backslashes escaped). Lambda refuses results over 6 MB (6,291,456 bytes) and
 * API Gateway then answers 5xx; this leaves 1.29 MB for the envelope and headers.
 */
export const MAX_RESPONSE_BYTES = 5_000_000;

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
  warn?(message: string, details: Record<string, unknown>): void;
}

export function createGraphQLServer(
  logger: Logger = { error: (m, d) => console.error(m, d), warn: (m, d) => console.warn(m, d) },
) {
  const limits = armor();
  const server = new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: LIMITS.maxTokens },
    validationRules: limits.validationRules,
    plugins: [
      // Browsers get our own explorer (packages/explorer, served by the GraphQL function); Apollo's
      // landing page would load Apollo's from a CDN, and would answer a browser's GET with a `query`.
      ApolloServerPluginLandingPageDisabled(),
      ...limits.plugins,
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ schema, document, operation, request }) {
              if (operation) enforceCost(schema, document, operation, request.variables ?? {});
            },
            didEncounterErrors: answerUnavailable(logger),
          };
        },
      },
    ],
    formatError: (formatted: GraphQLFormattedError, error: unknown) => {
      const limit = limitCodeOf(error);
      if (limit) return { ...formatted, extensions: { code: limit } };
      const original = unwrapResolverError(error);
      // ElectroDB wraps the StoreUnavailableError a client raised: found behind it, it is typed too.
      const expected = original instanceof AppError ? original : unavailableIn(original);
      if (expected) {
        return { ...formatted, message: expected.message, extensions: { code: expected.code } };
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
  loggers.set(server, logger);
  return server;
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

/** The logger each server was made with, for what executeGraphQL answers before Apollo runs. */
const loggers = new WeakMap<GraphQLServer, Logger>();

type ErrorsHook = NonNullable<GraphQLRequestListener<GraphQLContext>['didEncounterErrors']>;

/**
 * When a field failed because the database could not be reached, the whole answer is HTTP 503 with
 * Retry-After (its errors say SERVICE_UNAVAILABLE, see formatError): a script or portal retries
 * rather than reading a partial answer as the truth. Logged once per request, without a stack.
 */
function answerUnavailable(logger: Logger): ErrorsHook {
  return async ({ errors, response }) => {
    const unavailable = errors.map((error) => unavailableIn(error.originalError)).find(Boolean);
    if (!unavailable) return;
    response.http.status = 503;
    response.http.headers.set('retry-after', String(unavailable.retryAfterSeconds));
    response.http.headers.set('cache-control', 'no-store');
    logger.warn?.('store.unavailable', { cause: unavailable.detail });
  };
}

/** The whole answer when the database cannot be reached before execution (e.g. authenticating the key). */
export function unavailableResponse(error: StoreUnavailableError): GraphQLHttpResponse {
  const response = json(503, errorBody(error.code, error.message));
  const headers = { 'retry-after': String(error.retryAfterSeconds), 'cache-control': 'no-store' };
  return { ...response, headers: { ...response.headers, ...headers } };
}

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
    const unavailable = unavailableIn(error);
    if (unavailable) {
      loggers.get(server)?.warn?.('store.unavailable', { cause: unavailable.detail });
      return unavailableResponse(unavailable);
    }
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
  const size = Buffer.byteLength(JSON.stringify(text));
  if (size > MAX_RESPONSE_BYTES) {
    loggers.get(server)?.warn?.('graphql.response_too_large', { bytes: size, requestId: request.requestId });
    return responseTooLarge(size);
  }
  return { status: result.status ?? 200, headers: out, body: text };
}

/**
 * The answer in place of one over MAX_RESPONSE_BYTES. HTTP 200, like any error found while
 * executing: the operation did run (a mutation's change is made, and audited), only its answer is
 * withheld; a 4xx would say the request was refused, and 413 names the request's size, not the
 * answer's. Scripts branch on RESPONSE_TOO_LARGE and ask for less (smaller pages, fewer fields).
 */
function responseTooLarge(bytes: number): GraphQLHttpResponse {
  const message =
    `The answer would be ${bytes} bytes; at most ${MAX_RESPONSE_BYTES} can be returned. ` +
    'Ask for smaller pages or fewer fields.';
  const response = json(200, { data: null, ...errorBody('RESPONSE_TOO_LARGE', message) });
  return { ...response, headers: { ...response.headers, 'cache-control': 'no-store' } };
}

function bearer(header: string | undefined): string {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw AppError.unauthenticated();
  return match[1]!;
}
