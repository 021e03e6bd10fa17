/**
 * `pnpm bench:enroll`: device enrollment through the local runtime, every route served by its real
 * handler (as test/e2e/device-enrollment.test.ts), over HTTP on 127.0.0.1, DynamoDB Local in memory.
 *
 * 1. Discovery throughput: the local runtime vs a bare `node:http` server answering the same JSON,
 *    in one run, alternating, with the same client (keep-alive node:http clients in a worker thread,
 *    scripts/bench/enrollment-devices.ts): req/s, p50/p99 and the ratio (target ≥ 0.5).
 * 2. DynamoDB requests (core's counter; the handlers run in this process on this core): per
 *    discovery uncached (≤ 1) and cached (0), per step of whole enrollments (BYOD iPhone, first of
 *    its tenant and warm; ADDE Mac), per check-in (Authenticate, TokenUpdate ≤ 2 each).
 * 3. Load: `--enrollments` (1,000) whole enrollments, `--concurrency` (20) at a time, by the device
 *    simulator in the worker thread (iPhones from the real capture, every `--mac-every`-th an ADDE
 *    Mac; profile signatures not re-verified by openssl, check-ins signed by openssl), into a tenant
 *    of its own; then the tenant's devices counted through GraphQL (must equal the enrollments).
 *
 * Options: --clients N (10), --requests N (per client per round, 1000), --rounds N (2), --warmup N
 * (per client, 200), --enrollments N (1000), --concurrency N (20), --mac-every N (4; 0 = iPhones only).
 * Result: .artifacts/bench/enrollment.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { type Actor, type Core, createCore, createDatabase, type DeviceCore, runAs } from '@ade/core';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import type { FunctionName, LambdaHandler } from '@ade/functions';
import { type DynamoLocal, startDynamoLocal } from '@ade/local/dynamodb-local';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { makePushCertificate } from '../../test/support/apple.ts';
import { DeviceSimulator, signedEnrollBody } from '../../test/support/device-simulator.ts';
import { localHandlers, wireDeviceCore } from '../../test/support/handlers.ts';
import {
  environment,
  percentile,
  processTreeCpuSeconds,
  round,
  runWithDeadline,
  summarize,
  table,
  verdict,
  wholeNumberOption,
  writeResult,
} from './common.ts';
import {
  type DiscoveryJob,
  type DiscoveryRun,
  ENROLL_STEPS,
  type EnrollJob,
  type EnrollRun,
  type WorkerMessage,
} from './enrollment-devices.ts';

const TARGETS = {
  discoveryRatio: 0.5,
  discoveryUncachedRequests: 1,
  discoveryCachedRequests: 0,
  checkinRequests: 2,
  loadErrors: 0,
};
const TABLE_NAME = 'ade-bench-enrollment';
const PUBLIC_URL = 'https://mdm.bench.example';
/** The whole run stops itself (exit code 1) after this; DynamoDB Local's watchdog follows the process. */
const DEADLINE_MS = 12 * 60_000;

const config = {
  clients: Math.max(1, wholeNumberOption('clients', 10, 0)),
  requestsPerClient: Math.max(1, wholeNumberOption('requests', 1000, 0)),
  rounds: Math.max(1, wholeNumberOption('rounds', 2, 0)),
  warmupPerClient: wholeNumberOption('warmup', 200, 0),
  enrollments: Math.max(1, wholeNumberOption('enrollments', 1000, 0)),
  concurrency: Math.max(1, wholeNumberOption('concurrency', 20, 0)),
  macEvery: wholeNumberOption('mac-every', 4, 0),
};

const system: Actor = { kind: 'system', role: 'ADMIN', name: 'bench' };

// ---------------------------------------------------------------- the worker thread (load client)

