/**
 * Node HTTP ⇄ API Gateway HTTP API (payload format 2.0). The local runtime turns each request into
 * the event API Gateway would send, calls the Lambda handler, and writes back what it returns, so
 * the handlers run unchanged locally and in AWS.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** API Gateway refuses bodies over 10 MB; Lambda's own limit is 6 MB. We keep the smaller. */
export const MAX_EVENT_BODY_BYTES = 6 * 1024 * 1024;

/**
 * Which request bodies an HTTP API (payload 2.0) hands to Lambda as text. AWS documents only "if the
 * content type of the request is binary, the body is base64-encoded"; measured against AWS (an
 * emulator's maintainers, 2026, HTTP API v2 + AWS_PROXY): text/*, application/json, application/xml
 * and application/javascript arrive as UTF-8 strings, everything else — a missing Content-Type and
 * application/x-www-form-urlencoded included — base64-encoded. Devices label their DER enrollment
 * request application/x-www-form-urlencoded (iOS 15), so it reaches the handler byte for byte.
 */
const TEXT_TYPES = /^\s*(text\/|application\/(json|xml|javascript)\s*(;|$))/i;

export interface RouteMatch {
  routeKey: string;
  pathParameters: Record<string, string>;
}

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_EVENT_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function toEvent(req: IncomingMessage, body: Buffer, match: RouteMatch): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    // API Gateway joins repeated headers with commas, and lower-cases names.
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = new Date();
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: cookies.length ? cookies : undefined,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: match.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
}

export function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string): void {
  // Format 2.0 lets a handler return a bare string: API Gateway sends it as JSON with status 200.
  if (typeof result === 'string') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(result);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? undefined
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}
