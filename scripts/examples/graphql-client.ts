/**
 * A typed GraphQL client for automation scripts in about sixty lines: the documents generated from
 * graphql/operations (`pnpm codegen`, graphql/client/) carry their result and variable types, and
 * this sends them with plain `fetch`. A heavier client (urql, Apollo Client, graphql-request) takes the
 * same TypedDocumentNode documents; a script that runs mutations in order needs no cache.
 *
 * Two kinds of failure, kept apart because a script reacts to them differently:
 * - GraphQLRequestError: the request did not run (unreachable server, refused key, invalid document,
 *   query limits). Top-level `errors`, or an HTTP error.
 * - UserErrorsError: the mutation ran and refused the change, with typed `UserError`s (`code`,
 *   `message`, `path`) in its payload. Nothing was changed; `code` is stable to branch on.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import type { ErrorCode } from '../../graphql/client/graphql.ts';

export interface GraphQLClientOptions {
  /** e.g. http://localhost:4000/graphql */
  url: string;
  apiKey: string;
  /** Per request; a stalled server must not hang an automation run. Default 30 s. */
  timeoutMs?: number;
}

export interface GraphQLClient {
  request<Result, Variables>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result>;
}

interface TopLevelError {
  message: string;
  extensions?: { code?: string };
}

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly codes: readonly string[] = [],
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }
}

export interface UserError {
  code: ErrorCode;
  message: string;
  path?: readonly string[] | null;
}

export class UserErrorsError extends Error {
  constructor(
    readonly step: string,
    readonly errors: readonly UserError[],
  ) {
    super(`${step} was refused:\n${errors.map((error) => `  ${describeUserError(error)}`).join('\n')}`);
    this.name = 'UserErrorsError';
  }
}

function describeUserError(error: UserError): string {
  return `${error.code}${error.path?.length ? ` (${error.path.join('.')})` : ''}: ${error.message}`;
}

/**
 * The payload's `key` when the mutation succeeded; throws UserErrorsError when it refused. A payload
 * with neither (never expected) is reported too rather than passed on as null.
 */
export function unwrap<Payload extends { errors: readonly UserError[] }, Key extends keyof Payload>(
  step: string,
  payload: Payload,
  key: Key,
): NonNullable<Payload[Key]> {
  if (payload.errors.length > 0) throw new UserErrorsError(step, payload.errors);
  const value = payload[key];
  if (value == null)
    throw new GraphQLRequestError(`${step}: the API returned no ${String(key)} and no errors.`);
  return value;
}

export function createGraphQLClient(options: GraphQLClientOptions): GraphQLClient {
  // print() once per document: the generated documents are module constants.
  const printed = new WeakMap<DocumentNode, string>();
  const queryOf = (document: DocumentNode) => {
    let query = printed.get(document);
    if (query === undefined) {
      query = print(document);
      printed.set(document, query);
    }
    return query;
  };

  async function request<Result, Variables>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` },
        body: JSON.stringify({ query: queryOf(document), variables }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      // fetch() says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a timeout) is in its cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new GraphQLRequestError(`Cannot reach ${options.url} (${reason}).`);
    }
    const body = (await response.json().catch(() => undefined)) as
      | { data?: unknown; errors?: TopLevelError[] }
      | undefined;
    if (body?.errors?.length) {
      const codes = body.errors.map((error) => error.extensions?.code ?? 'ERROR');
      const lines = body.errors.map((error, i) => `  ${codes[i]}: ${error.message}`);
      throw new GraphQLRequestError(
        `${options.url} answered ${response.status}:\n${lines.join('\n')}`,
        response.status,
        codes,
      );
    }
    if (!response.ok || !body?.data)
      throw new GraphQLRequestError(
        `${options.url} answered ${response.status} without data.`,
        response.status,
      );
    return body.data as Result;
  }
  return { request };
}
