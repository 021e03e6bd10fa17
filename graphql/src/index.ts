export { createContext, type GraphQLContext } from './context.ts';
export { BYTES_PER_COST, type CostExtensions, LIMITS, operationCost } from './limits.ts';
export { schema } from './schema.ts';
export {
  createGraphQLServer,
  executeGraphQL,
  type GraphQLHttpRequest,
  type GraphQLHttpResponse,
  type GraphQLServer,
  MAX_BODY_BYTES,
  MAX_RESPONSE_BYTES,
  unavailableResponse,
} from './server.ts';
