/**
 * The generated Cloudflare Worker (packages/core/src/discovery/hosting.ts) in real workerd: a device's
 * well-known request through it must get exactly what our discovery route answers directly (status,
 * JSON body, Content-Type), with the device's query string passed on byte for byte; everything else
 * must reach the customer's origin untouched (docs/protocol/discovery.md).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DiscoverableConfiguration } from '@ade/core/discovery/answer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWorkerWithDirect, dispatchToWorker, disposeWorkers, workerFor } from './harness.ts';
import { type StandIn, startStandIn } from './stand-in.ts';

const USER: DiscoverableConfiguration = {
  discoveryId: '01JUSERCONFIGURATIONDISCOVERYID0',
  enrollmentType: 'USER',
  enabled: true,
  domains: ['example.com', 'xn--bcher-kva.example'],
};
const DEVICE: DiscoverableConfiguration = {
  ...USER,
  discoveryId: '01JDEVICECONFIGURATIONDISCOVERY0',
  enrollmentType: 'DEVICE',
};
const DISABLED: DiscoverableConfiguration = {
  ...USER,
  discoveryId: '01JDISABLEDCONFIGURATIONDISCOV0',
  enabled: false,
};

let standIn: StandIn;
let userUrl: string;

beforeAll(async () => {
  standIn = await startStandIn([USER, DEVICE, DISABLED]);
  userUrl = standIn.discoveryUrlOf(USER.discoveryId);
  const { startupMs } = await workerFor(userUrl);
  const first = performance.now();
  await dispatchToWorker(userUrl, `${standIn.publicUrl}/warm-up`);
  console.info(
    `Miniflare/workerd startup ${startupMs.toFixed(0)} ms, first request ${(performance.now() - first).toFixed(0)} ms`,
  );
});

afterAll(async () => {
  await disposeWorkers();
  await standIn?.close();
});

describe('Cloudflare Worker in workerd: forwarded discovery equals the direct answer', () => {
  const cases: [string, string, number, string | null][] = [
    ['allowed user on an iPhone', 'user-identifier=alice%40example.com&model-family=iPhone', 200, 'mdm-byod'],
    ['user of another domain', 'user-identifier=eve%40example.org&model-family=iPhone', 403, 'DOMAIN'],
    ['an Apple TV', 'user-identifier=alice%40example.com&model-family=AppleTV', 403, 'AppleTV'],
    ['a Watch', 'user-identifier=alice%40example.com&model-family=Watch', 403, 'Watch'],
    [
      'IDN domain, percent-encoded UTF-8',
      'user-identifier=bob%40B%C3%BCcher.example&model-family=iPad',
      200,
      'mdm-byod',
    ],
    ['"+" in the identifier, raw', 'user-identifier=alice+tag@example.com&model-family=Mac', 200, 'mdm-byod'],
    [
      '"+" in the identifier, encoded',
      'user-identifier=alice%2Btag%40example.com&model-family=Mac',
      200,
      'mdm-byod',
    ],
    [
      '"@" inside the name (last @ wins)',
      'user-identifier=%22a%40b%22%40example.com&model-family=RealityDevice',
      200,
      'mdm-byod',
    ],
    ['no model-family', 'user-identifier=alice%40example.com', 403, 'model-family'],
    ['no query at all', '', 403, 'user-identifier'],
    [
      'parameters in the other order',
      'model-family=iPhone&user-identifier=alice%40example.com',
      200,
      'mdm-byod',
    ],
  ];

  it.each(cases)('%s', async (_name, query, status, marker) => {
    const before = standIn.received.length;
    const { worker, direct } = await compareWorkerWithDirect(userUrl, query);
    expect(worker).toEqual(direct);
    expect(worker.status).toBe(status);
    expect(worker.contentType).toBe('application/json');
    const body = JSON.parse(worker.body);
    if (status === 200) {
      expect(body).toEqual({
        Servers: [{ Version: marker, BaseURL: `${userUrl}/userenroll` }],
      });
    } else {
      expect(body.code).toBe('com.apple.well-known.failed');
      expect(`${body.description} ${body.message}`).toContain(marker === 'DOMAIN' ? 'domain' : marker);
    }
    // Both requests reached our route with the device's query string unchanged (the Worker first).
    const path = new URL(userUrl).pathname + (query ? `?${query}` : '');
    expect(standIn.received.slice(before)).toEqual([`GET ${path}`, `GET ${path}`]);
  });

  it('answers a DEVICE configuration with mdm-adde through its own Worker', async () => {
    const url = standIn.discoveryUrlOf(DEVICE.discoveryId);
    const { worker, direct } = await compareWorkerWithDirect(
      url,
      'user-identifier=carol%40example.com&model-family=Mac',
    );
    expect(worker).toEqual(direct);
    expect(JSON.parse(worker.body).Servers).toEqual([
      { Version: 'mdm-adde', BaseURL: `${url}/deviceenroll` },
    ]);
  });

  it('passes on the refusal of a disabled configuration', async () => {
    const url = standIn.discoveryUrlOf(DISABLED.discoveryId);
    const { worker, direct } = await compareWorkerWithDirect(
      url,
      'user-identifier=alice%40example.com&model-family=iPhone',
    );
    expect(worker).toEqual(direct);
    expect(worker.status).toBe(403);
  });
});

describe('Cloudflare Worker in workerd: everything else goes to the origin', () => {
  it.each([
    ['GET', '/index.html'],
    ['GET', '/.well-known/com.apple.remotemanagement/extra'],
    ['GET', '/.well-known/com.apple.remotemanagementX?user-identifier=a%40example.com'],
    ['GET', '/.well-known/apple-app-site-association'],
    ['POST', '/.well-known/com.apple.remotemanagement?user-identifier=a%40example.com'],
    ['HEAD', '/.well-known/com.apple.remotemanagement'],
  ])('%s %s is not forwarded', async (method, path) => {
    const before = standIn.received.length;
    // The stand-in plays the customer's origin here, so the Worker's fetch(request) lands on it.
    const response = await dispatchToWorker(userUrl, `${standIn.publicUrl}${path}`, {
      method,
      body: method === 'POST' ? 'x' : undefined,
    });
    expect(response.status).toBe(200);
    if (method !== 'HEAD')
      expect(response.body).toBe(`origin: ${method} ${new URL(path, 'http://x').pathname}`);
    expect(standIn.received.slice(before)).toEqual([`${method} ${path}`]);
  });
});

describe('Cloudflare Worker in workerd: our service unreachable', () => {
  it('answers 502, so iOS 18.2+/macOS 15.2+/visionOS 2.2+ devices fall back to ABM/ASM (docs/protocol/discovery.md#refusals-and-errors)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}/mdm/enrollment/servicediscovery/${USER.discoveryId}`;
    const response = await dispatchToWorker(
      url,
      'https://example.com/.well-known/com.apple.remotemanagement?user-identifier=alice%40example.com',
    );
    expect(response.status).toBe(502);
  });
});