/** Starts scripts/bench/enrollment-devices.ts in a worker; tsx's loader is registered inside it. */
function startClientWorker() {
  const entry = new URL('./enrollment-devices.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(
    `import(${JSON.stringify(api)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`,
    { eval: true },
  );
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; progress?: (n: number) => void }
  >();
  let failed: Error | undefined;
  const failAll = (error: Error) => {
    failed = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  worker.on('message', (message: WorkerMessage) => {
    if (message.id === 0) return markReady();
    const p = pending.get(message.id);
    if (!p) return;
    if ('progress' in message) p.progress?.(message.progress);
    else if ('error' in message) {
      pending.delete(message.id);
      p.reject(new Error(`client worker: ${message.error}`));
    } else {
      pending.delete(message.id);
      p.resolve(message.result);
    }
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`client worker exited (${code})`)));
  const call = async <R>(job: DiscoveryJob | EnrollJob, progress?: (n: number) => void): Promise<R> => {
    await Promise.race([
      ready,
      new Promise((_, reject) => {
        if (failed) reject(failed);
        worker.once('error', reject);
        worker.once('exit', () => reject(new Error('client worker exited')));
      }),
    ]);
    return new Promise<R>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress });
      worker.postMessage({ id, job });
    });
  };
  return { call, terminate: () => worker.terminate() };
}

// ---------------------------------------------------------------- servers

/** The same local runtime as `pnpm dev`, with real handlers over this core, timed per function. */
async function startRuntime(core: Core) {
  const device = await wireDeviceCore(core);
  const handlers: Record<FunctionName, LambdaHandler> = localHandlers(core, device);
  /** Server-side milliseconds per "function status" (e.g. "enroll 200"), while `recording`. */
  const timings = new Map<string, number[]>();
  const timing = { recording: false, timings };
  const timed =
    (name: FunctionName, handler: LambdaHandler): LambdaHandler =>
    async (event, context) => {
      const started = performance.now();
      const result = await handler(event, context);
      if (timing.recording) {
        const status = result.statusCode ?? 200;
        const key = `${name} ${event.requestContext.http.method} → ${status}`;
        const list = timings.get(key) ?? [];
        if (list.length === 0) timings.set(key, list);
        list.push(performance.now() - started);
      }
      return result;
    };
  const server = await startLocalServer({
    host: '127.0.0.1',
    port: 0,
    loadHandler: async (name) => timed(name, handlers[name]),
  });
  if (!server.url.startsWith('http://127.0.0.1:')) throw new Error(`not on 127.0.0.1: ${server.url}`);
  return { server, timing, device };
}

/** A bare node:http server answering every request with the given status, headers and body. */
async function startBareServer(
  status: number,
  headers: Record<string, string>,
  body: string,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const payload = Buffer.from(body);
  const server = createServer((_req, res) => {
    res.writeHead(status, headers).end(payload);
  });
  server.keepAliveTimeout = 5_000; // as the local runtime
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------- fixtures

interface BenchTenant {
  tenantId: string;
  adminKey: string;
  topic: string;
  byod: { discoveryId: string; domain: string };
  adde: { discoveryId: string; domain: string; passcode: string };
}

/** A tenant with a push certificate and two enabled configurations: USER (Managed Apple Account), DEVICE (passcode). */
async function createBenchTenant(core: Core, name: string): Promise<BenchTenant> {
  const { tenant, key, actor } = await runAs(system, async () => {
    const { partner } = await core.partners.create({ name: `${name} MSP`, firstKeyName: null });
    const tenant = await core.tenants.create({ name }, partner.partnerId);
    const key = await core.apiKeys.createFor(tenant.tenantId, { name: 'bench admin', role: 'ADMIN' });
    return { tenant, key, actor: await core.apiKeys.authenticate(key.secret) };
  });
  const inTenant = <T>(fn: () => Promise<T>) =>
    runAs(actor, () => core.tenancy.inTenant(tenant.tenantId, fn));
  const push = makePushCertificate();
  await inTenant(() =>
    core.pushCertificates.upload({ certificatePem: push.certificatePem, privateKeyPem: push.privateKeyPem }),
  );
  const slug = tenant.tenantId.slice(-6).toLowerCase();
  const configure = async (enrollmentType: 'USER' | 'DEVICE', domain: string, passcode?: string) => {
    const policy = await inTenant(() =>
      core.policies.create({ parentId: tenant.rootPolicyId, name: `${enrollmentType} devices` }),
    );
    const { item } = await inTenant(() =>
      core.adeConfigurations.set({
        policyId: policy.policyId,
        enrollmentType,
        domains: [domain],
        authMethod: passcode ? 'PASSCODE' : 'MANAGED_APPLE_ACCOUNT',
        passcode,
        enabled: true,
      }),
    );
    return item.discoveryId;
  };
  const byodDomain = `byod-${slug}.bench.example`;
  const addeDomain = `adde-${slug}.bench.example`;
  const passcode = '482916';
  return {
    tenantId: tenant.tenantId,
    adminKey: key.secret,
    topic: push.topic,
    byod: { discoveryId: await configure('USER', byodDomain), domain: byodDomain },
    adde: { discoveryId: await configure('DEVICE', addeDomain, passcode), domain: addeDomain, passcode },
  };
}

// ---------------------------------------------------------------- measurements

interface StepCount {
  step: string;
  status: number;
  requests: number;
  byCommand: Record<string, number>;
  ms: number;
}

const commands = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([c, n]) => `${c.replace(/Command$/, '')}×${n}`)
    .join(' + ') || '—';

