/**
 * The one route table. API Gateway (infra/api.ts) creates a route per entry pointing at the named
 * function; the local runtime (packages/local) matches requests against the same entries and calls
 * the same handler export. Paths are part of Apple's and our API contract: change with care.
 */
import type { LambdaHandler } from './http.ts';

export interface FunctionDefinition {
  /** Handler file relative to the repository root, and its export: `file.export`. */
  handler: string;
  /** Device-facing functions must stay small and must not import Apollo or graphql. */
  deviceFacing: boolean;
  memoryMb: number;
  timeoutSeconds: number;
  /**
   * Ships the GraphQL explorer's built files (packages/explorer) in `explorer/` beside the handler,
   * which reads them on the first browser visit (infra/bundle.ts builds them).
   */
  explorer?: boolean;
}

export const functions = {
  graphql: {
    handler: 'packages/functions/src/graphql.handler',
    deviceFacing: false,
    explorer: true,
    memoryMb: 1024,
    timeoutSeconds: 29,
  },
  discovery: {
    handler: 'packages/functions/src/discovery.handler',
    deviceFacing: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  enroll: {
    handler: 'packages/functions/src/enroll.handler',
    deviceFacing: true,
    memoryMb: 1024, // RSA key generation for the device identity
    timeoutSeconds: 15,
  },
  checkin: {
    handler: 'packages/functions/src/checkin.handler',
    deviceFacing: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  connect: {
    handler: 'packages/functions/src/connect.handler',
    deviceFacing: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  auth: {
    handler: 'packages/functions/src/auth.handler',
    deviceFacing: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functions;

export interface Route {
  /** API Gateway route key: `METHOD /path/{param}`. */
  key: `${'GET' | 'POST' | 'PUT' | 'DELETE'} /${string}`;
  function: FunctionName;
}

export const routes: readonly Route[] = [
  { key: 'POST /graphql', function: 'graphql' },
  { key: 'GET /graphql', function: 'graphql' },
  // The GraphQL explorer: GET /graphql from a browser is its page; these are its files, and / leads there.
  { key: 'GET /graphql/explorer/{asset}', function: 'graphql' },
  { key: 'GET /', function: 'graphql' },
  { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}', function: 'discovery' },
  { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/userenroll', function: 'enroll' },
  { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/deviceenroll', function: 'enroll' },
  { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', function: 'auth' },
  { key: 'POST /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}', function: 'auth' },
  { key: 'GET /mdm/enrollment/servicediscovery/{discoveryId}/auth/{sessionId}/logo', function: 'auth' },
  { key: 'PUT /mdm/t/{tenant}/checkin', function: 'checkin' },
  { key: 'PUT /mdm/t/{tenant}/connect', function: 'connect' },
];

/** Functions no route reaches: run on a schedule (infra: a cron per entry; `pnpm dev`: a timer). */
export const scheduledFunctions = {
  rollouts: {
    handler: 'packages/functions/src/rollouts.handler',
    /** EventBridge Scheduler expression. */
    schedule: 'rate(1 minute)',
    /** Local runtime: how often `pnpm dev` runs it. */
    localEveryMs: 5_000,
    memoryMb: 1024, // signs profiles for many devices
    timeoutSeconds: 300,
  },
} as const;

/** Loads a function's handler module (local runtime; Lambda loads the file itself). */
export const handlerModules: Record<FunctionName, () => Promise<{ handler: LambdaHandler }>> = {
  graphql: () => import('./graphql.ts'),
  discovery: () => import('./discovery.ts'),
  auth: () => import('./auth.ts'),
  enroll: () => import('./enroll.ts'),
  checkin: () => import('./checkin.ts'),
  connect: () => import('./connect.ts'),
};
