/**
 * Least privilege against real traffic: whole enrollments (a BYOD iPhone signing in with its
 * Managed Apple Account, an ADDE Mac with a passcode, one wrong attempt included, an ADDE iPhone),
 * their check-ins, the payloads their policy queues for them over the command channel and a
 * declarative-management sync, through the device-facing handlers on the local runtime, and a
 * payload change the rollout worker carries. Each function has its own core and key management, as
 * in Lambda (device functions the device core on the wire client, the worker the whole core on the
 * SDK), so every request is attributed to the function that made it.
 * Every DynamoDB action and KMS operation a function used must be granted in infra/permissions.ts,
 * and a function with its own entry there must use everything it is granted (nothing spare).
 */
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { createCore, createDatabase, createDeviceCore, type DeviceCore } from '@ade/core';
import { createWireDatabase, type WireDatabase } from '@ade/core/db/wire';
import { sealSecrets } from '@ade/core/payloads/secret-values';
import { ephemeralKeyManagement, type KeyManagement } from '@ade/core/secrets/index';
import { type FunctionName, functions, type LambdaHandler } from '@ade/functions';
import { createAuthHandler } from '@ade/functions/auth';
import { createCheckinHandler } from '@ade/functions/checkin';
import { createConnectHandler } from '@ade/functions/connect';
import { createDiscoveryHandler } from '@ade/functions/discovery';
import { createEnrollHandler } from '@ade/functions/enroll';
import { createRolloutWorker } from '@ade/functions/rollouts';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, uploadPushCertificate } from '../test/support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL, useTestCore } from '../test/support/core.ts';
import { localEndpoint } from '../test/support/database.ts';
import { DeviceSimulator, signedEnrollBody } from '../test/support/device-simulator.ts';
import { type DynamoAction, GRANTS, grantsFor, type KmsAction } from './permissions.ts';

/** The IAM actions a DynamoDB request needs (a transaction: one per item's kind). */
function iamActions(command: string, input: Record<string, unknown>): DynamoAction[] {
  const name = command.replace(/Command$/, '');
  switch (name) {
    case 'GetItem':
    case 'Get':
      return ['dynamodb:GetItem'];
    case 'BatchGetItem':
    case 'BatchGet':
      return ['dynamodb:BatchGetItem'];
    case 'Query':
      return ['dynamodb:Query'];
    case 'PutItem':
    case 'Put':
      return ['dynamodb:PutItem'];
    case 'UpdateItem':
    case 'Update':
      return ['dynamodb:UpdateItem'];
    case 'DeleteItem':
    case 'Delete':
      return ['dynamodb:DeleteItem'];
    case 'TransactWriteItems':
    case 'TransactWrite': {
      const kinds: Record<string, DynamoAction> = {
        Put: 'dynamodb:PutItem',
        Update: 'dynamodb:UpdateItem',
        Delete: 'dynamodb:DeleteItem',
        ConditionCheck: 'dynamodb:ConditionCheckItem',
      };
      return (input.TransactItems as Record<string, unknown>[]).flatMap((item) =>
        Object.keys(item).map((kind) => kinds[kind] ?? (`dynamodb:${kind}` as DynamoAction)),
      );
    }
    default:
      return [`dynamodb:${name}` as DynamoAction];
  }
}

interface Recorded {
  dynamodb: Set<string>;
  /** Queries on a GSI (need `table/index/*`). */
  indexes: Set<string>;
  kms: Set<KmsAction>;
}

/** Notes the IAM actions (and GSI) one DynamoDB request needs. */
function record(used: Recorded, command: string, input: Readonly<Record<string, unknown>>) {
  for (const action of iamActions(command, input)) used.dynamodb.add(action);
  if (typeof input.IndexName === 'string') used.indexes.add(input.IndexName);
}

/** A device core as the function builds it (the wire client), recording what it asks of AWS. */
function recordingCore(tableName: string): { core: DeviceCore; used: Recorded; db: WireDatabase } {
  const used: Recorded = { dynamodb: new Set(), indexes: new Set(), kms: new Set() };
  const db = createWireDatabase({
    tableName,
    endpoint: localEndpoint(),
    observe: (command, input) => record(used, command, input),
  });
  return {
    core: createDeviceCore(db, { keys: recordingKeys(used), publicUrl: TEST_PUBLIC_URL }),
    used,
    db,
  };
}

