/**
 * Payload delivery figures (issue 5), against DynamoDB Local:
 *  1. A policy's deployment summary: DynamoDB requests with 10 devices and with 10,000 (target 1).
 *  2. Fanning one payload change out to 10,000 devices: time and requests; the rollout is stopped
 *     half-way (as a crash or a Lambda timeout would) and resumed by two runners at once, then the
 *     result is checked: every device exactly one deployment and one command, counters = deployments.
 *  3. The same fleet gets a Wi-Fi payload with a password (docs/payload-secrets.md): what a rollout
 *     of a payload with secrets costs per device (time, DynamoDB requests, KMS requests, the size of a
 *     queued command) next to the restrictions of section 2.
 * The Idle → command → Acknowledged round is measured with real simulated devices in
 * test/e2e/payload-delivery.test.ts's setup; its request counts are printed by `pnpm bench:delivery`
 * too (section 4), over HTTP through the local runtime: DynamoDB and KMS requests per step, for a
 * profile without secrets and for one whose profile is sealed, on a first and a second device.
 * Secrets are sealed by the AWS KMS provider against the KMS fake (test/fakes/aws-kms.ts) so that
 * every GenerateDataKey and Decrypt a deployment would send is counted.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomBytes } from 'node:crypto';
import { type Core, createCore, createDatabase, runAs } from '@ade/core';
import { AwsKms, hmacTokenSigner } from '@ade/core/secrets/index';
import { createConnectHandler } from '@ade/functions/connect';
import type { LambdaHandler } from '@ade/functions/http';
import type { FunctionName } from '@ade/functions/routes';
import { startDynamoLocal } from '@ade/local/dynamodb-local';
import { startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { FakeKms } from '../../test/fakes/aws-kms.ts';
import { makePushCertificate } from '../../test/support/apple.ts';
import { signedEnrollBody } from '../../test/support/device-simulator.ts';
import { enrollDevice } from '../../test/support/enroll-device.ts';
import { localHandlers, wireDeviceCore } from '../../test/support/handlers.ts';
import { environment, kmsRequestsSince, round, table, verdict, writeResult } from './common.ts';

const FLEET = Number(process.env.BENCH_FLEET ?? 10_000);

function deviceUlid(i: number): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let n = i;
  let out = '';
  for (let k = 0; k < 8; k++) {
    out = alphabet[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return `01JD000000000000BENCH${out}`.slice(0, 18) + out;
}

async function addDevices(core: Core, tenantId: string, policyId: string, count: number, offset: number) {
  const now = new Date().toISOString();
  const items = Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const adde = i % 2 === 1;
    return {
      tenantId,
      deviceId: `dev_${deviceUlid(i)}`,
      policyId,
      configurationId: 'cfg_00000000000000000000000000',
      enrollmentType: adde ? ('ADDE' as const) : ('BYOD' as const),
      managedAppleId: `user${i}@bench.example`,
      tokenHash: randomBytes(16).toString('hex'),
      identityFingerprint: `bench-${i}`,
      status: 'ENROLLED' as const,
      platform: adde ? 'macOS' : 'iOS',
      osVersion: adde ? '15.1' : '18.1',
      profileIssuedAt: now,
      enrolledAt: now,
    };
  });
  for (let i = 0; i < items.length; i += 25)
    await core.service.entities.device.put(items.slice(i, i + 25)).go();
  await core.service.entities.policy.patch({ tenantId, policyId }).add({ deviceCount: count }).go();
}

export async function runDeliveryBench() {
  const dynamo = await startDynamoLocal();
  const kms = await FakeKms.start();
  // The SDK's own client (made by AwsKms), pointed at the fake by the standard per-service variable.
  process.env.AWS_ENDPOINT_URL_KMS = kms.url;
  process.env.AWS_REGION ??= kms.region;
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  try {
    const db = createDatabase({ tableName: 'bench-delivery', endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    const core = createCore(db, {
      keys: new AwsKms({ keyId: kms.createKey('alias/bench').keyId }),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: 'https://mdm.bench.example',
    });
    const system = { kind: 'system', role: 'ADMIN', name: 'bench' } as const;
    const { partner } = await runAs(system, () =>
      core.partners.create({ name: 'Bench MSP', firstKeyName: null }),
    );
    const tenant = await runAs(system, () => core.tenants.create({ name: 'Bench' }, partner.partnerId));
    const inTenant = <T>(fn: () => Promise<T>) =>
      runAs(system, () => core.tenancy.inTenant(tenant.tenantId, fn));
    const small = await inTenant(() =>
      core.policies.create({ parentId: tenant.rootPolicyId, name: 'Ten devices' }),
    );
    const fleet = await inTenant(() =>
      core.policies.create({ parentId: tenant.rootPolicyId, name: 'Fleet' }),
    );
    await addDevices(core, tenant.tenantId, small.policyId, 10, 0);
    console.log(`creating ${FLEET} devices …`);
    await addDevices(core, tenant.tenantId, fleet.policyId, FLEET, 10);

    const settings = { allowCamera: false, allowScreenShot: false, forceEncryptedBackup: true };
    const payloadType = 'com.apple.applicationaccess';
    await inTenant(() =>
      core.payloads.add(small.policyId, { payloadType, displayName: 'Restrictions', settings }),
    );

    // ------------------------------------------------------------- 2. fan-out, interrupted
    // The mutation carries the rollout for 3 s itself; stop there, as a timeout would.
    db.requests.reset();
    const started = performance.now();
    const added = await inTenant(() =>
      core.payloads.add(fleet.policyId, { payloadType, displayName: 'Restrictions', settings }),
    );
    const inlineMs = performance.now() - started;
    const inlineRequests = { ...db.requests.byCommand };
    const rolloutId = added.rollout.rolloutId;
    // On to roughly half, then "crash".
    const half = Math.max(0, Math.ceil(FLEET / 2 / 32) - Math.ceil(added.rollout.processed / 32));
    await inTenant(() => core.payloads.resumeRollout(rolloutId, { maxBatches: half }));
    const atHalf = (await core.service.entities.rollout.get({ tenantId: tenant.tenantId, rolloutId }).go())
      .data!;
    const summaryAtHalf = await inTenant(() => core.payloads.summary(fleet.policyId));
    // Two runners resume at once: the cursor's condition lets one batch win each time.
    const [a, b] = await Promise.allSettled([
      inTenant(() => core.payloads.resumeRollout(rolloutId)),
      inTenant(() => core.payloads.resumeRollout(rolloutId)),
    ]);
    const totalMs = performance.now() - started;
    const totalRequests = { ...db.requests.byCommand };
    if (a.status === 'rejected' && b.status === 'rejected') throw a.reason;
    // Whoever lost a race may have stopped early: finish (a no-op when done).
    const finished = await inTenant(() => core.payloads.resumeRollout(rolloutId));

    // Verify: one deployment per device, one queued command per PENDING deployment, counters match.
    const payloadId = added.payload.payloadId;
    const byState: Record<string, number> = {};
    for (const state of ['PENDING', 'INSTALLED', 'FAILED', 'UNSUPPORTED', 'REMOVING', 'REMOVED'] as const) {
      const { data } = await core.service.entities.deployment.query
        .byPayload({ tenantId: tenant.tenantId, payloadId, state })
        .go({ pages: 'all', attributes: ['deviceId'] });
      byState[state] = data.length;
    }
    const deployments = Object.values(byState).reduce((s, n) => s + n, 0);
    let commands = 0;
    const devices = (
      await core.service.entities.device.query
        .byPolicy({ tenantId: tenant.tenantId, policyId: fleet.policyId })
        .go({ pages: 'all', attributes: ['deviceId'] })
    ).data;
    for (let i = 0; i < devices.length; i += 50) {
      const counts = await Promise.all(
        devices.slice(i, i + 50).map(async (d) => {
          const { data } = await core.service.entities.command.query
            .byDevice({ tenantId: tenant.tenantId, deviceId: d.deviceId })
            .go({ pages: 'all', attributes: ['commandId'] });
          return data.length;
        }),
      );
      commands += counts.reduce((s, n) => s + n, 0);
    }
    const counters = (await inTenant(() => core.payloads.summary(fleet.policyId))).find(
      (s) => s.payloadId === payloadId,
    )!;

    // ------------------------------------------------------------- 3. a payload with secrets, same fleet
    const secretFanOut = await fanOut(core, kms, inTenant, fleet.policyId, {
      payloadType: 'com.apple.wifi.managed',
      displayName: 'Office Wi-Fi',
      settings: { SSID_STR: 'Office', EncryptionType: 'WPA2', Password: 'bench-wpa2-password-7Q4Z' },
    });
    const plainCommandBytes = await commandBytes(core, tenant.tenantId, devices[0]!.deviceId, payloadId);

    // ------------------------------------------------------------- 1. summary reads
    // The summary's own reads (the API key and tenant checks every request makes are apart).
    const summaryRequests = (policyId: string) =>
      inTenant(async () => {
        db.requests.reset();
        await core.payloads.summary(policyId);
        return db.requests.total();
      });
    const smallReads = await summaryRequests(small.policyId);
    const fleetReads = await summaryRequests(fleet.policyId);

    // ------------------------------------------------------------- 4. one command round
    const channel = await commandRound(core, kms, tenant, inTenant);

    const result = {
      environment: environment(),
      commandRound: channel,
      fleet: FLEET,
      summary: {
        requestsWith10Devices: smallReads,
        [`requestsWith${FLEET}Devices`]: fleetReads,
        target: 1,
        withinTarget: smallReads === 1 && fleetReads === 1,
      },
      fanOut: {
        payloadType,
        settings,
        inline: { ms: round(inlineMs), processed: added.rollout.processed, byCommand: inlineRequests },
        interruptedAt: {
          processed: atHalf.processed,
          counters: summaryAtHalf.find((s) => s.payloadId === payloadId)?.counts,
        },
        total: {
          ms: round(totalMs),
          byCommand: totalRequests,
          requests: Object.values(totalRequests).reduce((s, n) => s + n, 0),
        },
        devicesPerSecond: round(FLEET / (totalMs / 1000)),
        perDevice: {
          ms: round(totalMs / FLEET, 3),
          requests: round(Object.values(totalRequests).reduce((s, n) => s + n, 0) / FLEET, 2),
          commandBytes: plainCommandBytes,
        },
        finished,
        check: {
          deployments,
          byState,
          commandsQueued: commands,
          counters: counters.counts,
          oneDeploymentPerDevice: deployments === FLEET,
          oneCommandPerPendingDeployment: commands === byState.PENDING,
          countersMatch: Object.entries(counters.counts).every(([s, n]) => byState[s] === n),
        },
      },
      secretFanOut,
    };
    console.log(
      `\n${table(
        ['figure', 'value'],
        [
          ['summary requests, 10 devices', smallReads],
          [`summary requests, ${FLEET} devices`, fleetReads],
          [`fan-out to ${FLEET} devices, total ms`, round(totalMs)],
          ['fan-out requests', result.fanOut.total.requests],
          ['fan-out requests by command', JSON.stringify(totalRequests)],
          ['interrupted at (devices)', atHalf.processed],
          ['deployments by state', JSON.stringify(byState)],
          ['commands queued', commands],
        ],
      )}`,
    );
    console.log(
      `\n${table(
        [
          'fan-out per device',
          'ms',
          'DynamoDB requests',
          'queued command bytes',
          'KMS requests (whole rollout)',
        ],
        [
          [
            `${payloadType} (no secrets)`,
            result.fanOut.perDevice.ms,
            result.fanOut.perDevice.requests,
            plainCommandBytes ?? '?',
            '–',
          ],
          [
            'com.apple.wifi.managed with Password',
            secretFanOut.perDevice.ms,
            secretFanOut.perDevice.requests,
            secretFanOut.commandBytes ?? '?',
            JSON.stringify(secretFanOut.kms),
          ],
        ],
      )}`,
    );
    console.log(
      `\n${table(
        ['command channel step', 'DynamoDB requests', 'by command', 'KMS requests', 'ms'],
        channel.steps.map((step) => [
          step.step,
          step.requests,
          JSON.stringify(step.byCommand),
          JSON.stringify(step.kms),
          step.ms,
        ]),
      )}`,
    );
    console.log(`≤ 3 requests per step: ${verdict(channel.withinTarget)}`);
    console.log(`summary: 1 request at any size: ${verdict(result.summary.withinTarget)}`);
    console.log(
      `nothing lost or doubled: ${verdict(result.fanOut.check.oneDeploymentPerDevice && result.fanOut.check.oneCommandPerPendingDeployment && result.fanOut.check.countersMatch)}`,
    );
    console.log(`result: ${writeResult('delivery', result)}`);
    return result;
  } finally {
    await kms.close();
    await dynamo.stop();
  }
}

/** A payload added to `policyId` and rolled out to all its devices (inline, then resumed to the end). */
async function fanOut(
  core: Core,
  kms: FakeKms,
  inTenant: <T>(fn: () => Promise<T>) => Promise<T>,
  policyId: string,
  input: { payloadType: string; displayName: string; settings: Record<string, unknown> },
) {
  const kmsFrom = kms.requests.length;
  core.db.requests.reset();
  const started = performance.now();
  const added = await inTenant(() => core.payloads.add(policyId, input));
  await inTenant(() => core.payloads.resumeRollout(added.rollout.rolloutId));
  const ms = performance.now() - started;
  const requests = core.db.requests.total();
  const { tenantId, payloadId } = added.payload;
  const first = (await core.service.entities.device.query.byPolicy({ tenantId, policyId }).go({ limit: 1 }))
    .data[0]!;
  return {
    payloadType: input.payloadType,
    ms: round(ms),
    devicesPerSecond: round(FLEET / (ms / 1000)),
    requests,
    byCommand: { ...core.db.requests.byCommand },
    kms: kmsRequestsSince(kms, kmsFrom),
    perDevice: { ms: round(ms / FLEET, 3), requests: round(requests / FLEET, 2) },
    commandBytes: await commandBytes(core, tenantId, first.deviceId, payloadId),
  };
}

