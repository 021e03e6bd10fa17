/**
 * `pnpm bench:guessing`: what the sign-in page's guessing limits (packages/core/src/enrollment/
 * sign-in-limits.ts) leave an attacker, and what they cost everyone else. Two local runtimes (the
 * real handlers, device functions on the wire client, as `pnpm dev`) over one DynamoDB Local in
 * memory, on 127.0.0.1: one with the limits in force, one with them off (`signInLimits: null`), so
 * before and after are measured in the same run, on the same machine. Passcode checks are counted at
 * the verifier seam (CoreOptions.verifyPasscode). Attackers send from loopback addresses 127.x.y.z
 * (the local runtime takes the source address from the socket, as API Gateway's sourceIp).
 *
 * An attacker here goes as fast as it can: `--concurrency` (8) parallel workers, each making attempt
 * after attempt, every attempt on a new sign-in session (enroll POST → page GET → passcode POST), in
 * three ways: (a) one person, from a new address each time; (b) a new person from a new address each
 * time (only the configuration's limit is left); (c) a new person each time from one address.
 *
 * 1. Guesses per hour:
 *    - derived from the configured limits (SIGN_IN_LIMITS);
 *    - measured over a short real window (`--seconds`, 15) on the real clock: how many of the
 *      attacker's attempts were checked, with the limits on, and with them off (per second, × 3600);
 *    - measured over simulated hours: the runtimes' clock runs fast (`--hour-seconds` (20) real seconds
 *      per hour) for `--hours` (2) hours, so backoff waits and window ends pass while the attacker
 *      keeps going; checks counted per clock hour.
 * 2. Latency, p50/p95 (ms, client side), `--samples` (100) per runtime, the two runtimes taking turns
 *    sample by sample, each sample in a fresh window (the clock skips to the next hour): discovery GET,
 *    sign-in page GET, passcode POST with the right passcode and with a wrong one (each POST on its own
 *    new session, a new person); with DynamoDB requests per POST. `--latency-only` runs this part alone
 *    (result in guessing-latency.json).
 * Result: .artifacts/bench/guessing.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import {
  type Actor,
  type Core,
  createCore,
  createDatabase,
  createDeviceCore,
  runAs,
  SIGN_IN_LIMITS,
  type SignInLimits,
} from '@ade/core';
import { verifyPasscode } from '@ade/core/ade/passcode';
import { createRequestCounter } from '@ade/core/db/requests';
import { createWireDatabase, type WireDatabase } from '@ade/core/db/wire';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import { type DynamoLocal, startDynamoLocal } from '@ade/local/dynamodb-local';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { localHandlers } from '../../test/support/handlers.ts';
import {
  environment,
  round,
  runWithDeadline,
  summarize,
  table,
  wholeNumberOption,
  writeResult,
} from './common.ts';

const TABLE_NAME = 'ade-bench-guessing';
const PUBLIC_URL = 'https://mdm.bench.example';
/** Six digits: the shortest passcode a configuration accepts, from the smallest alphabet. */
const PASSCODE = '482916';
const PASSCODE_SPACE = 10 ** PASSCODE.length;
const HOUR = 3_600_000;
/** The whole run stops itself (exit code 1) after this; DynamoDB Local's watchdog follows the process. */
const DEADLINE_MS = 15 * 60_000;

const settings = {
  concurrency: wholeNumberOption('concurrency', 8),
  seconds: wholeNumberOption('seconds', 15),
  hours: wholeNumberOption('hours', 2),
  hourSeconds: wholeNumberOption('hour-seconds', 20),
  samples: wholeNumberOption('samples', 100),
  /** Part 2 alone, e.g. to run the same latency samples on another revision. */
  latencyOnly: process.argv.includes('--latency-only'),
};

const capture = readFileSync(ENROLL_CAPTURE_PATH);
const system: Actor = { kind: 'system', role: 'ADMIN', name: 'bench' };

// ---------------------------------------------------------------- the runtimes' clock

/**
 * Simulated time, shared by both runtimes: `speed` simulated ms per real ms from `anchor` on. At
 * speed 1 it is a real clock (offset to a whole hour, so a window does not end mid-measurement).
 */
const clock = { base: 0, anchor: 0, speed: 1 };

function clockNow(): number {
  return clock.base + (performance.now() - clock.anchor) * clock.speed;
}