/** The rollout worker as its function builds it: the whole core on the AWS SDK client, recorded. */
function recordingWorker(tableName: string) {
  const used: Recorded = { dynamodb: new Set(), indexes: new Set(), kms: new Set() };
  const db = createDatabase({ tableName, endpoint: localEndpoint() });
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      record(used, context.commandName ?? 'unknown', args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'iamRecorder' },
  );
  const core = createCore(db, { keys: recordingKeys(used), publicUrl: TEST_PUBLIC_URL });
  return { run: createRolloutWorker(core), used, db };
}

/** AwsKms does one GenerateDataKey per seal and one Decrypt per open (secrets/aws-kms.test.ts). */
function recordingKeys(used: Recorded): KeyManagement {
  return {
    description: 'recording',
    encrypt: (plaintext, context) => {
      used.kms.add('kms:GenerateDataKey');
      return sharedKeys.encrypt(plaintext, context);
    },
    decrypt: (sealed, context, options) => {
      used.kms.add('kms:Decrypt');
      return sharedKeys.decrypt(sealed, context, options);
    },
  };
}

const sharedKeys = ephemeralKeyManagement();
const admin = useTestCore();
const recorded = new Map<FunctionName, ReturnType<typeof recordingCore>>();
let server: LocalServer;

const factories: Partial<Record<FunctionName, (core: DeviceCore) => LambdaHandler>> = {
  discovery: (core) => createDiscoveryHandler(core),
  enroll: (core) => createEnrollHandler(core, (redeemed) => core.profiles.issue(redeemed)),
  auth: (core) => createAuthHandler(core),
  checkin: (core) => createCheckinHandler(core),
  connect: (core) => createConnectHandler(core),
};

beforeAll(async () => {
  server = await startLocalServer({
    loadHandler: async (name) => {
      const factory = factories[name];
      if (!factory) throw new Error(`no recording handler for ${name}`);
      const entry = recordingCore(admin().db.tableName);
      recorded.set(name, entry);
      return factory(entry.core);
    },
  });
});
afterAll(async () => {
  await server?.close();
  for (const { db } of recorded.values()) db.destroy();
});

