/**
 * `pnpm bench:checkin`: MDM check-in and command-channel throughput through the local runtime (every
 * device route served by its real handler on a device core over the wire client, as in Lambda), over
 * HTTP on 127.0.0.1, DynamoDB Local in memory on the same machine.
 *
 * 1. `verifyMdmSignature` alone, in this process: µs per call, the fast verifier and the pkijs reference
 *    it replaced, on an in-process-signed message from a device identity our PKI issued.
 * 2. DynamoDB requests per message, one request at a time (core's counter reset before each): Authenticate,
 *    Idle with an empty queue (target ≤ 2), Idle → command, Acknowledged → next command / → empty.
 * 3. Load: `--devices` (32) enrolled devices (half BYOD iPhones, half ADDE iPhones; enrolled up front by
 *    the device simulator, openssl) run by a client in a child process (checkin-devices.ts: keep-alive
 *    node:http, signatures made in-process with node:crypto). Phases: Authenticate and Idle
 *    (`--requests` (100) per device each), then Acknowledged: `--commands` (8) payloads queued for every
 *    device, each device one session (Idle → command, Acknowledged → … → empty). Per phase: requests per
 *    second, p50/p99, DynamoDB requests per message, server CPU per message (process.cpuUsage of this
 *    process, which runs only the server while the client works) and DynamoDB Local's CPU (/proc).
 *    Target ≥ 300 requests per second for each message type. Run it when the machine is otherwise idle
 *    (`uptime`): the load average at the start is stored with the result.
 *
 * With `--secrets`, the queued Wi-Fi payloads carry a password (docs/payload-secrets.md): their
 * commands are sealed, opened when sent. Secrets are sealed by the AWS KMS provider against the KMS
 * fake (test/fakes/aws-kms.ts), so the KMS requests a deployment would send are counted per message
 * and per phase.
 *
 * Options: --devices N (32), --requests N (100), --commands N (8), --verify-calls N (2000), --secrets.
 * Result: .artifacts/bench/checkin.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyMdmSignature } from '@ade/apple/mdm-signature';
import { buildPlist } from '@ade/apple/plist';
import { verifyMdmSignatureReference } from '@ade/apple/testing/mdm-signature-reference';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { type Actor, type Core, createCore, createDatabase, runAs } from '@ade/core';
import { AwsKms, hmacTokenSigner } from '@ade/core/secrets/index';
import type { FunctionName, LambdaHandler } from '@ade/functions';
import { type DynamoLocal, startDynamoLocal } from '@ade/local/dynamodb-local';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { FakeKms } from '../../test/fakes/aws-kms.ts';
import { makePushCertificate } from '../../test/support/apple.ts';
import { deviceSigner } from '../../test/support/device-signer.ts';
import { type DeviceSimulator, signedEnrollBody } from '../../test/support/device-simulator.ts';
import { enrollDevice } from '../../test/support/enroll-device.ts';
import { localHandlers, wireDeviceCore } from '../../test/support/handlers.ts';
import type { BenchDevice, ClientMessage, Phase, PhaseJob, PhaseRun } from './checkin-devices.ts';
import {
  environment,
  kmsRequestsSince,
  percentile,
  processTreeCpuSeconds,
  round,
  runWithDeadline,
  table,
  verdict,
  wholeNumberOption,
  writeResult,
} from './common.ts';

const TARGETS = { requestsPerSecond: 300, idleRequests: 2 };
const PUBLIC_URL = 'https://mdm.bench.example';
/** The whole run stops itself (exit code 1) after this; DynamoDB Local's watchdog follows the process. */
const DEADLINE_MS = 10 * 60_000;

const config = {
  devices: wholeNumberOption('devices', 32),
  requests: wholeNumberOption('requests', 100),
  commands: wholeNumberOption('commands', 8),
  verifyCalls: wholeNumberOption('verify-calls', 2000),
  secrets: process.argv.includes('--secrets'),
};

