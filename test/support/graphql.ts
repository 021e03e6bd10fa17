/** Runs GraphQL operations in-process through the same path as HTTP (auth, limits, masking). */
import type { Core } from '@ade/core';
import { createGraphQLServer, executeGraphQL, type GraphQLServer } from '@ade/graphql';

let server: GraphQLServer | undefined;
let started: Promise<void> | undefined;

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string }; path?: (string | number)[] }[];
}

export async function gql<T = Record<string, unknown>>(
  core: Core,
  key: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResult<T>> {
  if (!server) {
    server = createGraphQLServer({ error: () => {} });
    started = server.start();
  }
  await started;
  const response = await executeGraphQL(server, core, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    search: '',
    body: JSON.stringify({ query, variables }),
    requestId: 'test',
  });
  return { status: response.status, ...JSON.parse(response.body) };
}

/** Like gql, but fails the test on any GraphQL error. */
export async function gqlOk<T = Record<string, any>>(
  core: Core,
  key: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const result = await gql<T>(core, key, query, variables);
  if (result.errors?.length || !result.data)
    throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}