/** The stored size of the command queued for `payloadId` on a device (its attributes as JSON). */
async function commandBytes(core: Core, tenantId: string, deviceId: string, payloadId: string) {
  const { data } = await core.service.entities.command.query.byDevice({ tenantId, deviceId }).go();
  const command = data.find((c) => c.payloadId === payloadId);
  return command ? Buffer.byteLength(JSON.stringify(command)) : null;
}

/**
 * Two real simulated iPhones (ADDE) over HTTP, enrolled, then two policy changes each takes in one
 * session: a Wi-Fi payload with a password (a sealed command) and restrictions (a clear one):
 * Idle → the first, Acknowledged → the second, Acknowledged → empty. DynamoDB and KMS requests and
 * server time per HTTP request. The second device is served by the same process (a warm container):
 * the data key of the sealed profile is still in memory (DecryptOptions.reuseDataKey).
 */
async function commandRound(
  core: Core,
  kms: FakeKms,
  tenant: { tenantId: string; rootPolicyId: string },
  inTenant: <T>(fn: () => Promise<T>) => Promise<T>,
) {
  const steps: {
    step: string;
    requests: number;
    byCommand: Record<string, number>;
    kms: Record<string, number>;
    ms: number;
  }[] = [];
  let label = '';
  // The device functions' own core, over the wire client as in Lambda, sharing core's counter.
  const device = await wireDeviceCore(core);
  const connect = createConnectHandler(device);
  const handlers: Record<FunctionName, LambdaHandler> = {
    ...localHandlers(core, device),
    connect: async (event, context) => {
      core.db.requests.reset();
      const kmsFrom = kms.requests.length;
      const started = performance.now();
      const response = await connect(event, context);
      const ms = round(performance.now() - started, 2);
      if (label)
        steps.push({
          step: label,
          requests: core.db.requests.total(),
          byCommand: { ...core.db.requests.byCommand },
          kms: kmsRequestsSince(kms, kmsFrom),
          ms,
        });
      return response;
    },
  };
  const server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
  try {
    const push = makePushCertificate();
    await inTenant(() => core.pushCertificates.upload(push));
    const policyId = (
      await inTenant(() => core.policies.create({ parentId: tenant.rootPolicyId, name: 'Round' }))
    ).policyId;
    const actor = { kind: 'system', role: 'ADMIN', name: 'bench' } as const;
    const sims = [];
    for (let i = 0; i < 2; i++)
      sims.push(
        (
          await enrollDevice(
            core,
            server.url,
            { tenantId: tenant.tenantId, tenantActor: actor },
            {
              type: 'DEVICE',
              policyId,
              hardware: {
                body: signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' }),
                family: 'iPhone',
                product: 'iPhone17,2',
                os: '18.1',
                build: '22B83',
              },
              topic: push.topic,
            },
          )
        ).sim,
      );
    await inTenant(() =>
      core.payloads.add(policyId, {
        payloadType: 'com.apple.wifi.managed',
        settings: { SSID_STR: 'Round', EncryptionType: 'WPA2', Password: 'bench-round-password' },
      }),
    );
    await inTenant(() =>
      core.payloads.add(policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: false },
      }),
    );
    for (const [i, sim] of sims.entries()) {
      const which = i === 0 ? 'first device' : 'second device, same container';
      let answered = 0;
      sim.commandPolicy = () => {
        answered++;
        label =
          answered === 1
            ? `${which}: Acknowledged → next command (restrictions, clear)`
            : `${which}: Acknowledged → empty`;
        return 'Acknowledged';
      };
      label = `${which}: Idle → InstallProfile (Wi-Fi with a password, sealed)`;
      await sim.connect();
      if (answered !== 2) throw new Error(`expected two commands, the device answered ${answered}`);
    }
    label = '';
    return { steps, target: 3, withinTarget: steps.every((s) => s.requests <= 3) };
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runDeliveryBench();