/** One whole enrollment, step by step, each step's DynamoDB requests counted on its own. */
async function countedEnrollment(
  core: Core,
  deviceCore: DeviceCore,
  serverUrl: string,
  tenant: BenchTenant,
  kind: 'iPhone' | 'Mac',
  macBody: Buffer,
  user: string,
): Promise<StepCount[]> {
  const mac = kind === 'Mac';
  const target = mac ? tenant.adde : tenant.byod;
  const device = new DeviceSimulator(serverUrl, mac ? macBody : readFileSync(ENROLL_CAPTURE_PATH), kind);
  const steps: StepCount[] = [];
  const count = async <T>(
    step: string,
    expected: number,
    fn: () => Promise<T>,
    statusOf: (value: T) => number,
  ): Promise<T> => {
    core.db.requests.reset();
    const started = performance.now();
    const value = await fn();
    const ms = performance.now() - started;
    const status = statusOf(value);
    if (status !== expected) throw new Error(`${kind} ${step}: answered ${status}, expected ${expected}`);
    steps.push({
      step,
      status,
      requests: core.db.requests.total(),
      byCommand: { ...core.db.requests.byCommand },
      ms: round(ms, 1),
    });
    return value;
  };
  deviceCore.discovery.clearCache();
  const discovered = await count(
    'discovery (uncached)',
    200,
    () => device.discover(target.discoveryId, user),
    (r) => r.status,
  );
  const baseUrl = discovered.body.Servers![0]!.BaseURL;
  const challenge = await count(
    'POST → 401 challenge',
    401,
    async () => {
      const r = await device.enroll(baseUrl);
      await r.arrayBuffer();
      return r;
    },
    (r) => r.status,
  );
  // The simulator's signIn, split in its two requests so each is counted.
  const challengeUrl = new URL(/url="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')![1]!);
  const pageUrl = `${serverUrl}${challengeUrl.pathname}`;
  const page = await count(
    'auth page GET',
    200,
    async () => {
      const r = await fetch(`${pageUrl}?user-identifier=${encodeURIComponent(user)}`);
      return { status: r.status, text: await r.text(), cookie: r.headers.get('set-cookie') };
    },
    (r) => r.status,
  );
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const form = await count(
    'form POST → 308',
    308,
    async () => {
      const r = await fetch(pageUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: page.cookie?.split(';')[0] ?? '',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          csrf,
          'user-identifier': user,
          ...(mac ? { passcode: tenant.adde.passcode } : {}),
        }),
      });
      await r.arrayBuffer();
      return r;
    },
    (r) => r.status,
  );
  device.token = new URL(form.headers.get('location')!).searchParams.get('access-token');
  const der = await count(
    'POST → profile',
    200,
    async () => {
      const r = await device.enroll(baseUrl);
      return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
    },
    (r) => r.status,
  );
  // Full device-side check here (openssl verification and Apple's schema): not counted, no server.
  const profile = device.acceptProfile(der.body);
  if (!profile.signerSubject.includes('MDM profile signing'))
    throw new Error(`profile signed by ${profile.signerSubject}`);
  const ids = mac
    ? { UDID: crypto.randomUUID().toUpperCase() }
    : { EnrollmentID: crypto.randomUUID().toUpperCase() };
  const options = { bearer: !mac };
  await count(
    'check-in Authenticate',
    200,
    () =>
      device.checkIn(
        mac
          ? {
              MessageType: 'Authenticate',
              Topic: tenant.topic,
              ...ids,
              SerialNumber: 'C02BENCH0001',
              Model: 'Mac15,3',
              OSVersion: '15.0',
              BuildVersion: '24A335',
            }
          : {
              MessageType: 'Authenticate',
              Topic: tenant.topic,
              ...ids,
              OSVersion: '15.7',
              BuildVersion: '19H12',
              ProductName: 'iPhone12,1',
            },
        options,
      ),
    (r) => r.status,
  );
  // The first TokenUpdate completes the enrollment and queues what the device's policy holds
  // (issue 5): it reads the policy chain and its payloads. Later ones (token renewals) are plain.
  for (const step of [
    'check-in first TokenUpdate (completes enrollment, queues payloads)',
    'check-in TokenUpdate',
  ])
    await count(
      step,
      200,
      () =>
        device.checkIn(
          {
            MessageType: 'TokenUpdate',
            Topic: tenant.topic,
            ...ids,
            Token: Buffer.from('a1b2c3d4', 'hex'),
            PushMagic: crypto.randomUUID(),
          },
          options,
        ),
      (r) => r.status,
    );
  return steps;
}

