/**
 * The local runtime stays up whatever a client sends: an undecodable path is API Gateway's 400, a
 * handler that throws is its 500, and the next request is served either way.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from './server.ts';

let server: LocalServer;

/** A raw request: fetch would refuse or re-encode some of the paths sent here. */
function send(method: string, path: string, headers: Record<string, string> = {}) {
  const { port } = new URL(server.url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local runtime under hostile requests', () => {
  beforeAll(async () => {
    server = await startLocalServer({
      routes: [
        { key: 'GET /items/{id}', function: 'discovery' },
        { key: 'GET /boom', function: 'auth' },
      ],
      loadHandler: async (name) =>
        name === 'auth'
          ? async () => {
              throw new Error('handler bug');
            }
          : async (event) => ({ statusCode: 200, body: JSON.stringify(event.pathParameters) }),
    });
  });
  afterAll(() => server?.close());

  it.each(['/items/%E0%A4%A', '/items/%', '/items/%zz', '/items/%C0%AF', '/items/%ED%A0%80'])(
    'answers 400 to the undecodable path %s, and keeps serving',
    async (path) => {
      expect(await send('GET', path)).toEqual({ status: 400, body: '{"message":"Bad Request"}' });
      expect(await send('GET', '/items/a%20b')).toEqual({ status: 200, body: '{"id":"a b"}' });
    },
  );

  it('answers 500 when a handler throws, and keeps serving', async () => {
    const failed = await send('GET', '/boom');
    expect(failed.status).toBe(500);
    expect(await send('GET', '/items/ok')).toEqual({ status: 200, body: '{"id":"ok"}' });
  });

  it('survives a client that goes away half-way through its body', async () => {
    const { port } = new URL(server.url);
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: '/items/cut',
        headers: { 'content-length': '100000' },
      });
      req.on('error', () => resolve());
      req.write('x'.repeat(1000), () => setTimeout(() => req.destroy(), 20));
      req.on('close', () => resolve());
    });
    expect(await send('GET', '/items/ok')).toEqual({ status: 200, body: '{"id":"ok"}' });
  });

  it('answers a request-target that is not a path without failing', async () => {
    expect((await send('GET', 'http://[::1/items/x')).status).toBeLessThan(500);
    expect((await send('GET', '*')).status).toBe(404);
    expect(await send('GET', '/items/ok')).toEqual({ status: 200, body: '{"id":"ok"}' });
  });
});