/** Jumps to one second past the next whole hour, running at `speed` from there. */
function startNextHour(speed = 1): number {
  const hour = Math.floor(clockNow() / HOUR) + 1;
  clock.base = hour * HOUR + 1000;
  clock.anchor = performance.now();
  clock.speed = speed;
  return hour;
}

// ---------------------------------------------------------------- HTTP

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

function send(
  base: string,
  method: string,
  path: string,
  options: { from?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Reply> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        headers: options.headers,
        localAddress: options.from,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

// ---------------------------------------------------------------- runtimes

/** One runtime: its server, its passcode checks (per clock hour) and its DynamoDB request counter. */
interface Runtime {
  label: string;
  url: string;
  checks: { n: number; byHour: Map<number, number> };
  requests: ReturnType<typeof createRequestCounter>;
  server: LocalServer;
  db: WireDatabase;
}

async function startRuntime(core: Core, label: string, limits: SignInLimits | null): Promise<Runtime> {
  const checks = { n: 0, byHour: new Map<number, number>() };
  const requests = createRequestCounter();
  const endpoint = await core.db.client.config.endpoint?.();
  const db = createWireDatabase({
    tableName: core.db.tableName,
    requests,
    endpoint: `${endpoint!.protocol}//${endpoint!.hostname}:${endpoint!.port}`,
  });
  const device = createDeviceCore(db, {
    ...core.options,
    signInLimits: limits,
    verifyPasscode: async (passcode, stored) => {
      const hour = Math.floor(clockNow() / HOUR);
      checks.n++;
      checks.byHour.set(hour, (checks.byHour.get(hour) ?? 0) + 1);
      return verifyPasscode(passcode, stored);
    },
  });
  const handlers = localHandlers(core, device);
  const server = await startLocalServer({
    host: '127.0.0.1',
    port: 0,
    loadHandler: async (name) => handlers[name],
  });
  return { label, url: server.url, checks, requests, server, db };
}

async function stopRuntime(rt: Runtime) {
  await rt.server.close();
  rt.db.destroy();
}

// ---------------------------------------------------------------- sign-in steps

/** The unauthenticated enroll POST: a new sign-in session, whose page path comes back in the 401. */
async function openSession(rt: Runtime, discoveryId: string, from?: string): Promise<string> {
  const reply = await send(rt.url, 'POST', `/mdm/enrollment/servicediscovery/${discoveryId}/userenroll`, {
    from,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: capture,
  });
  if (reply.status !== 401) throw new Error(`enroll answered ${reply.status}`);
  return new URL(/url="([^"]+)"/.exec(String(reply.headers['www-authenticate']))![1]!).pathname;
}

interface Form {
  path: string;
  csrf: string;
  cookie: string;
  ms: number;
}

async function openPage(rt: Runtime, path: string, user: string, from?: string): Promise<Form> {
  const page = await send(rt.url, 'GET', `${path}?user-identifier=${encodeURIComponent(user)}`, { from });
  if (page.status !== 200) throw new Error(`sign-in page answered ${page.status}`);
  return {
    path,
    csrf: /name="csrf" value="([^"]+)"/.exec(page.body)![1]!,
    cookie: String(page.headers['set-cookie']).split(';')[0]!,
    ms: page.ms,
  };
}

function postPasscode(rt: Runtime, form: Form, user: string, passcode: string, from?: string) {
  return send(rt.url, 'POST', form.path, {
    from,
    headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: form.csrf, 'user-identifier': user, passcode }).toString(),
  });
}

/** One attempt as an attacker makes it: a new session, its page, one passcode. */
async function tryPasscode(rt: Runtime, discoveryId: string, user: string, passcode: string, from: string) {
  const path = await openSession(rt, discoveryId, from);
  return postPasscode(rt, await openPage(rt, path, user, from), user, passcode, from);
}

// ---------------------------------------------------------------- fixtures