/** Every device of the tenant through GraphQL over HTTP, 100 a page. */
async function countDevices(serverUrl: string, tenant: BenchTenant) {
  const query = `query($t: ID!, $after: String) { tenant(id: $t) { devices(first: 100, after: $after) { nodes { id status enrollmentType platform } pageInfo { hasNextPage endCursor } } } }`;
  interface Page {
    data?: {
      tenant: {
        devices: {
          nodes: { id: string; status: string; enrollmentType: string; platform: string }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
    };
    errors?: unknown[];
  }
  const ids = new Set<string>();
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  let pages = 0;
  let after: string | null = null;
  for (;;) {
    const response = await fetch(`${serverUrl}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { t: tenant.tenantId, after } }),
    });
    const body = (await response.json()) as Page;
    if (response.status !== 200 || body.errors || !body.data)
      throw new Error(`GraphQL answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
    pages++;
    const connection = body.data.tenant.devices;
    for (const node of connection.nodes) {
      ids.add(node.id);
      byStatus[node.status] = (byStatus[node.status] ?? 0) + 1;
      const type = `${node.enrollmentType} ${node.platform}`;
      byType[type] = (byType[type] ?? 0) + 1;
    }
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return { devices: ids.size, pages, byStatus, byType };
}

function latencySummary(samples: ArrayLike<number>) {
  const list = Array.from(samples);
  return {
    n: list.length,
    p50: round(percentile(list, 50), 3),
    p90: round(percentile(list, 90), 3),
    p99: round(percentile(list, 99), 3),
    max: round(Math.max(...list), 3),
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const env = environment();
  const runStarted = performance.now();
  let dynamo: DynamoLocal | undefined;
  let runtime: LocalServer | undefined;
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  let client: ReturnType<typeof startClientWorker> | undefined;
  let core: Core | undefined;
  try {
    console.log('Starting DynamoDB Local, the local runtime and the client worker…');
    dynamo = await startDynamoLocal();
    const db = createDatabase({ tableName: TABLE_NAME, endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    const c = createCore(db, {
      keys: ephemeralKeyManagement(),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: PUBLIC_URL,
    });
    core = c;
    client = startClientWorker();
    const started = await startRuntime(core);
    runtime = started.server;
    const { timing } = started;
    const serverUrl = runtime.url;

    const measured = await createBenchTenant(core, 'Bench measured');
    const loadTenant = await createBenchTenant(core, 'Bench load');
    const macBody = signedEnrollBody({ PRODUCT: 'Mac15,3', VERSION: '24A335' });

    // ---------------------------------------------------------- 1. discovery throughput
    const discoveryUrl = `${serverUrl}/mdm/enrollment/servicediscovery/${measured.byod.discoveryId}?user-identifier=${encodeURIComponent(`alice@${measured.byod.domain}`)}&model-family=iPhone`;
    const sample = await fetch(discoveryUrl);
    const sampleBody = await sample.text();
    if (sample.status !== 200) throw new Error(`discovery answered ${sample.status}: ${sampleBody}`);
    const sameHeaders = {
      'content-type': sample.headers.get('content-type') ?? 'application/json',
      'cache-control': sample.headers.get('cache-control') ?? 'no-store',
    };
    bare = await startBareServer(200, sameHeaders, sampleBody);
    const bareUrl = `${bare.url}${new URL(discoveryUrl).pathname}${new URL(discoveryUrl).search}`;
    const bareCheck = await fetch(bareUrl);
    if ((await bareCheck.text()) !== sampleBody) throw new Error('the bare server answers other bytes');

    const targets = [
      { name: 'local runtime (discovery handler)', key: 'runtime' as const, url: discoveryUrl },
      { name: 'bare node:http, same JSON', key: 'bare' as const, url: bareUrl },
    ];
    const runs: {
      target: 'runtime' | 'bare';
      round: number;
      run: DiscoveryRun;
      serverEventLoopUtilization: number;
    }[] = [];
    console.log(
      `Discovery: ${config.clients} keep-alive clients × ${config.requestsPerClient} requests × ${config.rounds} rounds per target (+ ${config.warmupPerClient} warm-up each)…`,
    );
    for (const target of targets)
      if (config.warmupPerClient > 0)
        await client.call<DiscoveryRun>({
          kind: 'discovery',
          url: target.url,
          clients: config.clients,
          requestsPerClient: config.warmupPerClient,
        });
    for (let r = 0; r < config.rounds; r++) {
      // Alternate the order, so neither target always runs first.
      for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
        const elu = performance.eventLoopUtilization();
        const run = await client.call<DiscoveryRun>({
          kind: 'discovery',
          url: target.url,
          clients: config.clients,
          requestsPerClient: config.requestsPerClient,
        });
        const serverEventLoopUtilization = performance.eventLoopUtilization(elu).utilization;
        if (run.failures > 0 || Object.keys(run.statuses).some((s) => s !== '200'))
          throw new Error(
            `${target.name}: answers ${JSON.stringify(run.statuses)}, ${run.failures} failures`,
          );
        runs.push({ target: target.key, round: r + 1, run, serverEventLoopUtilization });
      }
    }
    const discoveryTargets = targets.map((target) => {
      const mine = runs.filter((x) => x.target === target.key);
      const latencies = mine.flatMap((x) => Array.from(x.run.latenciesMs));
      const seconds = mine.reduce((sum, x) => sum + x.run.seconds, 0);
      return {
        target: target.name,
        key: target.key,
        requests: latencies.length,
        requestsPerSecond: round(latencies.length / seconds, 0),
        latencyMs: latencySummary(latencies),
        perRound: mine.map((x) => ({
          round: x.round,
          requestsPerSecond: round(x.run.latenciesMs.length / x.run.seconds, 0),
          p50Ms: round(percentile(Array.from(x.run.latenciesMs), 50), 3),
          p99Ms: round(percentile(Array.from(x.run.latenciesMs), 99), 3),
          serverEventLoopUtilization: round(x.serverEventLoopUtilization, 2),
          clientEventLoopUtilization: round(x.run.clientEventLoopUtilization, 2),
        })),
      };
    });
    const runtimeRate = discoveryTargets[0]!.requestsPerSecond;
    const bareRate = discoveryTargets[1]!.requestsPerSecond;
    const discovery = {
      url: '/mdm/enrollment/servicediscovery/{id}?user-identifier=…&model-family=iPhone (USER, enabled, cached)',
      responseBytes: Buffer.byteLength(sampleBody),
      clients: config.clients,
      requestsPerClientPerRound: config.requestsPerClient,
      rounds: config.rounds,
      warmupPerClient: config.warmupPerClient,
      targets: discoveryTargets,
      ratio: round(runtimeRate / bareRate, 3),
      target: TARGETS.discoveryRatio,
      withinTarget: runtimeRate / bareRate >= TARGETS.discoveryRatio,
    };
    console.log(
      `\n${table(
        ['discovery target', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'server busy', 'client busy'],
        discoveryTargets.map((t) => [
          t.target,
          t.requests,
          t.requestsPerSecond,
          t.latencyMs.p50,
          t.latencyMs.p99,
          t.perRound.map((r) => r.serverEventLoopUtilization).join('/'),
          t.perRound.map((r) => r.clientEventLoopUtilization).join('/'),
        ]),
      )}`,
    );
    console.log(
      `runtime / bare = ${discovery.ratio} (target ≥ ${TARGETS.discoveryRatio}: ${verdict(discovery.withinTarget)})`,
    );

    // ---------------------------------------------------------- 2. DynamoDB requests
    const discoveryCount = async (cached: boolean) => {
      const samples: number[] = [];
      const byCommand: Record<string, number> = {};
      for (let i = 0; i < 5; i++) {
        if (!cached) started.device.discovery.clearCache();
        else await fetch(discoveryUrl).then((r) => r.arrayBuffer()); // make sure it is cached
        c.db.requests.reset();
        const response = await fetch(discoveryUrl);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`discovery answered ${response.status}`);
        // Reads only: the audit events go out 25 to a BatchWriteItem (ade/discovery-audit.ts),
        // which lands on whichever request fills the batch; byCommand shows them.
        samples.push(c.db.requests.total() - (c.db.requests.byCommand.BatchWriteItemCommand ?? 0));
        for (const [command, n] of Object.entries(c.db.requests.byCommand))
          byCommand[command] = (byCommand[command] ?? 0) + n;
      }
      return { samples, max: Math.max(...samples), byCommand };
    };
    const uncached = await discoveryCount(false);
    const cached = await discoveryCount(true);
    const flows = [
      {
        name: 'BYOD iPhone, first of its tenant (makes the tenant CA)',
        steps: await countedEnrollment(
          core,
          started.device,
          serverUrl,
          measured,
          'iPhone',
          macBody,
          `first@${measured.byod.domain}`,
        ),
      },
      {
        name: 'BYOD iPhone',
        steps: await countedEnrollment(
          core,
          started.device,
          serverUrl,
          measured,
          'iPhone',
          macBody,
          `second@${measured.byod.domain}`,
        ),
      },
      {
        name: 'ADDE Mac, passcode',
        steps: await countedEnrollment(
          core,
          started.device,
          serverUrl,
          measured,
          'Mac',
          macBody,
          `mac@${measured.adde.domain}`,
        ),
      },
    ].map((flow) => ({
      ...flow,
      totalRequests: flow.steps.reduce((sum, s) => sum + s.requests, 0),
      totalMs: round(
        flow.steps.reduce((sum, s) => sum + s.ms, 0),
        1,
      ),
    }));
    const checkins = flows.flatMap((f) => f.steps.filter((s) => s.step.startsWith('check-in')));
    const authenticateMax = Math.max(
      ...checkins.filter((s) => s.step.endsWith('Authenticate')).map((s) => s.requests),
    );
    const tokenUpdateMax = Math.max(
      ...checkins.filter((s) => s.step.endsWith('TokenUpdate')).map((s) => s.requests),
    );
    const dynamodb = {
      discoveryUncached: {
        ...uncached,
        target: TARGETS.discoveryUncachedRequests,
        withinTarget: uncached.max <= TARGETS.discoveryUncachedRequests,
      },
      discoveryCached: {
        ...cached,
        target: TARGETS.discoveryCachedRequests,
        withinTarget: cached.max <= TARGETS.discoveryCachedRequests,
      },
      checkin: {
        authenticateMax,
        tokenUpdateMax,
        target: TARGETS.checkinRequests,
        withinTarget: authenticateMax <= TARGETS.checkinRequests && tokenUpdateMax <= TARGETS.checkinRequests,
      },
      flows,
    };
    console.log(
      `\nDynamoDB requests per discovery: uncached ${uncached.samples.join('/')} (${commands(uncached.byCommand)}; target ≤ ${TARGETS.discoveryUncachedRequests}: ${verdict(dynamodb.discoveryUncached.withinTarget)}), cached ${cached.samples.join('/')} (target ${TARGETS.discoveryCachedRequests}: ${verdict(dynamodb.discoveryCached.withinTarget)})\n`,
    );
    console.log(
      table(
        ['step', ...flows.map((f) => f.name)],
        [
          ...flows[0]!.steps.map((s, i) => [
            s.step,
            ...flows.map((f) => {
              const step = f.steps[i]!;
              return `${step.requests} (${commands(step.byCommand)}) ${step.ms} ms`;
            }),
          ]),
          ['total', ...flows.map((f) => `${f.totalRequests} requests, ${f.totalMs} ms`)],
        ],
      ),
    );
    console.log(
      `Check-ins: Authenticate ≤ ${authenticateMax}, TokenUpdate ≤ ${tokenUpdateMax} requests (target ≤ ${TARGETS.checkinRequests}: ${verdict(dynamodb.checkin.withinTarget)})`,
    );

    // ---------------------------------------------------------- 3. load
    console.log(
      `\nLoad: ${config.enrollments} enrollments, ${config.concurrency} at a time${config.macEvery ? `, every ${config.macEvery}th an ADDE Mac` : ', iPhones only'}…`,
    );
    timing.timings.clear();
    timing.recording = true;
    core.db.requests.reset();
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const dynamoCpu = processTreeCpuSeconds(dynamo.pid);
    const loadStarted = performance.now();
    const load = await client.call<EnrollRun>(
      {
        kind: 'enroll',
        server: serverUrl,
        count: config.enrollments,
        concurrency: config.concurrency,
        macEvery: config.macEvery,
        byod: loadTenant.byod,
        adde: loadTenant.adde,
        topic: loadTenant.topic,
        macBody,
      },
      (done) =>
        console.log(
          `  ${done}/${config.enrollments} (${round(done / ((performance.now() - loadStarted) / 1000), 1)}/s)`,
        ),
    );
    const serverEventLoopUtilization = performance.eventLoopUtilization(elu).utilization;
    const cpuUsed = process.cpuUsage(cpu);
    const dynamoCpuAfter = processTreeCpuSeconds(dynamo.pid);
    timing.recording = false;
    const loadRequests = core.db.requests.total();
    const loadByCommand = { ...core.db.requests.byCommand };
    const inventory = await countDevices(serverUrl, loadTenant);
    const rsa = Array.from({ length: 10 }, () => {
      const t = performance.now();
      generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      return performance.now() - t;
    });
    const stepSummary = (samples: number[]) => {
      const s = summarize(samples);
      return {
        n: s.n,
        mean: round(s.mean, 1),
        p50: round(s.p50, 1),
        p95: round(s.p95, 1),
        max: round(s.max, 1),
      };
    };
    const loadResult = {
      enrollments: config.enrollments,
      concurrency: config.concurrency,
      mix: { iphones: load.iphones, macs: load.macs },
      seconds: round(load.seconds, 1),
      enrollmentsPerSecond: round(load.completed / load.seconds, 2),
      successfulPerSecond: round((load.completed - load.errors) / load.seconds, 2),
      errors: load.errors,
      errorSamples: load.errorSamples,
      enrollmentMs: stepSummary(load.enrollmentMs),
      clientStepMs: Object.fromEntries(ENROLL_STEPS.map((s) => [s, stepSummary(load.stepMs[s])])),
      serverHandlerMs: Object.fromEntries(
        [...timing.timings.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [
            k,
            { ...stepSummary(v), totalSeconds: round(v.reduce((sum, x) => sum + x, 0) / 1000, 1) },
          ]),
      ),
      dynamodb: {
        requests: loadRequests,
        perEnrollment: round(loadRequests / config.enrollments, 2),
        byCommand: loadByCommand,
      },
      /** Main thread (server) busy share and this process's CPU seconds (server + client worker). */
      serverEventLoopUtilization: round(serverEventLoopUtilization, 2),
      clientEventLoopUtilization: round(load.clientEventLoopUtilization, 2),
      processCpuSeconds: round((cpuUsed.user + cpuUsed.system) / 1e6, 1),
      /** DynamoDB Local (Java) CPU seconds during the load, when /proc tells. */
      dynamoLocalCpuSeconds:
        dynamoCpu === null || dynamoCpuAfter === null ? null : round(dynamoCpuAfter - dynamoCpu, 1),
      inventory,
      withinTarget:
        load.errors === TARGETS.loadErrors &&
        inventory.devices === config.enrollments &&
        (inventory.byStatus.ENROLLED ?? 0) === config.enrollments,
    };
    const rsaKeygen = { samples: rsa.length, ...stepSummary(rsa) };

    console.log(
      `\n${load.completed} enrollments (${load.iphones} iPhones, ${load.macs} Macs) in ${loadResult.seconds} s: ${loadResult.enrollmentsPerSecond}/s, ${load.errors} errors${load.errorSamples.length ? `\n  ${load.errorSamples.join('\n  ')}` : ''}`,
    );
    console.log(
      `Devices through GraphQL: ${inventory.devices} in ${inventory.pages} pages (${Object.entries(
        inventory.byStatus,
      )
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}; ${Object.entries(inventory.byType)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}) — expected ${config.enrollments}: ${verdict(loadResult.withinTarget)}`,
    );
    console.log(
      `DynamoDB: ${loadRequests} requests, ${loadResult.dynamodb.perEnrollment} per enrollment; server event loop busy ${loadResult.serverEventLoopUtilization}, client worker ${loadResult.clientEventLoopUtilization}; ${loadResult.processCpuSeconds} CPU s in this process (server + client worker, openssl not counted), ${loadResult.dynamoLocalCpuSeconds ?? '?'} CPU s in DynamoDB Local\n`,
    );
    console.log(
      table(
        ['device step (client-observed, under load)', 'p50 ms', 'p95 ms', 'mean ms'],
        ENROLL_STEPS.map((s) => [
          s,
          loadResult.clientStepMs[s]!.p50,
          loadResult.clientStepMs[s]!.p95,
          loadResult.clientStepMs[s]!.mean,
        ]),
      ),
    );
    console.log(
      `\n${table(
        ['server handler (under load)', 'calls', 'p50 ms', 'p95 ms', 'total s'],
        Object.entries(loadResult.serverHandlerMs).map(([k, v]) => [k, v.n, v.p50, v.p95, v.totalSeconds]),
      )}`,
    );
    console.log(
      `\nRSA-2048 key generation (generateKeyPairSync, what each profile does once): p50 ${rsaKeygen.p50} ms, mean ${rsaKeygen.mean} ms over ${rsaKeygen.samples}`,
    );

    const result = {
      name: 'enrollment',
      environment: env,
      seconds: round((performance.now() - runStarted) / 1000, 1),
      config,
      targets: TARGETS,
      discovery,
      dynamodb,
      load: loadResult,
      rsaKeygenMs: rsaKeygen,
      allWithinTargets:
        discovery.withinTarget &&
        dynamodb.discoveryUncached.withinTarget &&
        dynamodb.discoveryCached.withinTarget &&
        dynamodb.checkin.withinTarget &&
        loadResult.withinTarget,
    };
    console.log(`\n${writeResult('enrollment', result)} (${result.seconds} s)`);
    if (!loadResult.withinTarget) process.exitCode = 1;
  } finally {
    await client?.terminate();
    await bare?.close();
    await runtime?.close();
    core?.db.client.destroy();
    await dynamo?.stop();
  }
}

await runWithDeadline('bench:enroll', DEADLINE_MS, main);
