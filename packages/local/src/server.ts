/**
 * The local HTTP runtime: one Node server that routes by the shared route table and invokes the
 * same Lambda handlers API Gateway would, through an API Gateway v2 event.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  routes as defaultRoutes,
  type FunctionName,
  handlerModules,
  type LambdaHandler,
  type Route,
} from '@ade/functions';
import type { Context } from 'aws-lambda';
import { BodyTooLargeError, readBody, toEvent, writeResult } from './apigw.ts';
import { compileRoutes, UndecodablePathError } from './router.ts';

export interface LocalServerOptions {
  port?: number;
  host?: string;
  routes?: readonly Route[];
  /** Where handlers come from; by default the handler modules Lambda runs. */
  loadHandler?: (name: FunctionName) => Promise<LambdaHandler>;
}

export interface LocalServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const JSON_TYPE = { 'content-type': 'application/json' } as const;

/** The path of a request-target; one that is not a URL (`http://[::1/x`) is a bad request, as a bad escape. */
function requestPath(target: string | undefined): string {
  try {
    return new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    throw new UndecodablePathError(target ?? '');
  }
}

/** Ends the response with `status`, unless the handler's answer had already begun. */
function answer(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, JSON_TYPE).end(body);
}

function lambdaContext(name: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const match = compileRoutes(options.routes ?? defaultRoutes);
  const loaded = new Map<FunctionName, Promise<LambdaHandler>>();
  const load =
    options.loadHandler ??
    (async (name: FunctionName) => (await handlerModules[name]()).handler as LambdaHandler);
  const handlerFor = (name: FunctionName) => {
    let handler = loaded.get(name);
    if (!handler) {
      handler = load(name);
      loaded.set(name, handler);
    }
    return handler;
  };

  /**
   * One request, start to end, inside one try: nothing a client sends (an undecodable path, a
   * request-target that is not a URL, a body cut off half-way) or a handler throws may reach the
   * event loop as an uncaught error and end `pnpm dev` (and DynamoDB Local with it).
   */
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const found = match(req.method ?? 'GET', requestPath(req.url));
      if (!found) {
        res.writeHead(404, JSON_TYPE).end('{"message":"Not Found"}');
        return;
      }
      const body = await readBody(req);
      const event = toEvent(req, body, found);
      const handler = await handlerFor(found.route.function);
      writeResult(
        res,
        await handler(
          event,
          lambdaContext(found.route.function, event.requestContext.requestId || randomUUID()),
        ),
      );
    } catch (error) {
      if (error instanceof UndecodablePathError) return answer(res, 400, '{"message":"Bad Request"}');
      if (error instanceof BodyTooLargeError)
        return answer(res, 413, '{"message":"Request Entity Too Large"}');
      if (req.destroyed && !req.complete) return void res.destroy(); // the client left; no one to answer
      // What API Gateway answers when a function throws.
      console.error(error);
      answer(res, 500, '{"message":"Internal Server Error"}');
    }
  }

  const server = createServer((req, res) => {
    // A client that goes away mid-request makes these emit 'error'; with no listener that would throw.
    req.on('error', () => {});
    res.on('error', () => {});
    serve(req, res).catch((error) => console.error('local runtime: request failed', error));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : 'localhost';
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
