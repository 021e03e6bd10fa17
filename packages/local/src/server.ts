/**
 * The local HTTP runtime: one Node server that routes by the shared route table and invokes the
 * same Lambda handlers API Gateway would, through an API Gateway v2 event.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
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
import { compileRoutes } from './router.ts';

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

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const found = match(req.method ?? 'GET', path);
    if (!found) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    try {
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
      if (error instanceof BodyTooLargeError) {
        res
          .writeHead(413, { 'content-type': 'application/json' })
          .end('{"message":"Request Entity Too Large"}');
        return;
      }
      // What API Gateway answers when a function throws.
      console.error(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"Internal Server Error"}');
    }
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
