import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { readBody, toEvent, writeResult } from './apigw.ts';

/** Sends one request to a server that converts it and answers with the handler result. */
async function roundTrip(
  send: { method: string; path: string; headers?: Record<string, string>; body?: Buffer },
  answer: Parameters<typeof writeResult>[1],
): Promise<{
  event: APIGatewayProxyEventV2;
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
}> {
  let event!: APIGatewayProxyEventV2;
  const server = createServer(async (req, res) => {
    event = toEvent(req, await readBody(req), { routeKey: 'ANY /x/{id}', pathParameters: { id: '7' } });
    writeResult(res, answer);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      const req = request(
        { port, host: '127.0.0.1', method: send.method, path: send.path, headers: send.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ event, status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end(send.body);
    });
  } finally {
    server.close();
  }
}

describe('API Gateway v2 event adapter', () => {
  it('builds the event API Gateway would send', async () => {
    const { event } = await roundTrip(
      {
        method: 'POST',
        path: '/x/7?a=1&a=2&b=%20c',
        headers: { 'Content-Type': 'application/json', Cookie: 'a=1; b=2' },
        body: Buffer.from('{"q":1}'),
      },
      { statusCode: 204 },
    );
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('ANY /x/{id}');
    expect(event.rawPath).toBe('/x/7');
    expect(event.rawQueryString).toBe('a=1&a=2&b=%20c');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: ' c' });
    expect(event.pathParameters).toEqual({ id: '7' });
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.body).toBe('{"q":1}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.http.method).toBe('POST');
  });

  it("base64-encodes binary bodies (a device's CMS) and passes binary responses back", async () => {
    const binary = Buffer.from([0x30, 0x80, 0x06, 0x09, 0xff, 0x00]);
    const { event, status, headers, body } = await roundTrip(
      {
        method: 'PUT',
        path: '/x/7',
        headers: { 'content-type': 'application/pkcs7-signature' },
        body: binary,
      },
      {
        statusCode: 200,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: binary.toString('base64'),
        isBase64Encoded: true,
        cookies: ['s=1'],
      },
    );
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(binary);
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/octet-stream');
    expect(headers['set-cookie']).toEqual(['s=1']);
    expect(body).toEqual(binary);
  });

  it.each([
    ['application/x-www-form-urlencoded', true],
    ['application/graphql', true],
    [undefined, true],
    ['text/plain; charset=utf-8', false],
    ['application/json; charset=utf-8', false],
    ['application/xml', false],
  ])("splits text from binary bodies as AWS's HTTP API does (%s → base64 %s)", async (type, base64) => {
    const text = Buffer.from('a=1&b=%C3%A9');
    const { event } = await roundTrip(
      { method: 'PUT', path: '/x/7', headers: type ? { 'content-type': type } : {}, body: text },
      { statusCode: 204 },
    );
    expect(event.isBase64Encoded).toBe(base64);
    expect(Buffer.from(event.body!, base64 ? 'base64' : 'utf8')).toEqual(text);
  });

  it('answers a bare string result as JSON 200', async () => {
    const { status, body } = await roundTrip({ method: 'GET', path: '/x/7' }, '{"ok":true}');
    expect(status).toBe(200);
    expect(body.toString()).toBe('{"ok":true}');
  });
});
