/**
 * scripts/migrate-payload-secrets.ts against DynamoDB Local, on items written the old way: payloads
 * with their Wi-Fi password and beta-program token in `settingsJson`, and queued InstallProfile
 * commands whose clear `body` carries the signed profile with the password in it (as the code before
 * sealing wrote them: installProfileCommand(…).toString('base64')). A dry run changes nothing; a run
 * stopped after a page resumes from its cursor; a second run finds nothing to do; afterwards no item
 * holds a secret, every other item is as it was, and a device still receives the real values.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installProfileCommand } from '@ade/apple/mdm-commands';
import { type Core, createCore } from '@ade/core';
import { payloadProfileContext, revealSettings } from '@ade/core/payloads/secret-values';
import { hmacTokenSigner, LocalKeyFile, type SealedSecret } from '@ade/core/secrets/index';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePayloadSecrets } from '../../scripts/migrate-payload-secrets.ts';
import { asTenant, uploadPushCertificate } from '../support/ade.ts';
import { createTenantFixture, TEST_PUBLIC_URL } from '../support/core.ts';
import { localEndpoint, useTestDatabase } from '../support/database.ts';
import { type DeviceSimulator, signedEnrollBody } from '../support/device-simulator.ts';
import { enrollDevice } from '../support/enroll-device.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';
import { type RawItem, scanTable, whereSecretIs } from '../support/table-secrets.ts';

const WIFI_PASSWORD = 'legacy-Wifi-Pass-6RT2';
const BETA_TOKEN = 'legacy-Seed-Token-91QF';
const SOFTWARE_UPDATE = 'com.apple.configuration.softwareupdate.settings';

const db = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), 'ade-migrate-'));
const keyFile = join(dir, 'master.key');
let core: Core;
let server: LocalServer;
let f: Awaited<ReturnType<typeof createTenantFixture>>;
let sim: DeviceSimulator;

/** Rewrites an item the way the code before sealing stored it. */
async function rewrite(item: RawItem, update: string, values: Record<string, unknown>) {
  await db().document.send(
    new UpdateCommand({
      TableName: db().tableName,
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: update,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    }),
  );
}

/** The table without the migration's own attributes, to compare what else changed. */
const byKey = (items: RawItem[]) => new Map(items.map((i) => [`${i.pk} ${i.sk}`, i]));

