/**
 * The client side of `pnpm bench:enroll`, run in a worker thread (scripts/bench/enrollment.ts starts
 * it): its own event loop, so the load it makes is not slowed by the server's work on the main
 * thread, nor the server by it (openssl runs synchronously). Two jobs:
 * - `discovery`: N keep-alive HTTP clients (node:http, one Agent) each sending a fixed number of GETs
 *   one after the other; the same code for every target, so targets are compared like for like.
 * - `enroll`: a pool of simulated devices (test/support/device-simulator.ts), each a whole enrollment:
 *   discovery → POST → 401 → sign-in → profile → Authenticate → TokenUpdate (check-ins signed by
 *   openssl with the identity from the profile).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parentPort } from 'node:worker_threads';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { DeviceSimulator } from '../../test/support/device-simulator.ts';

export interface DiscoveryJob {
  kind: 'discovery';
  url: string;
  clients: number;
  /** Per client. */
  requestsPerClient: number;
}

export interface DiscoveryRun {
  /** One latency (ms) per request, in completion order per client. */
  latenciesMs: Float64Array;
  seconds: number;
  statuses: Record<string, number>;
  failures: number;
  /** Share of the run this worker's event loop was busy: near 1 means the client was the limit. */
  clientEventLoopUtilization: number;
}

export interface EnrollTarget {
  discoveryId: string;
  domain: string;
  passcode?: string;
}

export interface EnrollJob {
  kind: 'enroll';
  server: string;
  count: number;
  concurrency: number;
  /** Every `macEvery`-th device is an ADDE Mac (0: none). */
  macEvery: number;
  byod: EnrollTarget;
  adde: EnrollTarget;
  topic: string;
  /** A Mac's enrollment request body (signedEnrollBody), made once by the main thread. */
  macBody: Uint8Array;
}

export const ENROLL_STEPS = [
  'discovery',
  'POST → 401',
  'sign-in (page + form)',
  'POST → profile',
  'accept profile (device)',
  'Authenticate (+ openssl sign)',
  'TokenUpdate (+ openssl sign)',
] as const;
export type EnrollStep = (typeof ENROLL_STEPS)[number];

export interface EnrollRun {
  seconds: number;
  completed: number;
  iphones: number;
  macs: number;
  errors: number;
  errorSamples: string[];
  /** Per step, one duration (ms) per successful enrollment. */
  stepMs: Record<EnrollStep, number[]>;
  enrollmentMs: number[];
  clientEventLoopUtilization: number;
}

export type Job = DiscoveryJob | EnrollJob;
export type WorkerMessage =
  | { id: number; result: DiscoveryRun | EnrollRun }
  | { id: number; error: string }
  | { id: number; progress: number };

