/**
 * Bounds on what one GraphQL request may ask for, all checked before anything executes.
 *
 * Kept libraries do the walking and counting:
 * - graphql-js's parser stops at 5,000 tokens (`parseOptions.maxTokens` in server.ts). graphql-armor's
 *   max-tokens plugin is left off: it parses every document a second time to count the same tokens.
 * - graphql-armor's validation rules (run once per distinct document; Apollo caches what passed):
 *   depth 10 (fragments flattened, so a spread adds no level; `__schema` is exempt, as GraphiQL's own
 *   introspection nests deeper than that — cost bounds it instead), 30 aliases (introspection fields
 *   and `__typename` included), 50 directives, and no "Did you mean …?" in validation errors.
 * - graphql-query-complexity walks the operation with its variables coerced as execution will see
 *   them (operation defaults applied, `@skip`/`@include` honoured) and sums what `estimateCost` says.
 *
 * Ours, because none of them does it:
 * - `estimateCost`, what a field costs: 1 per field; a connection multiplies its selection by its page
 *   size (`first`, default 20, capped at 100 like core); a plain list by its bound (`listSize` on the
 *   field, e.g. a policy's 40 ancestors; else one default page, 20); an introspection list by its
 *   average length in this schema, so a whole-schema introspection costs about what it returns
 *   (GraphiQL's is about 7,600 of the 25,000); a scalar whose values can be large (`maxBytes` on the
 *   field, e.g. a payload's settings) by its size in units of BYTES_PER_COST. graphql-armor's own
 *   cost rule knows neither page sizes nor variables.
 * - the codes scripts branch on: graphql-armor reports BAD_USER_INPUT and Apollo relabels every
 *   validation error GRAPHQL_VALIDATION_FAILED; `limitCodeOf` restores QUERY_TOO_DEEP,
 *   TOO_MANY_ALIASES, TOO_MANY_DIRECTIVES (server.ts's formatError).
 * Page sizes above 100 are refused by core (PAGE_SIZE_TOO_LARGE); the size of the answer is capped
 * after execution (RESPONSE_TOO_LARGE, server.ts).
 */

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@ade/core';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
  getNamedType,
  getNullableType,
  getVariableValues,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  isUnionType,
  isWrappingType,
  type OperationDefinitionNode,
  type ValidationContext,
} from 'graphql';
import { type ComplexityEstimatorArgs, getComplexity } from 'graphql-query-complexity';

export const LIMITS = {
  maxDepth: 10,
  maxAliases: 30,
  maxDirectives: 50,
  maxCost: 25_000,
  maxTokens: 5_000,
} as const;

/**
 * A cost unit's share of the answer: the response ceiling (5 MB) over the cost limit. A scalar that
 * can hold more than this costs one unit per BYTES_PER_COST of its largest value.
 */
export const BYTES_PER_COST = 200;

/** Field extensions the estimator reads (set on Pothos fields with `extensions: { … }`). */
export interface CostExtensions {
  /** The most items a plain list field returns (default: one page, DEFAULT_PAGE_SIZE). */
  listSize?: number;
  /** The largest value a scalar field holds, in bytes of JSON (default: small, one unit). */
  maxBytes?: number;
}

/** A refusal by one of the limits, with the code scripts see. */
export class LimitError extends GraphQLError {
  constructor(code: string, message: string) {
    super(message, { extensions: { code, http: { status: 400 } } });
  }
}

/** The limit code behind an error Apollo relabelled (validation errors keep ours as originalError). */
export function limitCodeOf(error: unknown): string | undefined {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : undefined;
  return original instanceof LimitError ? String(original.extensions.code) : undefined;
}

/** graphql-armor's rejections become LimitErrors (reported, so Apollo answers 400 with all of them). */
function refuseAs(code: string) {
  return [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new LimitError(code, error.message.replace(/^Syntax Error: /, ''))),
  ];
}

/** graphql-armor's validation rules and plugins, for ApolloServer's options. */
export function armor() {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: {
      n: LIMITS.maxDepth,
      flattenFragments: true,
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: refuseAs('QUERY_TOO_DEEP'),
    },
    maxAliases: {
      n: LIMITS.maxAliases,
      allowList: [],
      propagateOnRejection: false,
      onReject: refuseAs('TOO_MANY_ALIASES'),
    },
    maxDirectives: {
      n: LIMITS.maxDirectives,
      propagateOnRejection: false,
      onReject: refuseAs('TOO_MANY_DIRECTIVES'),
    },
    blockFieldSuggestion: { enabled: true },
    maxTokens: { enabled: false }, // graphql-js's parser counts them (see above)
    costLimit: { enabled: false }, // no page sizes, no variables: graphql-query-complexity instead
  }).protect();
  return { plugins, validationRules };
}