async function passcodeConfiguration(core: Core, name: string) {
  const { tenant, actor } = await runAs(system, async () => {
    const { partner } = await core.partners.create({ name: `${name} MSP`, firstKeyName: null });
    const tenant = await core.tenants.create({ name }, partner.partnerId);
    const key = await core.apiKeys.createFor(tenant.tenantId, { name: 'bench admin', role: 'ADMIN' });
    return { tenant, actor: await core.apiKeys.authenticate(key.secret) };
  });
  const domain = `${name.toLowerCase()}-${tenant.tenantId.slice(-6).toLowerCase()}.bench.example`;
  const { item } = await runAs(actor, () =>
    core.tenancy.inTenant(tenant.tenantId, () =>
      core.adeConfigurations.set({
        policyId: tenant.rootPolicyId,
        enrollmentType: 'USER',
        domains: [domain],
        authMethod: 'PASSCODE',
        passcode: PASSCODE,
      }),
    ),
  );
  return { discoveryId: item.discoveryId, domain };
}

let configurations = 0;
const newConfiguration = (core: Core) => passcodeConfiguration(core, `Bench${configurations++}`);

// ---------------------------------------------------------------- 1. guesses per hour

const STRATEGIES = ['one person', 'new person, new address each time', 'new person, one address'] as const;
type Strategy = (typeof STRATEGIES)[number];

/** The limit that binds each strategy, and what it allows per hour (derived from the limits). */
function derivedPerHour(limits: SignInLimits): Record<Strategy, { binding: string; perHour: number }> {
  const windowsPerHour = 3600 / limits.windowSeconds;
  return {
    'one person': { binding: 'per person', perHour: limits.userBackoffSeconds.length * windowsPerHour },
    'new person, new address each time': {
      binding: 'per configuration',
      perHour: limits.perConfiguration * windowsPerHour,
    },
    'new person, one address': {
      binding: 'per source address (per configuration)',
      perHour: limits.perSourceAddress * windowsPerHour,
    },
  };
}

/** Who the attacker's n-th attempt claims to be, and where it comes from. */
function attemptIdentity(strategy: Strategy, n: number, domain: string) {
  const user = strategy === 'one person' ? `bob@${domain}` : `p${n}@${domain}`;
  // 127.1.b.a: a new loopback address for each of the first 65,024 attempts.
  const from =
    strategy === 'new person, one address'
      ? '127.0.0.50'
      : `127.1.${Math.floor(n / 254) % 256}.${1 + (n % 254)}`;
  return { user, from };
}

/**
 * `concurrency` workers attempting as fast as they can, each attempt on a new session, until
 * `stop()`. Returns the attempts made and the answers' status codes.
 */
async function fullSpeedAttack(rt: Runtime, strategy: Strategy, stop: () => boolean, core: Core) {
  const config = await newConfiguration(core);
  const statuses: Record<number, number> = {};
  let attempts = 0;
  const worker = async () => {
    while (!stop()) {
      const n = attempts++;
      const { user, from } = attemptIdentity(strategy, n, config.domain);
      const reply = await tryPasscode(rt, config.discoveryId, user, `guess-${n}`, from);
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency }, worker));
  return { attempts, statuses };
}

/** On the real clock, for `--seconds`: the attacker's attempts and how many were checked. */
async function realWindow(core: Core, rt: Runtime, strategy: Strategy) {
  startNextHour(1);
  const before = rt.checks.n;
  const started = performance.now();
  const until = started + settings.seconds * 1000;
  const { attempts, statuses } = await fullSpeedAttack(rt, strategy, () => performance.now() >= until, core);
  const seconds = (performance.now() - started) / 1000;
  const checks = rt.checks.n - before;
  return {
    strategy,
    seconds: round(seconds, 1),
    attempts,
    checks,
    checksPerSecond: round(checks / seconds, 1),
    statuses,
  };
}

/** On the fast clock, for `--hours` clock hours: checks in each whole hour. */
async function simulatedHours(core: Core, rt: Runtime, strategy: Strategy) {
  const first = startNextHour(3600 / settings.hourSeconds);
  const end = (first + settings.hours) * HOUR;
  const { attempts, statuses } = await fullSpeedAttack(rt, strategy, () => clockNow() >= end, core);
  startNextHour(1);
  const checksPerHour = Array.from(
    { length: settings.hours },
    (_, i) => rt.checks.byHour.get(first + i) ?? 0,
  );
  return { strategy, attemptsPerHour: Math.round(attempts / settings.hours), checksPerHour, statuses };
}

// ---------------------------------------------------------------- 2. latency

interface Samples {
  discovery: number[];
  page: number[];
  rightPasscode: number[];
  wrongPasscode: number[];
  requestsRight: number[];
  requestsWrong: number[];
}

