/**
 * A stand-in for our runtime's discovery route on 127.0.0.1 (random port): answers
 * `GET /mdm/enrollment/servicediscovery/{discoveryId}` with discoveryAnswer() for a few test
 * configurations, and plays the customer's origin for every other path (so a Worker's fall-through
 * `fetch(request)` lands here too). It records each request's method and raw URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DiscoverableConfiguration, discoveryAnswer, discoveryUrl } from '@ade/core/discovery/answer';

export interface StandIn {
  publicUrl: string;
  discoveryUrlOf(discoveryId: string): string;
  /** `METHOD /raw/path?raw=query` of every request received, oldest first. */
  received: string[];
  close(): Promise<void>;
}

const PREFIX = '/mdm/enrollment/servicediscovery/';

export async function startStandIn(configurations: DiscoverableConfiguration[]): Promise<StandIn> {
  const received: string[] = [];
  let publicUrl = '';
  const server = createServer((request, response) => {
    const raw = request.url ?? '/';
    received.push(`${request.method} ${raw}`);
    const url = new URL(raw, publicUrl);
    if (request.method === 'GET' && url.pathname.startsWith(PREFIX)) {
      const id = url.pathname.slice(PREFIX.length);
      const config = configurations.find((c) => c.discoveryId === id) ?? null;
      const query = {
        userIdentifier: url.searchParams.get('user-identifier'),
        modelFamily: url.searchParams.get('model-family'),
      };
      const answer = discoveryAnswer(config, query, publicUrl);
      response.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body));
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(`origin: ${request.method} ${url.pathname}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    publicUrl,
    discoveryUrlOf: (discoveryId) => discoveryUrl(publicUrl, discoveryId),
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
