/**
 * Bounds on what one GraphQL request may ask for, checked before anything executes:
 * - depth: nesting of selections (introspection fields are exempt: GraphiQL-style tools nest deeply);
 * - aliases: how many times one request may rename fields (a cheap way to multiply work);
 * - cost: every field costs 1, and a connection's selection is multiplied by its page size, with the
 *   request's variables applied (so `first: $n` is priced at n, or the default of 20).
 * Page sizes themselves are capped at 100 by core. Token count is capped at parse time (server.ts).
 */

import { DEFAULT_PAGE_SIZE } from '@ade/core';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export const LIMITS = { maxDepth: 10, maxAliases: 30, maxCost: 25_000, maxTokens: 5_000 } as const;

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): Measure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measure: Measure = { depth: 0, aliases: 0, cost: 0 };

  /** Returns the cost of one instance of `set`, tracking depth and aliases as it goes. */
  function walk(set: SelectionSetNode, depth: number, seen: Set<string>): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue; // unknown/cyclic: validation reports it
        cost += walk(fragment.selectionSet, depth, new Set([...seen, fragment.name.value]));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(selection.selectionSet, depth, seen);
      } else {
        cost += field(selection, depth, seen);
      }
    }
    return cost;
  }

  function field(node: FieldNode, depth: number, seen: Set<string>): number {
    if (node.name.value.startsWith('__')) return 0; // introspection and __typename
    if (node.alias) measure.aliases++;
    measure.depth = Math.max(measure.depth, depth);
    if (!node.selectionSet) return 1;
    const multiplier = pageSizeOf(node, variables);
    return 1 + multiplier * walk(node.selectionSet, depth + 1, seen);
  }

  measure.cost = walk(operation.selectionSet, 1, new Set());
  return measure;
}

/** The page size a connection field will use; 1 for other fields. */
function pageSizeOf(node: FieldNode, variables: Record<string, unknown>): number {
  const first = node.arguments?.find((argument) => argument.name.value === 'first');
  if (!first) return isConnection(node) ? DEFAULT_PAGE_SIZE : 1;
  const value = literalValue(first.value, variables);
  return typeof value === 'number' && value > 0 ? Math.min(value, 100) : DEFAULT_PAGE_SIZE;
}

/** Connection fields are the ones selecting edges or nodes. */
function isConnection(node: FieldNode): boolean {
  return Boolean(
    node.selectionSet?.selections.some(
      (s) => s.kind === Kind.FIELD && (s.name.value === 'edges' || s.name.value === 'nodes'),
    ),
  );
}

function literalValue(value: ValueNode, variables: Record<string, unknown>): unknown {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) return variables[value.name.value];
  return undefined;
}

/** Throws a GraphQL error (HTTP 400) naming the first limit the operation exceeds. */
export function enforceLimits(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables?: Record<string, unknown>,
) {
  const { depth, aliases, cost } = measureOperation(document, operation, variables);
  const refuse = (code: string, message: string) => {
    throw new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
  };
  if (depth > LIMITS.maxDepth)
    refuse('QUERY_TOO_DEEP', `The query is ${depth} levels deep; at most ${LIMITS.maxDepth} are allowed.`);
  if (aliases > LIMITS.maxAliases)
    refuse(
      'TOO_MANY_ALIASES',
      `The query uses ${aliases} aliases; at most ${LIMITS.maxAliases} are allowed.`,
    );
  if (cost > LIMITS.maxCost) {
    refuse(
      'QUERY_TOO_COSTLY',
      `The query could return about ${cost} fields; at most ${LIMITS.maxCost} are allowed. Ask for smaller pages.`,
    );
  }
}