/** One sample on one runtime: discovery, the page, a right and a wrong passcode (new sessions). */
async function latencySample(
  rt: Runtime,
  config: { discoveryId: string; domain: string },
  n: number,
  into: Samples,
) {
  const user = `person${n}@${config.domain}`;
  const found = await send(
    rt.url,
    'GET',
    `/mdm/enrollment/servicediscovery/${config.discoveryId}?user-identifier=${encodeURIComponent(user)}&model-family=iPhone`,
  );
  if (found.status !== 200) throw new Error(`discovery answered ${found.status}`);
  into.discovery.push(found.ms);

  const form = await openPage(rt, await openSession(rt, config.discoveryId), user);
  into.page.push(form.ms);
  rt.requests.reset();
  const right = await postPasscode(rt, form, user, PASSCODE);
  if (right.status !== 308) throw new Error(`right passcode answered ${right.status} on ${rt.label}`);
  into.rightPasscode.push(right.ms);
  into.requestsRight.push(rt.requests.total());

  const typo = `typo${n}@${config.domain}`;
  const typoForm = await openPage(rt, await openSession(rt, config.discoveryId), typo);
  rt.requests.reset();
  const wrong = await postPasscode(rt, typoForm, typo, 'not-the-passcode');
  if (wrong.status !== 200) throw new Error(`wrong passcode answered ${wrong.status} on ${rt.label}`);
  into.wrongPasscode.push(wrong.ms);
  into.requestsWrong.push(rt.requests.total());
}

const p50p95 = (samples: number[]) => {
  const s = summarize(samples);
  return { n: s.n, p50: round(s.p50), p95: round(s.p95) };
};
const mean = (samples: number[]) => round(samples.reduce((a, b) => a + b, 0) / samples.length, 1);

async function latency(core: Core, runtimes: Runtime[]) {
  const config = await newConfiguration(core);
  const samples = new Map<string, Samples>(
    runtimes.map((rt) => [
      rt.label,
      { discovery: [], page: [], rightPasscode: [], wrongPasscode: [], requestsRight: [], requestsWrong: [] },
    ]),
  );
  for (let n = 0; n < settings.samples; n++) {
    // A fresh window for every sample, so no limit is reached however many samples are taken.
    startNextHour(1);
    for (const rt of n % 2 ? [...runtimes].reverse() : runtimes) {
      await latencySample(rt, config, n, samples.get(rt.label)!);
    }
  }
  return runtimes.map((rt) => {
    const s = samples.get(rt.label)!;
    return {
      runtime: rt.label,
      discovery: p50p95(s.discovery),
      page: p50p95(s.page),
      rightPasscode: p50p95(s.rightPasscode),
      wrongPasscode: p50p95(s.wrongPasscode),
      dynamoRequests: { rightPasscode: mean(s.requestsRight), wrongPasscode: mean(s.requestsWrong) },
    };
  });
}

// ---------------------------------------------------------------- report

type WindowResult = Awaited<ReturnType<typeof realWindow>>;
type HoursResult = Awaited<ReturnType<typeof simulatedHours>>;

function printReport(result: {
  derived: ReturnType<typeof derivedPerHour>;
  windows: WindowResult[];
  unlimitedWindow: WindowResult;
  hours: HoursResult[];
  latencies: Awaited<ReturnType<typeof latency>>;
}) {
  const { derived, windows, unlimitedWindow, hours, latencies } = result;
  console.log(
    `\n${table(
      [
        'Attacker (limits on)',
        'Binding limit',
        'Allowed/h (derived)',
        `Checked in ${settings.seconds} s (of attempts)`,
        `Checked per clock hour (${settings.hours} h)`,
      ],
      STRATEGIES.map((strategy, i) => [
        strategy,
        derived[strategy].binding,
        derived[strategy].perHour,
        `${windows[i]!.checks} of ${windows[i]!.attempts}`,
        `${hours[i]!.checksPerHour.join(', ')} of ~${hours[i]!.attemptsPerHour}/h`,
      ]),
    )}`,
  );
  const perHourOff = Math.round(unlimitedWindow.checksPerSecond * 3600);
  console.log(
    `\nLimits off (one person, same attacker): ${unlimitedWindow.checks} checked of ${unlimitedWindow.attempts} ` +
      `in ${unlimitedWindow.seconds} s = ${unlimitedWindow.checksPerSecond}/s ≈ ${perHourOff.toLocaleString('en')} ` +
      'per hour, for one person, one configuration or one address alike.',
  );
  const perConfiguration = derived['new person, new address each time'].perHour;
  console.log(
    `Expected time to find a ${PASSCODE.length}-digit passcode (half of ${PASSCODE_SPACE.toLocaleString('en')}): ` +
      `limits on ≈ ${round(PASSCODE_SPACE / 2 / perConfiguration / 24, 0)} days per configuration; ` +
      `limits off ≈ ${round(PASSCODE_SPACE / 2 / perHourOff, 1)} hours.`,
  );
  printLatencies(latencies);
}