function get(agent: Agent, url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: 'GET' }, (res) => {
      res.on('data', () => {});
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

async function discoveryLoad(job: DiscoveryJob): Promise<DiscoveryRun> {
  const url = new URL(job.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to load ${url.hostname}: 127.0.0.1 only`);
  const agent = new Agent({ keepAlive: true, maxSockets: job.clients });
  const latencies = new Float64Array(job.clients * job.requestsPerClient);
  const statuses: Record<string, number> = {};
  let failures = 0;
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.clients }, async (_, c) => {
      for (let i = 0; i < job.requestsPerClient; i++) {
        const t = performance.now();
        let status: number;
        try {
          status = await get(agent, url);
        } catch {
          status = 0;
          failures++;
        }
        latencies[c * job.requestsPerClient + i] = performance.now() - t;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = performance.eventLoopUtilization(elu);
  agent.destroy();
  return {
    latenciesMs: latencies,
    seconds,
    statuses,
    failures,
    clientEventLoopUtilization: used.utilization,
  };
}

async function enrollLoad(job: EnrollJob, progress: (done: number) => void): Promise<EnrollRun> {
  if (new URL(job.server).hostname !== '127.0.0.1') throw new Error('127.0.0.1 only');
  const iphoneBody = readFileSync(ENROLL_CAPTURE_PATH);
  const macBody = Buffer.from(job.macBody);
  const stepMs = Object.fromEntries(ENROLL_STEPS.map((s) => [s, [] as number[]])) as Record<
    EnrollStep,
    number[]
  >;
  const enrollmentMs: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let completed = 0;
  let iphones = 0;
  let macs = 0;

  const enrollOne = async (i: number) => {
    const mac = job.macEvery > 0 && i % job.macEvery === job.macEvery - 1;
    const target = mac ? job.adde : job.byod;
    const device = new DeviceSimulator(job.server, mac ? macBody : iphoneBody, mac ? 'Mac' : 'iPhone', {
      verifyProfileSignature: false,
    });
    const user = `device${i}@${target.domain}`;
    const times: Partial<Record<EnrollStep, number>> = {};
    const step = async <T>(name: EnrollStep, fn: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      const value = await fn();
      times[name] = performance.now() - t;
      return value;
    };
    const expect = (what: string, actual: number, expected: number) => {
      if (actual !== expected) throw new Error(`${what} answered ${actual}, expected ${expected}`);
    };
    const started = performance.now();
    try {
      const discovered = await step('discovery', () => device.discover(target.discoveryId, user));
      expect('discovery', discovered.status, 200);
      const baseUrl = discovered.body.Servers?.[0]?.BaseURL ?? '';
      const challenge = await step('POST → 401', async () => {
        const response = await device.enroll(baseUrl);
        await response.arrayBuffer();
        return response;
      });
      expect('first enrollment POST', challenge.status, 401);
      const challengeUrl = /url="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
      if (!challengeUrl) throw new Error('no apple-as-web challenge URL');
      await step('sign-in (page + form)', () => device.signIn(challengeUrl, user, target.passcode));
      const der = await step('POST → profile', async () => {
        const response = await device.enroll(baseUrl);
        const body = Buffer.from(await response.arrayBuffer());
        expect('second enrollment POST', response.status, 200);
        return body;
      });
      const profile = await step('accept profile (device)', () => device.acceptProfile(der));
      if (profile.mdm.EnrollmentMode !== (mac ? 'ADDE' : 'BYOD'))
        throw new Error(`profile EnrollmentMode ${String(profile.mdm.EnrollmentMode)}`);
      const ids = mac
        ? { UDID: crypto.randomUUID().toUpperCase() }
        : { EnrollmentID: crypto.randomUUID().toUpperCase() };
      // macOS sends the bearer only on the user channel: the device channel goes without.
      const options = { bearer: !mac };
      const authenticate = await step('Authenticate (+ openssl sign)', () =>
        device.checkIn(
          mac
            ? {
                MessageType: 'Authenticate',
                Topic: job.topic,
                ...ids,
                SerialNumber: `C02${i.toString(36).toUpperCase().padStart(8, '0')}`,
                Model: 'Mac15,3',
                ModelName: 'MacBook Pro',
                OSVersion: '15.0',
                BuildVersion: '24A335',
                DeviceName: `Mac ${i}`,
              }
            : {
                MessageType: 'Authenticate',
                Topic: job.topic,
                ...ids,
                OSVersion: '15.7',
                BuildVersion: '19H12',
                ProductName: 'iPhone12,1',
              },
          options,
        ),
      );
      expect('Authenticate', authenticate.status, 200);
      const tokenUpdate = await step('TokenUpdate (+ openssl sign)', () =>
        device.checkIn(
          {
            MessageType: 'TokenUpdate',
            Topic: job.topic,
            ...ids,
            Token: Buffer.from(crypto.getRandomValues(new Uint8Array(32))),
            PushMagic: crypto.randomUUID(),
          },
          options,
        ),
      );
      expect('TokenUpdate', tokenUpdate.status, 200);
      enrollmentMs.push(performance.now() - started);
      for (const name of ENROLL_STEPS) stepMs[name].push(times[name]!);
      if (mac) macs++;
      else iphones++;
    } catch (error) {
      errors++;
      if (errorSamples.length < 10)
        errorSamples.push(`#${i} (${mac ? 'Mac' : 'iPhone'}): ${(error as Error).message}`);
    } finally {
      completed++;
      if (completed % 50 === 0) progress(completed);
    }
  };

  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  // The first enrollment alone: it makes the tenant's CA and signing certificate, once.
  await enrollOne(0);
  let next = 1;
  await Promise.all(
    Array.from({ length: Math.min(job.concurrency, job.count - 1) }, async () => {
      while (next < job.count) await enrollOne(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    completed,
    iphones,
    macs,
    errors,
    errorSamples,
    stepMs,
    enrollmentMs,
    clientEventLoopUtilization: performance.eventLoopUtilization(elu).utilization,
  };
}

const port = parentPort;
if (port) {
  port.on('message', async (message: { id: number; job: Job }) => {
    const { id, job } = message;
    try {
      const result =
        job.kind === 'discovery'
          ? await discoveryLoad(job)
          : await enrollLoad(job, (done) => port.postMessage({ id, progress: done } satisfies WorkerMessage));
      port.postMessage({ id, result } satisfies WorkerMessage);
    } catch (error) {
      port.postMessage({ id, error: (error as Error).stack ?? String(error) } satisfies WorkerMessage);
    }
  });
  port.postMessage({ id: 0, progress: 0 } satisfies WorkerMessage); // ready
}
