/**
 * The logs Lambda would write, from the real handler exports (as Lambda loads them: wrapped by
 * withLogging, core from the environment) over the local runtime: GraphQL with API keys in the
 * Authorization header (one mutation returning a new key), a passcode sign-in, the access token
 * redeemed in a bearer, check-ins with a push token, an Idle on the command channel. Every line
 * written to stdout/stderr is captured: each must be JSON with the request id, and no key, token,
 * passcode or push secret may appear.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '@ade/core';
import { LocalKeyFile } from '@ade/core/secrets/index';
import { logger, REDACTED, redact, withLogging } from '@ade/functions/log';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, uploadPushCertificate } from '../support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL } from '../support/core.ts';
import { useTestDatabase } from '../support/database.ts';
import { DeviceSimulator, signedEnrollBody } from '../support/device-simulator.ts';

const db = useTestDatabase('logs');
const keyDir = mkdtempSync(join(tmpdir(), 'ade-logs-'));
let server: LocalServer;
const captured: string[] = [];
const restore: (() => void)[] = [];

function capture(stream: NodeJS.WriteStream) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restore.push(() => {
    stream.write = write;
  });
}

beforeAll(async () => {
  const endpoint = await db().client.config.endpoint!();
  Object.assign(process.env, {
    ADE_TABLE_NAME: db().tableName,
    ADE_DYNAMODB_ENDPOINT: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`,
    ADE_PUBLIC_URL: TEST_PUBLIC_URL,
    ADE_LOCAL_KEY_FILE: join(keyDir, 'master.key'),
  });
  logger.setLogLevel('INFO');
  server = await startLocalServer(); // the handler modules Lambda runs
  capture(process.stdout);
  capture(process.stderr);
});

afterAll(async () => {
  for (const undo of restore) undo();
  logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'WARN') ?? 'INFO');
  await server?.close();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('structured logs', () => {
  it('log every request as JSON with its request id, and never a key, token or passcode', async () => {
    const core = createCore(db(), {
      keys: LocalKeyFile.open(process.env.ADE_LOCAL_KEY_FILE!),
      publicUrl: TEST_PUBLIC_URL,
    });
    const f = await createTenantFixture(core, 'Logged Org');
    const push = await uploadPushCertificate(core, f);
    const secrets: string[] = [
      f.tenantAdminKey,
      f.partnerKey,
      f.tenantReadOnlyKey,
      'six-digits',
      push.privateKeyPem,
    ];

    const graphql = (key: string, query: string, variables = {}) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
    expect((await graphql(f.tenantAdminKey, '{ viewer { tenant { name } } }')).status).toBe(200);
    const forged = `${f.tenantAdminKey.slice(0, -6)}AAAAAA`;
    secrets.push(forged);
    expect((await graphql(forged, '{ viewer { tenant { name } } }')).status).toBe(401);
    const created = (await (
      await graphql(
        f.tenantAdminKey,
        'mutation($t: ID!) { createApiKey(input: { ownerId: $t, name: "logged", role: READ_ONLY }) { secret errors { code } } }',
        { t: f.tenantId },
      )
    ).json()) as { data: { createApiKey: { secret: string } } };
    expect(created.data.createApiKey.secret).toMatch(/^ade_/);
    secrets.push(created.data.createApiKey.secret);

    const policy = await asTenant(core, f, () =>
      core.policies.create({ parentId: f.rootPolicyId, name: 'Macs' }),
    );
    const { item } = await asTenant(core, f, () =>
      core.adeConfigurations.set({
        policyId: policy.policyId,
        enrollmentType: 'DEVICE',
        domains: ['logs.example'],
        authMethod: 'PASSCODE',
        passcode: 'six-digits',
        enabled: true,
      }),
    );
    const mac = new DeviceSimulator(
      server.url,
      signedEnrollBody({ PRODUCT: 'Mac15,3', VERSION: '24A335' }),
      'Mac',
    );
    const base = (await mac.discover(item.discoveryId, 'bob@logs.example')).body.Servers![0]!.BaseURL;
    const challenge = /url="([^"]+)"/.exec((await mac.enroll(base)).headers.get('www-authenticate')!)![1]!;
    await expect(mac.signIn(challenge, 'bob@logs.example', 'wrong-code')).rejects.toThrow();
    secrets.push('wrong-code');
    const token = await mac.signIn(challenge, 'bob@logs.example', 'six-digits');
    secrets.push(token);
    const enrolled = await mac.enroll(base);
    expect(enrolled.status).toBe(200);
    const profile = mac.acceptProfile(Buffer.from(await enrolled.arrayBuffer()));
    secrets.push(profile.identity.privateKeyPem.split('\n')[1]!);
    const udid = crypto.randomUUID().toUpperCase();
    const topic = push.topic;
    const pushMagic = crypto.randomUUID();
    const pushToken = 'c0ffee00c0ffee00';
    secrets.push(pushMagic, pushToken);
    for (const message of [
      { MessageType: 'Authenticate', Topic: topic, UDID: udid, SerialNumber: 'C02LOGGED', Model: 'Mac15,3' },
      {
        MessageType: 'TokenUpdate',
        Topic: topic,
        UDID: udid,
        Token: Buffer.from(pushToken, 'hex'),
        PushMagic: pushMagic,
      },
    ])
      expect((await mac.checkIn(message, { bearer: false })).status).toBe(200);
    await mac.connect(); // Idle: the command channel

    const lines = captured
      .join('')
      .split('\n')
      .filter((line) => line.trim());
    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.message === 'request');
    const byFunction = (name: string) => requests.filter((entry) => entry.function === name);
    for (const name of ['graphql', 'discovery', 'enroll', 'auth', 'checkin', 'connect']) {
      expect(byFunction(name).length, name).toBeGreaterThan(0);
      for (const entry of byFunction(name)) {
        expect(entry).toMatchObject({
          level: 'INFO',
          requestId: expect.any(String),
          status: expect.any(Number),
        });
        expect(entry.function_request_id).toBe(entry.requestId);
      }
    }
    expect(byFunction('graphql').map((e) => e.status)).toEqual([200, 401, 200]);
    for (const entry of [...byFunction('checkin'), ...byFunction('connect')])
      expect(entry.tenantId).toBe(f.tenantId);
    const everything = lines.join('\n');
    for (const secret of secrets)
      expect(everything.includes(secret), `a log line contains ${secret.slice(0, 12)}…`).toBe(false);
  });

  it('mask secrets in errors and objects a handler logs or throws', async () => {
    captured.length = 0;
    const key = `ade_ten_01J0000000000000000000000A_01J0000000000000000000000B_${'x'.repeat(43)}`;
    const failing = withLogging('test', async () => {
      logger.info('looking at the request', {
        headers: { authorization: `Bearer ${key}`, 'x-trace': 'ok' },
        form: { passcode: '123456', 'user-identifier': 'bob@example.com' },
        device: { PushMagic: 'magic-value', Token: 'abcd', UDID: 'UDID-1' },
        callback: 'apple-remotemanagement-user-login://authentication-results?access-token=tok_123',
        privateKey: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      });
      throw new Error(`refused ${key} with Bearer abc.def.ghi`);
    });
    const event = {
      routeKey: 'PUT /mdm/t/{tenant}/checkin',
      rawPath: '/mdm/t/01J0000000000000000000000A/checkin',
      pathParameters: { tenant: '01J0000000000000000000000A' },
      requestContext: { requestId: 'req-1', http: { method: 'PUT' } },
    } as never;
    await expect(failing(event, { awsRequestId: 'aws-req-1' } as Context)).rejects.toThrow(/refused/);
    const entries = captured
      .join('')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    const text = JSON.stringify(entries);
    for (const secret of [key, 'abc.def.ghi', '123456', 'magic-value', 'tok_123', 'MIIE'])
      expect(text.includes(secret), secret).toBe(false);
    expect(text).toContain('bob@example.com'); // what is not secret stays readable
    expect(text).toContain('UDID-1');
    const failed = entries.find((e) => e.message === 'request.failed');
    expect(failed).toMatchObject({
      level: 'ERROR',
      requestId: 'aws-req-1',
      tenantId: 'ten_01J0000000000000000000000A',
    });
    expect(entries.find((e) => e.message === 'request')).toMatchObject({ status: 500 });
  });

  it('redact() masks by key name and by shape', () => {
    expect(
      redact({ apiKey: 'x', Authorization: 'Bearer y', nested: [{ secret_value: 'z', ok: 'fine' }], n: 1 }),
    ).toEqual({
      apiKey: REDACTED,
      Authorization: REDACTED,
      nested: [{ secret_value: REDACTED, ok: 'fine' }],
      n: 1,
    });
  });
});