describe('migrate-payload-secrets', () => {
  beforeAll(async () => {
    core = createCore(db(), {
      keys: LocalKeyFile.open(keyFile),
      tokenSigner: hmacTokenSigner(randomBytes(32)),
      publicUrl: TEST_PUBLIC_URL,
    });
    f = await createTenantFixture(core, 'Legacy Org');
    const handlers = localHandlers(core, await wireDeviceCore(core));
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
    const { topic } = await uploadPushCertificate(core, f);
    sim = (
      await enrollDevice(core, server.url, f, {
        type: 'DEVICE',
        policyId: f.rootPolicyId,
        topic,
        hardware: {
          body: signedEnrollBody({ PRODUCT: 'iPhone17,2', VERSION: '22B83' }),
          family: 'iPhone',
          product: 'iPhone17,2',
          os: '18.1',
          build: '22B83',
        },
      })
    ).sim;
    await asTenant(core, f, async () => {
      await core.payloads.add(f.rootPolicyId, {
        payloadType: 'com.apple.wifi.managed',
        settings: { SSID_STR: 'Legacy', EncryptionType: 'WPA2', Password: WIFI_PASSWORD },
      });
      await core.payloads.add(f.rootPolicyId, {
        payloadType: SOFTWARE_UPDATE,
        settings: { Beta: { OfferPrograms: [{ Description: 'Seed', Token: BETA_TOKEN }] } },
      });
      await core.payloads.add(f.rootPolicyId, {
        payloadType: 'com.apple.applicationaccess',
        settings: { allowScreenShot: false },
      });
    });
    // Now back to how the code before sealing wrote them.
    const keys = LocalKeyFile.open(keyFile);
    for (const item of await scanTable(db())) {
      if (item.__edb_e__ === 'payload' && item.sealedSecrets) {
        const full = await revealSettings(keys, item as Parameters<typeof revealSettings>[1]);
        await rewrite(item, 'SET settingsJson = :s REMOVE secretPaths, sealedSecrets', {
          ':s': JSON.stringify(full),
        });
      }
      if (item.__edb_e__ === 'command' && item.sealedProfile) {
        const profile = await keys.decrypt(
          item.sealedProfile as SealedSecret,
          payloadProfileContext({
            tenantId: String(item.tenantId),
            payloadId: String(item.payloadId),
            version: Number(item.payloadVersion),
          }),
        );
        const body = installProfileCommand(String(item.commandId), profile).toString('base64');
        await rewrite(item, 'SET body = :b REMOVE sealedProfile', { ':b': body });
      }
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from items written the old way, which GraphQL already masks', async () => {
    const items = await scanTable(db());
    // The Wi-Fi payload's settings and its queued command's body; the declaration's settings.
    const password = whereSecretIs(items, WIFI_PASSWORD);
    expect(password).toHaveLength(2);
    expect(password.filter((w) => / PLD#\S+ settingsJson$/.test(w))).toHaveLength(1);
    expect(password.filter((w) => / CMD#\S+ body$/.test(w))).toHaveLength(1);
    expect(whereSecretIs(items, BETA_TOKEN)).toEqual([expect.stringMatching(/ settingsJson$/)]);
    const data = await gqlOk(
      core,
      f.tenantReadOnlyKey,
      '{ viewer { tenant { rootPolicy { payloads { settings secrets { path hasValue } } } } } }',
    );
    const text = JSON.stringify(data);
    for (const secret of [WIFI_PASSWORD, BETA_TOKEN]) expect(text).not.toContain(secret);
    expect(text).toContain('{"path":"Password","hasValue":true}');
  });

  it('a dry run lists what it would seal and changes nothing', async () => {
    const before = await scanTable(db());
    const report = await migratePayloadSecrets(db(), core.options.keys, { dryRun: true });
    expect(report.payloads.sealed).toHaveLength(2);
    expect(report.payloads.clean).toBe(1);
    expect(report.commands.sealed).toHaveLength(1);
    expect(report.commands.clean).toBeGreaterThanOrEqual(2); // the restrictions, the DDM sync
    expect(await scanTable(db())).toEqual(before);
  });

  it('seals them, resuming from its cursor after a stop, and a second run finds nothing to do', async () => {
    const before = byKey(await scanTable(db()));
    let stopped: string | null = null;
    await expect(
      migratePayloadSecrets(db(), core.options.keys, {
        pageSize: 3,
        onPage: (r) => {
          stopped = r.cursor;
          throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(stopped).toBeTruthy();
    const { stdout } = await promisify(execFile)(
      'node',
      [
        '--import',
        'tsx',
        'scripts/migrate-payload-secrets.ts',
        '--table',
        db().tableName,
        '--endpoint',
        localEndpoint(),
        '--start',
        stopped!,
        '--json',
      ],
      {
        env: {
          ...process.env,
          ADE_LOCAL_KEY_FILE: keyFile,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
        },
      },
    );
    const resumed = JSON.parse(stdout);
    expect(resumed).toMatchObject({ dryRun: false, cursor: null });
    const again = await migratePayloadSecrets(db(), core.options.keys);
    expect(again.payloads).toEqual({ sealed: [], clean: 3, changed: [] });
    expect(again.commands.sealed).toEqual([]);

    const after = await scanTable(db());
    for (const secret of [WIFI_PASSWORD, BETA_TOKEN]) expect(whereSecretIs(after, secret)).toEqual([]);
    // Only the secrets moved: every other attribute of every item is as it was.
    const moved = new Set(['settingsJson', 'secretPaths', 'sealedSecrets', 'body', 'sealedProfile']);
    for (const item of after) {
      const old = before.get(`${item.pk} ${item.sk}`)!;
      const rest = (i: RawItem) => Object.fromEntries(Object.entries(i).filter(([k]) => !moved.has(k)));
      expect(rest(item)).toEqual(rest(old));
    }
    expect(after.filter((i) => i.sealedSecrets)).toHaveLength(2);
    expect(after.filter((i) => i.sealedProfile)).toHaveLength(1);
  });

  it('the device still receives the real values, from the sealed command and the sealed declaration', async () => {
    const session = await sim.connect();
    expect(session.exchanges.map((e) => `${e.requestType} ${e.status}`).sort()).toEqual([
      'DeclarativeManagement Acknowledged',
      'InstallProfile Acknowledged',
      'InstallProfile Acknowledged',
    ]);
    const wifi = [...sim.installedProfiles.values()]
      .flatMap((p) => p.payloads)
      .find((p) => p.SSID_STR === 'Legacy');
    expect(wifi).toMatchObject({ Password: WIFI_PASSWORD });
    const declaration = [...sim.declarations.values()].find((d) => d.type === SOFTWARE_UPDATE);
    expect(declaration?.payload).toEqual({
      Beta: { OfferPrograms: [{ Description: 'Seed', Token: BETA_TOKEN }] },
    });
  });
});