function printLatencies(latencies: Awaited<ReturnType<typeof latency>>) {
  console.log(
    `\n${table(
      [
        'Runtime (ms)',
        'Discovery p50',
        'p95',
        'Page GET p50',
        'p95',
        'Right POST p50',
        'p95',
        'Wrong POST p50',
        'p95',
        'DDB req right/wrong',
      ],
      latencies.map((l) => [
        l.runtime,
        l.discovery.p50,
        l.discovery.p95,
        l.page.p50,
        l.page.p95,
        l.rightPasscode.p50,
        l.rightPasscode.p95,
        l.wrongPasscode.p50,
        l.wrongPasscode.p95,
        `${l.dynamoRequests.rightPasscode} / ${l.dynamoRequests.wrongPasscode}`,
      ]),
    )}`,
  );
}

// ---------------------------------------------------------------- main

async function main() {
  const env = environment();
  const started = performance.now();
  let dynamo: DynamoLocal | undefined;
  let core: Core | undefined;
  const runtimes: Runtime[] = [];
  try {
    console.log('Starting DynamoDB Local and two local runtimes (limits on, limits off)…');
    dynamo = await startDynamoLocal();
    const db = createDatabase({ tableName: TABLE_NAME, endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    startNextHour(1);
    core = createCore(db, {
      keys: ephemeralKeyManagement(),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: PUBLIC_URL,
      now: () => new Date(clockNow()),
    });
    const limited = await startRuntime(core, 'limits on', SIGN_IN_LIMITS);
    const unlimited = await startRuntime(core, 'limits off', null);
    runtimes.push(limited, unlimited);

    console.log(`Latency: ${settings.samples} samples per runtime, taking turns…`);
    const latencies = await latency(core, [unlimited, limited]);
    if (settings.latencyOnly) {
      printLatencies(latencies);
      console.log(
        `\n${writeResult('guessing-latency', { name: 'guessing-latency', environment: env, settings, latencies })}`,
      );
      return;
    }

    console.log(`Attacks at full speed, ${settings.seconds} s each on the real clock…`);
    const windows: WindowResult[] = [];
    for (const strategy of STRATEGIES) windows.push(await realWindow(core, limited, strategy));
    const unlimitedWindow = await realWindow(core, unlimited, 'one person');

    console.log(`Attacks at full speed over ${settings.hours} fast clock hours each…`);
    const hours: HoursResult[] = [];
    for (const strategy of STRATEGIES) hours.push(await simulatedHours(core, limited, strategy));

    const derived = derivedPerHour(SIGN_IN_LIMITS);
    printReport({ derived, windows, unlimitedWindow, hours, latencies });
    const withinLimits = STRATEGIES.every(
      (strategy, i) =>
        windows[i]!.checks <= derived[strategy].perHour &&
        hours[i]!.checksPerHour.every((n) => n <= derived[strategy].perHour),
    );
    const result = {
      name: 'guessing',
      environment: env,
      settings,
      limits: SIGN_IN_LIMITS,
      derivedPerHour: derived,
      realWindows: windows,
      unlimitedWindow: { ...unlimitedWindow, perHour: Math.round(unlimitedWindow.checksPerSecond * 3600) },
      simulatedHours: hours,
      withinLimits,
      latencies,
      seconds: round((performance.now() - started) / 1000, 1),
    };
    console.log(`\n${writeResult('guessing', result)} (${result.seconds} s)`);
    if (!withinLimits) {
      console.error('More passcodes were checked than the limits allow.');
      process.exitCode = 1;
    }
  } finally {
    for (const rt of runtimes) await stopRuntime(rt);
    core?.db.client.destroy();
    await dynamo?.stop();
  }
}

await runWithDeadline('bench:guessing', DEADLINE_MS, main);