describe('least privilege under real device traffic', () => {
  it('every request of an enrollment and its check-ins is granted to the function that made it', async () => {
    // The admin side (GraphQL's job) is set up directly with core, with the same throwaway key.
    const core = createCore(admin().db, { keys: sharedKeys, publicUrl: TEST_PUBLIC_URL });
    const f = await createTenantFixture(core, 'Least Privilege Org');
    const push = await uploadPushCertificate(core, f);
    const configure = async (
      enrollmentType: 'USER' | 'DEVICE',
      authMethod: 'MANAGED_APPLE_ACCOUNT' | 'PASSCODE',
    ) => {
      const domain = `${enrollmentType.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}.example`;
      const policy = await asTenant(core, f, () =>
        core.policies.create({ parentId: f.rootPolicyId, name: `${enrollmentType} devices` }),
      );
      const { item } = await asTenant(core, f, () =>
        core.adeConfigurations.set({
          policyId: policy.policyId,
          enrollmentType,
          domains: [domain],
          authMethod,
          passcode: authMethod === 'PASSCODE' ? 'six-digits' : undefined,
          enabled: true,
        }),
      );
      return { discoveryId: item.discoveryId, domain };
    };

    // What the policy holds for every device: a profile and a software-update declaration.
    await asTenant(core, f, async () => {
      await core.payloads.add(f.rootPolicyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowScreenShot: false },
      });
      await core.payloads.add(f.rootPolicyId, {
        payloadType: 'com.apple.configuration.softwareupdate.enforcement.specific',
        settings: { TargetOSVersion: '18.3', TargetLocalDateTime: '2026-12-01T02:00:00' },
      });
    });
    const byod = await configure('USER', 'MANAGED_APPLE_ACCOUNT');
    const iphone = new DeviceSimulator(server.url, readFileSync(ENROLL_CAPTURE_PATH), 'iPhone');
    const user = `alice@${byod.domain}`;
    const iphoneBase = (await iphone.discover(byod.discoveryId, user)).body.Servers![0]!.BaseURL;
    const iphoneChallenge = await iphone.enroll(iphoneBase);
    await iphone.signIn(/url="([^"]+)"/.exec(iphoneChallenge.headers.get('www-authenticate')!)![1]!, user);
    const iphoneProfile = await iphone.enroll(iphoneBase);
    expect(iphoneProfile.status).toBe(200);
    iphone.acceptProfile(Buffer.from(await iphoneProfile.arrayBuffer()));
    const ids = { EnrollmentID: crypto.randomUUID().toUpperCase() };
    const topic = push.topic;
    for (const message of [
      { MessageType: 'Authenticate', Topic: topic, ...ids, OSVersion: '17.5', ProductName: 'iPhone15,2' },
      { MessageType: 'TokenUpdate', Topic: topic, ...ids, Token: Buffer.from('a1b2', 'hex'), PushMagic: 'm' },
    ])
      expect((await iphone.checkIn(message)).status).toBe(200);
    const session = await iphone.connect(); // the profile the policy holds (the declaration is not for BYOD)
    expect(session.exchanges.map((e) => `${e.requestType} ${e.status}`)).toEqual([
      'InstallProfile Acknowledged',
    ]);
    // Another payload is queued for it, then the device leaves: its queue is emptied, its deployments retired.
    await asTenant(core, f, () =>
      core.payloads.add(f.rootPolicyId, {
        payloadType: 'com.apple.applicationaccess',
        displayName: 'Second restrictions',
        settings: { allowScreenShot: true },
      }),
    );
    expect((await iphone.checkIn({ MessageType: 'CheckOut', Topic: topic, ...ids })).status).toBe(200);

    const adde = await configure('DEVICE', 'PASSCODE');
    const mac = new DeviceSimulator(
      server.url,
      signedEnrollBody({ PRODUCT: 'Mac15,3', VERSION: '24A335' }),
      'Mac',
    );
    const bob = `bob@${adde.domain}`;
    const macBase = (await mac.discover(adde.discoveryId, bob)).body.Servers![0]!.BaseURL;
    const macChallenge = /url="([^"]+)"/.exec(
      (await mac.enroll(macBase)).headers.get('www-authenticate')!,
    )![1]!;
    await expect(mac.signIn(macChallenge, bob, 'wrong-code')).rejects.toThrow();
    await mac.signIn(macChallenge, bob, 'six-digits');
    expect((await mac.enroll(macBase)).status).toBe(200);

    // An ADDE iPhone takes the declaration too: the command channel, then a DDM sync over check-in.
    const phone = new DeviceSimulator(
      server.url,
      signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' }),
      'iPhone',
    );
    const carol = `carol@${adde.domain}`;
    const phoneBase = (await phone.discover(adde.discoveryId, carol)).body.Servers![0]!.BaseURL;
    const phoneChallenge = /url="([^"]+)"/.exec(
      (await phone.enroll(phoneBase)).headers.get('www-authenticate')!,
    )![1]!;
    await phone.signIn(phoneChallenge, carol, 'six-digits');
    phone.acceptProfile(Buffer.from(await (await phone.enroll(phoneBase)).arrayBuffer()));
    const udid = { UDID: crypto.randomUUID().toUpperCase() };
    for (const message of [
      { MessageType: 'Authenticate', Topic: topic, ...udid, OSVersion: '18.1', ProductName: 'iPhone17,2' },
      {
        MessageType: 'TokenUpdate',
        Topic: topic,
        ...udid,
        Token: Buffer.from('c3d4', 'hex'),
        PushMagic: 'n',
      },
    ])
      expect((await phone.checkIn(message)).status).toBe(200);
    const synced = await phone.connect();
    expect(synced.exchanges.map((e) => e.requestType).sort()).toEqual([
      'DeclarativeManagement',
      'InstallProfile',
      'InstallProfile',
    ]);
    expect(synced.ddm).toBeDefined();

    // The rollout worker (on its EventBridge schedule) carries a change its mutation left unfinished:
    // saved as updatePayload saves it (the payload, its sealed password and its rollout in one
    // transaction), then one pass: it opens the password and seals the signed profile that carries
    // it. The phone still has the first version queued, which the second replaces.
    const wifi = { SSID_STR: 'Corp', EncryptionType: 'WPA2' };
    const password = [{ path: ['Password'], value: 'wpa2-least-privilege' }];
    const { payload: network } = await asTenant(core, f, () =>
      core.payloads.add(f.rootPolicyId, {
        payloadType: 'com.apple.wifi.managed',
        displayName: 'Wi-Fi',
        settings: { ...wifi, Password: 'wpa2-least-privilege' },
      }),
    );
    const next = {
      ...network,
      settingsJson: JSON.stringify({ ...wifi, AutoJoin: false }),
      version: network.version + 1,
    };
    const sealed = await sealSecrets(sharedKeys, next, password);
    const unfinished = await core.delivery.newRollout(next, 'UPDATE');
    await core.service.transaction
      .write(({ payload, rollout }) => [
        payload
          .patch({ tenantId: f.tenantId, payloadId: network.payloadId })
          .set({ settingsJson: next.settingsJson, version: next.version, ...sealed })
          .commit(),
        rollout.create(unfinished).commit(),
      ])
      .go();
    const worker = recordingWorker(admin().db.tableName);
    expect(await worker.run({}, { getRemainingTimeInMillis: () => 60_000 })).toMatchObject({ rollouts: 1 });
    const updated = await phone.connect();
    expect(updated.exchanges.map((e) => `${e.requestType} ${e.status}`)).toEqual([
      'InstallProfile Acknowledged',
    ]);
    worker.db.client.destroy();

    // Discovery writes its audit events in batches; a longer run would have sent this one by now.
    await recorded.get('discovery')!.core.discovery.flushAudit();
    // The first sign-in of the deployment made the access-token key; a second sign-in container
    // (a cold start) opens it instead: both are the auth function's traffic.
    const coldAuth = recordingCore(admin().db.tableName);
    await coldAuth.core.options.tokenSigner.sign('cold start');
    const auth = recorded.get('auth')!.used;
    for (const action of coldAuth.used.dynamodb) auth.dynamodb.add(action);
    for (const action of coldAuth.used.kms) auth.kms.add(action);
    coldAuth.db.destroy();

    for (const [name, { used }] of recorded) {
      const grants = grantsFor(name, functions[name].deviceFacing);
      for (const action of used.dynamodb) expect(grants.dynamodb, `${name} uses ${action}`).toContain(action);
      if (used.indexes.size) expect(grants.indexes, `${name} queries ${[...used.indexes]}`).toBe(true);
      for (const action of used.kms) expect(grants.kms, `${name} uses ${action}`).toContain(action);
    }
    for (const [name, { used }] of recorded) {
      const own = GRANTS[name];
      if (!own) continue; // on a default: checked above only for what it used
      expect({ name, dynamodb: [...own.dynamodb].sort(), kms: [...own.kms].sort() }).toEqual({
        name,
        dynamodb: [...used.dynamodb].sort(),
        kms: [...used.kms].sort(),
      });
      expect(own.indexes, `${name} is granted the GSIs`).toBe(used.indexes.size > 0);
    }
    expect([...recorded.keys()].sort()).toEqual(['auth', 'checkin', 'connect', 'discovery', 'enroll']);
    // The worker, exactly: what it used is what it is granted.
    const own = GRANTS.rollouts!;
    expect({ dynamodb: [...own.dynamodb].sort(), kms: [...own.kms].sort(), indexes: own.indexes }).toEqual({
      dynamodb: [...worker.used.dynamodb].sort(),
      kms: [...worker.used.kms].sort(),
      indexes: worker.used.indexes.size > 0,
    });
    expect(Object.keys(GRANTS)).toEqual(expect.arrayContaining([...recorded.keys()]));
  });
});
