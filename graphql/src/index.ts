export { createContext, type GraphQLContext } from './context.ts';
export { LIMITS, measureOperation } from './limits.ts';
export { schema } from './schema.ts';
export {
  createGraphQLServer,
  executeGraphQL,
  type GraphQLHttpRequest,
  type GraphQLHttpResponse,
  type GraphQLServer,
  MAX_BODY_BYTES,
  unavailableResponse,
} from './server.ts';
