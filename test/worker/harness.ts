/**
 * Runs the generated Cloudflare Worker (hosting.ts) in real workerd through Miniflare and compares
 * what a device gets through it with what it gets from our discovery route directly. The discovery URL
 * is whatever serves `GET …/mdm/enrollment/servicediscovery/{discoveryId}`: a stand-in server today, the
 * local runtime (`startLocalServer`) once the route exists — nothing here depends on which.
 *
 * workerd makes real outbound requests; Miniflare's default network allows private addresses
 * (`allow: ["public", "private", …]`), so a Worker can reach 127.0.0.1 without extra options.
 */
import { cloudflareWorkerScript, WELL_KNOWN_PATH } from '@ade/core/discovery/hosting';
import { Miniflare } from 'miniflare';

/** A date the bundled workerd supports; a customer deploying today gets at least this behaviour. */
export const COMPATIBILITY_DATE = '2026-07-01';
/** The customer's zone a device asks (docs/protocol/overview.md#the-flow-step-by-step, step 2). */
export const CUSTOMER_ORIGIN = 'https://example.com';

export interface Captured {
  status: number;
  contentType: string | null;
  body: string;
}

interface RunningWorker {
  mf: Miniflare;
  /** From new Miniflare() until workerd is up and listening (mf.ready), in milliseconds. */
  startupMs: number;
}

const workers = new Map<string, Promise<RunningWorker>>();

/** The Worker generated for `discoveryUrl`, started once and kept until disposeWorkers(). */
export function workerFor(discoveryUrl: string): Promise<RunningWorker> {
  let worker = workers.get(discoveryUrl);
  if (!worker) {
    worker = (async () => {
      const started = performance.now();
      const mf = new Miniflare({
        modules: true,
        script: cloudflareWorkerScript(discoveryUrl),
        compatibilityDate: COMPATIBILITY_DATE,
      });
      await mf.ready;
      return { mf, startupMs: performance.now() - started };
    })();
    workers.set(discoveryUrl, worker);
  }
  return worker;
}

/** Sends any request to the Worker as if it arrived at the customer's zone. */
export async function dispatchToWorker(
  discoveryUrl: string,
  url: string,
  init?: RequestInit,
): Promise<Captured> {
  const { mf } = await workerFor(discoveryUrl);
  const response = await mf.dispatchFetch(url, init as never);
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

/**
 * The device's well-known request through the Worker, and the same query sent to the discovery URL
 * directly. `query` is the raw query string (with or without "?"), passed on unchanged.
 */
export async function compareWorkerWithDirect(
  discoveryUrl: string,
  query: string,
): Promise<{ worker: Captured; direct: Captured }> {
  const search = query && !query.startsWith('?') ? `?${query}` : query;
  const worker = await dispatchToWorker(discoveryUrl, `${CUSTOMER_ORIGIN}${WELL_KNOWN_PATH}${search}`);
  const response = await fetch(`${discoveryUrl}${search}`);
  const direct = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
  return { worker, direct };
}

export async function disposeWorkers(): Promise<void> {
  const running = [...workers.values()];
  workers.clear();
  await Promise.all(running.map(async (worker) => (await worker).mf.dispose()));
}