/**
 * The cost of `operation` with `variables`, or undefined when the variables do not fit the
 * operation (execution refuses them with BAD_USER_INPUT before any resolver runs).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): number | undefined {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return undefined;
  try {
    return getComplexity({
      schema,
      query: document,
      operationName: operation.name?.value,
      variables,
      estimators: [costEstimator(schema)],
    });
  } catch {
    // More than the library's 10,000 selection nodes: fragments spread into each other many times.
    return Number.POSITIVE_INFINITY;
  }
}

/** Throws QUERY_TOO_COSTLY (HTTP 400) when the operation costs more than the limit. */
export function enforceCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables?: Record<string, unknown>,
): void {
  const cost = operationCost(schema, document, operation, variables);
  if (cost === undefined || cost <= LIMITS.maxCost) return;
  const about = Number.isFinite(cost) ? `about ${Math.ceil(cost)} fields` : 'too many fields to count';
  throw new LimitError(
    'QUERY_TOO_COSTLY',
    `The query could return ${about}; at most ${LIMITS.maxCost} are allowed. Ask for smaller pages.`,
  );
}

const estimators = new WeakMap<GraphQLSchema, (args: ComplexityEstimatorArgs) => number>();

function costEstimator(schema: GraphQLSchema) {
  let estimator = estimators.get(schema);
  if (!estimator) {
    estimator = estimateCost(introspectionListSizes(schema));
    estimators.set(schema, estimator);
  }
  return estimator;
}

/** What one field costs, given the cost of one instance of its selection (`childComplexity`). */
function estimateCost(introspection: Map<string, number>) {
  return ({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number => {
    if (isConnection(field)) return 1 + pageSize(args.first) * childComplexity;
    const extensions = (field.extensions ?? {}) as CostExtensions;
    const leaf = isLeafType(getNamedType(field.type));
    // One value of the field: a scalar by its size; an object is the fields selected in it.
    const value = leaf
      ? Math.max(1, Math.ceil((extensions.maxBytes ?? 0) / BYTES_PER_COST))
      : childComplexity;
    const count = isListType(getNullableType(field.type))
      ? listSize(type.name, field, introspection)
      : (introspection.get(`${type.name}.${field.name}`) ?? 1); // ofType: how often there is one
    return leaf && count === 1 ? value : 1 + count * value;
  };
}

/** Relay connections: a `first` argument and a `…Connection` type (its edges/nodes are the page). */
function isConnection(field: GraphQLField<unknown, unknown>): boolean {
  return (
    field.args.some((arg) => arg.name === 'first') && getNamedType(field.type).name.endsWith('Connection')
  );
}

function pageSize(first: unknown): number {
  return typeof first === 'number' && first > 0 ? Math.min(first, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

function listSize(parent: string, field: GraphQLField<unknown, unknown>, introspection: Map<string, number>) {
  if (parent.endsWith('Connection')) return 1; // edges and nodes: the connection counted its page
  const declared = (field.extensions as CostExtensions | undefined)?.listSize;
  return declared ?? introspection.get(`${parent}.${field.name}`) ?? DEFAULT_PAGE_SIZE;
}

/**
 * The average length of each introspection list in this schema, and how often a type reference
 * wraps another (`ofType`: `[Policy!]!` is four levels deep, `String` one). Walking the whole schema
 * (`__schema { types { fields { … } } }`, what tools do) then costs about what it returns; one
 * type's lists (`__type(name:)`) may be longer than the average, by at most the largest type's share
 * (29 fields against an average of 3 here), and the response ceiling bounds the rest.
 */
function introspectionListSizes(schema: GraphQLSchema): Map<string, number> {
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const count = { fields: 0, fieldArgs: 0, interfaces: 0, possibleTypes: 0, enumValues: 0, inputFields: 0 };
  const references = { named: 0, wrappers: 0 };
  const refer = (type: GraphQLType) => {
    for (let t: GraphQLType = type; ; t = t.ofType) {
      if (!isWrappingType(t)) {
        references.named++;
        return;
      }
      references.wrappers++;
    }
  };
  for (const type of types) {
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        count.fields++;
        count.fieldArgs += field.args.length;
        refer(field.type);
        for (const arg of field.args) refer(arg.type);
      }
      count.interfaces += type.getInterfaces().length;
      references.named += type.getInterfaces().length;
    }
    if (isInterfaceType(type) || isUnionType(type)) {
      count.possibleTypes += schema.getPossibleTypes(type).length;
      references.named += schema.getPossibleTypes(type).length;
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        count.inputFields++;
        refer(field.type);
      }
    }
    if (isEnumType(type)) count.enumValues += type.getValues().length;
  }
  const per = (total: number, of: number) => (of > 0 ? total / of : 0);
  const directiveArgs = directives.reduce((sum, d) => sum + d.args.length, 0);
  const locations = directives.reduce((sum, d) => sum + d.locations.length, 0);
  return new Map([
    ['__Schema.types', types.length],
    ['__Schema.directives', directives.length],
    ['__Type.fields', per(count.fields, types.length)],
    ['__Type.interfaces', per(count.interfaces, types.length)],
    ['__Type.possibleTypes', per(count.possibleTypes, types.length)],
    ['__Type.enumValues', per(count.enumValues, types.length)],
    ['__Type.inputFields', per(count.inputFields, types.length)],
    ['__Type.ofType', per(references.wrappers, references.wrappers + references.named)],
    ['__Field.args', per(count.fieldArgs, count.fields)],
    ['__Directive.args', per(directiveArgs, directives.length)],
    ['__Directive.locations', per(locations, directives.length)],
  ]);
}