const system: Actor = { kind: 'system', role: 'ADMIN', name: 'bench' };

// ---------------------------------------------------------------- the client process

function startClient() {
  const child: ChildProcess = fork(new URL('./checkin-devices.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (run: PhaseRun) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the client exited (${code})`)));
  });
  child.on('message', (message: ClientMessage) => {
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if ('error' in message) p.reject(new Error(`client: ${message.error}`));
    else p.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the client exited (${code})`));
  });
  return {
    async run(job: PhaseJob): Promise<PhaseRun> {
      await ready;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, job });
      });
    },
    stop: () => child.kill(),
  };
}

// ---------------------------------------------------------------- fixtures

interface Fleet {
  tenantId: string;
  rootPolicyId: string;
  devices: BenchDevice[];
  inTenant: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** One tenant, a BYOD and an ADDE policy, `count` devices enrolled through the simulator (HTTP, openssl). */
async function enrollFleet(core: Core, serverUrl: string, count: number): Promise<Fleet> {
  const { tenant } = await runAs(system, async () => {
    const { partner } = await core.partners.create({ name: 'Bench MSP', firstKeyName: null });
    return { tenant: await core.tenants.create({ name: 'Bench check-in' }, partner.partnerId) };
  });
  const inTenant = <T>(fn: () => Promise<T>) =>
    runAs(system, () => core.tenancy.inTenant(tenant.tenantId, fn));
  const push = makePushCertificate();
  await inTenant(() => core.pushCertificates.upload(push));
  const policy = (name: string) =>
    inTenant(() => core.policies.create({ parentId: tenant.rootPolicyId, name }));
  const byod = await policy('BYOD iPhones');
  const adde = await policy('ADDE iPhones');
  const iphone15 = readFileSync(ENROLL_CAPTURE_PATH);
  const iphone18 = signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' });
  const devices: BenchDevice[] = [];
  for (let i = 0; i < count; i++) {
    const user = i % 2 === 0;
    const { sim } = await enrollDevice(
      core,
      serverUrl,
      { tenantId: tenant.tenantId, tenantActor: system },
      {
        type: user ? 'USER' : 'DEVICE',
        policyId: user ? byod.policyId : adde.policyId,
        hardware: user
          ? { body: iphone15, family: 'iPhone', product: 'iPhone12,1', os: '15.7', build: '19H12' }
          : { body: iphone18, family: 'iPhone', product: 'iPhone17,2', os: '18.1', build: '22B83' },
        topic: push.topic,
      },
    );
    devices.push(benchDevice(sim, push.topic, user));
    if ((i + 1) % 8 === 0) console.log(`  enrolled ${i + 1}/${count}`);
  }
  return { tenantId: tenant.tenantId, rootPolicyId: tenant.rootPolicyId, devices, inTenant };
}

function benchDevice(sim: DeviceSimulator, topic: string, user: boolean): BenchDevice {
  const profile = sim.profile!;
  const ids = sim.ids!;
  return {
    checkInPath: new URL(profile.mdm.CheckInURL as string).pathname,
    serverPath: new URL(profile.mdm.ServerURL as string).pathname,
    certificatePem: profile.identity.certificatePem,
    privateKeyPem: profile.identity.privateKeyPem,
    ids,
    bearer: sim.token,
    authenticate: {
      MessageType: 'Authenticate',
      Topic: topic,
      ...ids,
      OSVersion: user ? '15.7' : '18.1',
      BuildVersion: user ? '19H12' : '22B83',
      ProductName: user ? 'iPhone12,1' : 'iPhone17,2',
      ...(user ? {} : { SerialNumber: `C02${randomUUID().slice(0, 8).toUpperCase()}` }),
    },
  };
}

// ---------------------------------------------------------------- 1. the verifier alone

function measureVerify(device: BenchDevice, calls: number) {
  const body = Buffer.from(buildPlist({ ...device.ids, Status: 'Idle' }));
  const signature = deviceSigner(device).sign(body);
  const time = (verify: typeof verifyMdmSignature, n: number) => {
    for (let i = 0; i < Math.min(200, n); i++) verify(signature, body);
    const started = performance.now();
    for (let i = 0; i < n; i++) verify(signature, body);
    return round(((performance.now() - started) * 1000) / n, 1);
  };
  const fastUs = time(verifyMdmSignature, calls);
  const referenceUs = time(verifyMdmSignatureReference, Math.max(100, Math.round(calls / 8)));
  return { signatureChars: signature.length, fastUs, referenceUs, speedup: round(referenceUs / fastUs, 1) };
}

// ---------------------------------------------------------------- 2. DynamoDB requests per message

/** One signed PUT from this process, the DynamoDB requests it caused counted alone. */
async function counted(
  core: Core,
  kms: FakeKms,
  serverUrl: string,
  device: BenchDevice,
  path: string,
  body: Record<string, unknown>,
) {
  const bytes = Buffer.from(buildPlist(body as never));
  core.db.requests.reset();
  const kmsFrom = kms.requests.length;
  const response = await fetch(`${serverUrl}${path}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/x-apple-aspen-mdm',
      'mdm-signature': deviceSigner(device).sign(bytes),
      ...(device.bearer ? { authorization: `Bearer ${device.bearer}` } : {}),
    },
    body: bytes,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${String(body.MessageType ?? body.Status)} answered ${response.status}: ${text}`);
  return {
    requests: core.db.requests.total(),
    byCommand: { ...core.db.requests.byCommand },
    kms: kmsRequestsSince(kms, kmsFrom),
    body: text,
  };
}

async function queueCommands(fleet: Fleet, core: Core, count: number) {
  for (let i = 0; i < count; i++)
    await fleet.inTenant(() =>
      core.payloads.add(fleet.rootPolicyId, {
        payloadType: 'com.apple.wifi.managed',
        displayName: `Bench Wi-Fi ${i}`,
        settings: {
          SSID_STR: `bench-${i}-${randomBytes(3).toString('hex')}`,
          AutoJoin: true,
          ...(config.secrets
            ? { EncryptionType: 'WPA2', Password: `bench-${i}-${randomBytes(8).toString('hex')}` }
            : {}),
        },
      }),
    );
}

async function countPerMessage(core: Core, kms: FakeKms, serverUrl: string, fleet: Fleet) {
  const rows: {
    message: string;
    requests: number;
    byCommand: Record<string, number>;
    kms: Record<string, number>;
  }[] = [];
  const [byod, adde] = fleet.devices;
  for (const device of [byod!, adde!]) {
    const kind = 'EnrollmentID' in device.ids ? 'BYOD' : 'ADDE';
    const authenticate = await counted(core, kms, serverUrl, device, device.checkInPath, device.authenticate);
    rows.push({ message: `Authenticate (${kind})`, ...authenticate });
    const idle = await counted(core, kms, serverUrl, device, device.serverPath, {
      ...device.ids,
      Status: 'Idle',
    });
    if (idle.body !== '') throw new Error('Idle with an empty queue got a command');
    rows.push({ message: `Idle, empty queue (${kind})`, ...idle });
  }
  await queueCommands(fleet, core, 2);
  for (const device of [byod!, adde!]) {
    const kind = 'EnrollmentID' in device.ids ? 'BYOD' : 'ADDE';
    const idle = await counted(core, kms, serverUrl, device, device.serverPath, {
      ...device.ids,
      Status: 'Idle',
    });
    rows.push({ message: `Idle → command (${kind})`, ...idle });
    let uuid = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(idle.body)?.[1];
    const next = await counted(core, kms, serverUrl, device, device.serverPath, {
      ...device.ids,
      CommandUUID: uuid,
      Status: 'Acknowledged',
    });
    rows.push({ message: `Acknowledged → next command (${kind})`, ...next });
    uuid = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(next.body)?.[1];
    const last = await counted(core, kms, serverUrl, device, device.serverPath, {
      ...device.ids,
      CommandUUID: uuid,
      Status: 'Acknowledged',
    });
    if (last.body !== '') throw new Error('expected the queue to be empty after two commands');
    rows.push({ message: `Acknowledged → empty (${kind})`, ...last });
  }
  return rows.map(({ message, requests, byCommand, kms: byOperation }) => ({
    message,
    requests,
    byCommand,
    kms: byOperation,
  }));
}

// ---------------------------------------------------------------- 3. load

async function loadPhase(
  core: Core,
  kms: FakeKms,
  dynamo: DynamoLocal,
  client: ReturnType<typeof startClient>,
  job: PhaseJob,
) {
  core.db.requests.reset();
  const kmsFrom = kms.requests.length;
  const cpu = process.cpuUsage();
  const dynamoCpu = processTreeCpuSeconds(dynamo.pid);
  const run = await client.run(job);
  const used = process.cpuUsage(cpu);
  const dynamoCpuAfter = processTreeCpuSeconds(dynamo.pid);
  const messages = Object.values(run.latencyMs).reduce((sum, list) => sum + list.length, 0);
  const requests = core.db.requests.total();
  const serverCpuSeconds = (used.user + used.system) / 1e6;
  const all = Object.values(run.latencyMs).flat();
  return {
    phase: job.phase,
    messages,
    seconds: round(run.seconds, 2),
    requestsPerSecond: round(messages / run.seconds, 1),
    latencyMs: { p50: round(percentile(all, 50), 2), p99: round(percentile(all, 99), 2) },
    byMessage: Object.fromEntries(
      Object.entries(run.latencyMs).map(([label, list]) => [
        label,
        { n: list.length, p50: round(percentile(list, 50), 2), p99: round(percentile(list, 99), 2) },
      ]),
    ),
    dynamodb: {
      requests,
      perMessage: round(requests / messages, 2),
      byCommand: { ...core.db.requests.byCommand },
    },
    kms: kmsRequestsSince(kms, kmsFrom),
    serverCpuMsPerMessage: round((serverCpuSeconds * 1000) / messages, 3),
    serverCpuSeconds: round(serverCpuSeconds, 2),
    dynamoLocalCpuSeconds:
      dynamoCpu !== null && dynamoCpuAfter !== null ? round(dynamoCpuAfter - dynamoCpu, 2) : null,
    clientCpuSeconds: round(run.clientCpuSeconds, 2),
    errors: run.errors,
    errorSamples: run.errorSamples,
    withinTarget: run.errors === 0 && messages / run.seconds >= TARGETS.requestsPerSecond,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const env = environment();
  console.log(`Load average at start: ${env.loadAverage.join(' ')} (${env.cpus} CPUs)`);
  let dynamo: DynamoLocal | undefined;
  let server: LocalServer | undefined;
  let client: ReturnType<typeof startClient> | undefined;
  const kms = await FakeKms.start();
  // The SDK's own client (made by AwsKms), pointed at the fake by the standard per-service variable.
  process.env.AWS_ENDPOINT_URL_KMS = kms.url;
  process.env.AWS_REGION ??= kms.region;
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  try {
    console.log('Starting DynamoDB Local, the local runtime and the client…');
    dynamo = await startDynamoLocal();
    const db = createDatabase({ tableName: 'ade-bench-checkin', endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    const core = createCore(db, {
      keys: new AwsKms({ keyId: kms.createKey('alias/bench').keyId }),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: PUBLIC_URL,
    });
    const handlers: Record<FunctionName, LambdaHandler> = localHandlers(core, await wireDeviceCore(core));
    server = await startLocalServer({
      host: '127.0.0.1',
      port: 0,
      loadHandler: async (name) => handlers[name],
    });
    if (!server.url.startsWith('http://127.0.0.1:')) throw new Error(`not on 127.0.0.1: ${server.url}`);
    client = startClient();

    console.log(`Enrolling ${config.devices} devices (simulator, openssl)…`);
    const fleet = await enrollFleet(core, server.url, config.devices);

    console.log('verifyMdmSignature alone…');
    const verify = measureVerify(fleet.devices[0]!, config.verifyCalls);

    const phases = [];
    for (const phase of ['Authenticate', 'Idle'] as Phase[]) {
      console.log(`Load: ${phase}, ${config.devices} devices × ${config.requests}…`);
      // Warm-up (not measured): every device once.
      await client.run({ baseUrl: server.url, devices: fleet.devices, phase, requestsPerDevice: 2 });
      phases.push(
        await loadPhase(core, kms, dynamo, client, {
          baseUrl: server.url,
          devices: fleet.devices,
          phase,
          requestsPerDevice: config.requests,
        }),
      );
    }
    // After the Idle phase: counting queues two commands, which only the first two devices take.
    console.log('DynamoDB requests per message, one at a time…');
    const perMessage = await countPerMessage(core, kms, server.url, fleet);
    const idleMax = Math.max(
      ...perMessage.filter((r) => r.message.startsWith('Idle, empty')).map((r) => r.requests),
    );

    console.log(`Load: Acknowledged, ${config.commands} commands queued for each device…`);
    await queueCommands(fleet, core, config.commands);
    phases.push(
      await loadPhase(core, kms, dynamo, client, {
        baseUrl: server.url,
        devices: fleet.devices,
        phase: 'Acknowledged',
        requestsPerDevice: 1,
      }),
    );

    const result = {
      name: 'checkin',
      environment: env,
      config,
      verify,
      dynamodb: {
        perMessage,
        idle: { max: idleMax, target: TARGETS.idleRequests, withinTarget: idleMax <= TARGETS.idleRequests },
      },
      load: { target: TARGETS.requestsPerSecond, phases },
      withinTargets: idleMax <= TARGETS.idleRequests && phases.every((p) => p.withinTarget),
    };

    console.log(
      `\nverifyMdmSignature: ${verify.fastUs} µs per call (pkijs reference ${verify.referenceUs} µs, ×${verify.speedup}), ${verify.signatureChars}-char header`,
    );
    console.log(
      `\n${table(
        ['message (one at a time)', 'DynamoDB requests', 'by command', 'KMS requests'],
        perMessage.map((r) => [r.message, r.requests, JSON.stringify(r.byCommand), JSON.stringify(r.kms)]),
      )}`,
    );
    console.log(
      `Idle with an empty queue ≤ ${TARGETS.idleRequests} requests: ${verdict(result.dynamodb.idle.withinTarget)}`,
    );
    console.log(
      `\n${table(
        [
          'phase',
          'messages',
          'req/s',
          'p50 ms',
          'p99 ms',
          'DynamoDB/msg',
          'server CPU ms/msg',
          'DynamoDB Local CPU s',
          'client CPU s',
          'KMS requests',
          'errors',
          `≥ ${TARGETS.requestsPerSecond}/s`,
        ],
        phases.map((p) => [
          p.phase,
          p.messages,
          p.requestsPerSecond,
          p.latencyMs.p50,
          p.latencyMs.p99,
          p.dynamodb.perMessage,
          p.serverCpuMsPerMessage,
          p.dynamoLocalCpuSeconds ?? '?',
          p.clientCpuSeconds,
          JSON.stringify(p.kms),
          p.errors,
          verdict(p.withinTarget),
        ]),
      )}`,
    );
    for (const p of phases) {
      console.log(`${p.phase}: ${JSON.stringify(p.byMessage)} ${JSON.stringify(p.dynamodb.byCommand)}`);
      for (const sample of p.errorSamples) console.log(`  error: ${sample}`);
    }
    console.log(`\nresult: ${writeResult('checkin', result)}`);
    if (!result.withinTargets) process.exitCode = 1;
  } finally {
    client?.stop();
    await server?.close();
    await dynamo?.stop();
    await kms.close();
  }
}

await runWithDeadline('bench:checkin', DEADLINE_MS, main);
