/**
 * Expected failures are data: every mutation payload has `errors: [UserError!]!` with a stable
 * code, a message for people and the path of the offending input. Queries raise the same AppError
 * as a GraphQL error whose `extensions.code` is that code. Anything else is masked by the server.
 */
import { AppError, ERROR_CODES, type ErrorCode, unavailableIn } from '@ade/core';
import type { ObjectRef } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { builder, type Types } from './builder.ts';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description:
    'Stable codes of expected failures; scripts can branch on them. NOT_PLAIN_TEXT: a free-text field ' +
    '(a name, branding) holds markup, a control character or a bidirectional override; the field says which.',
  values: ERROR_CODES,
});

export interface UserErrorShape {
  code: ErrorCode;
  message: string;
  path: string[] | null;
}

export const UserError = builder.objectRef<UserErrorShape>('UserError').implement({
  description: 'An expected failure: the change was not made.',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code as never }),
    message: t.exposeString('message'),
    path: t.exposeStringList('path', {
      nullable: true,
      description: 'The input field at fault, when one is.',
    }),
  }),
});

export function userErrors(error: AppError): UserErrorShape[] {
  if (error.problems.length === 0) return [{ code: error.code, message: error.message, path: null }];
  return error.problems.map((p) => ({
    code: p.code ?? error.code,
    message: p.message,
    path: ['input', ...p.path],
  }));
}

/** Runs a mutation; AppErrors become `errors` in the payload, anything else propagates (and is masked). */
export async function asPayload<T extends object>(
  run: () => Promise<T>,
): Promise<Partial<T> & { errors: UserErrorShape[] }> {
  try {
    return { ...(await run()), errors: [] };
  } catch (error) {
    // An unreachable database is not the caller's mistake: it fails the whole request (HTTP 503).
    if (error instanceof AppError && !unavailableIn(error))
      return { errors: userErrors(error) } as Partial<T> & { errors: UserErrorShape[] };
    throw error;
  }
}

/** The GraphQL error of an AppError raised by a query field. */
export function toGraphQLError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code } });
}

/** `<Name>Payload { <key>: T, errors: [UserError!]! }`: the result of a mutation on one object. */
export function payloadType<T, K extends string>(
  name: string,
  key: K,
  ref: ObjectRef<Types, T>,
  description?: string,
) {
  type Shape = { [P in K]?: T } & { errors: UserErrorShape[] };
  return builder.objectRef<Shape>(name).implement({
    description: description ?? 'The object as it is after the change; or errors, and no change.',
    fields: (t) => ({
      [key]: t.field({ type: ref, nullable: true, resolve: (p: Shape) => (p[key] ?? null) as never }),
      errors: t.field({ type: [UserError], resolve: (p: Shape) => p.errors }),
    }),
  });
}
