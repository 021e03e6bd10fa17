/**
 * Payload delivery figures (issue 5), against DynamoDB Local:
 *  1. A policy's deployment summary: DynamoDB requests with 10 devices and with 10,000 (target 1).
 *  2. Fanning one payload change out to 10,000 devices: time and requests; the rollout is stopped
 *     half-way (as a crash or a Lambda timeout would) and resumed by two runners at once, then the
 *     result is checked: every device exactly one deployment and one command, counters = deployments.
 * The Idle → command → Acknowledged round is measured with a real simulated device in
 * test/e2e/payload-delivery.test.ts's setup; its request counts are printed by `pnpm bench:delivery`
 * too (section 3), over HTTP through the local runtime.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomBytes } from 'node:crypto';
import { type Core, createCore, createDatabase, runAs } from '@ade/core';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import { createConnectHandler } from '@ade/functions/connect';
import type { LambdaHandler } from '@ade/functions/http';
import type { FunctionName } from '@ade/functions/routes';
import { startDynamoLocal } from '@ade/local/dynamodb-local';
import { startLocalServer } from '@ade/local/server';
import { ensureTable } from '@ade/local/table';
import { makePushCertificate } from '../../test/support/apple.ts';
import { signedEnrollBody } from '../../test/support/device-simulator.ts';
import { enrollDevice } from '../../test/support/enroll-device.ts';
import { localHandlers, wireDeviceCore } from '../../test/support/handlers.ts';
import { environment, round, table, verdict, writeResult } from './common.ts';

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
  try {
    const db = createDatabase({ tableName: 'bench-delivery', endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    const core = createCore(db, {
      keys: ephemeralKeyManagement(),
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

    // ------------------------------------------------------------- 3. one command round
    const channel = await commandRound(core, tenant, inTenant);

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
        ['command channel step', 'DynamoDB requests', 'by command'],
        channel.steps.map((step) => [step.step, step.requests, JSON.stringify(step.byCommand)]),
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
    await dynamo.stop();
  }
}

/**
 * A real simulated iPhone (ADDE) over HTTP: enrolled, then one session with a queued InstallProfile:
 * Idle → the command, Acknowledged → the next (none). DynamoDB requests counted per HTTP request.
 */
async function commandRound(
  core: Core,
  tenant: { tenantId: string; rootPolicyId: string },
  inTenant: <T>(fn: () => Promise<T>) => Promise<T>,
) {
  const steps: { step: string; requests: number; byCommand: Record<string, number> }[] = [];
  let label = '';
  // The device functions' own core, over the wire client as in Lambda, sharing core's counter.
  const device = await wireDeviceCore(core);
  const connect = createConnectHandler(device);
  const handlers: Record<FunctionName, LambdaHandler> = {
    ...localHandlers(core, device),
    connect: async (event, context) => {
      core.db.requests.reset();
      const response = await connect(event, context);
      if (label)
        steps.push({
          step: label,
          requests: core.db.requests.total(),
          byCommand: { ...core.db.requests.byCommand },
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
    const { sim } = await enrollDevice(
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
    );
    await inTenant(() =>
      core.payloads.add(policyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowCamera: false },
      }),
    );
    let answered = 0;
    sim.commandPolicy = () => {
      label = 'Acknowledged → next command (none: empty 200)';
      answered++;
      return 'Acknowledged';
    };
    label = 'Idle → InstallProfile';
    await sim.connect();
    if (answered !== 1) throw new Error(`expected one command, the device answered ${answered}`);
    return { steps, target: 3, withinTarget: steps.every((s) => s.requests <= 3) };
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runDeliveryBench();
