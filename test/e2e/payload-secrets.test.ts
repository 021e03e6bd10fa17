/**
 * Secrets in payloads are secrets (docs/payload-secrets.md), end to end over HTTP through the local
 * runtime: a Wi-Fi payload with its network, EAP and proxy passwords and a software-update
 * declaration with a beta-program token go onto a policy; an ADDE iPhone enrolled before (the
 * rollout builds its command) and a BYOD iPhone enrolled after (its enrollment does) take them.
 * No API key reads a secret back; no item of the table holds one in clear, however many layers of
 * base64 down; the devices still receive the real values; an update that leaves a secret out keeps
 * it, a new value replaces it and null clears it.
 */
import { readFileSync } from 'node:fs';
import { ENROLL_CAPTURE_PATH } from '@ade/apple/testing/tools';
import { encodeScopedId } from '@ade/core';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, uploadPushCertificate } from '../support/ade.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import type { DeviceSimulator } from '../support/device-simulator.ts';
import { signedEnrollBody } from '../support/device-simulator.ts';
import { enrollDevice } from '../support/enroll-device.ts';
import { gqlOk } from '../support/graphql.ts';
import { localHandlers, wireDeviceCore } from '../support/handlers.ts';
import { scanTable, whereSecretIs } from '../support/table-secrets.ts';

const WIFI_PASSWORD = 'wpa2-Horse-Battery-7Q4ZK';
const PROXY_PASSWORD = 'proxy-Staple-8LMX2';
const EAP_PASSWORD = 'eap-Inner-Tunnel-93XZ';
const BETA_TOKEN = 'seed-Token-4b7e1d0c9f';
const SECRETS = [WIFI_PASSWORD, PROXY_PASSWORD, EAP_PASSWORD, BETA_TOKEN];
const SOFTWARE_UPDATE = 'com.apple.configuration.softwareupdate.settings';

const WIFI = {
  SSID_STR: 'Corp',
  EncryptionType: 'WPA2',
  AutoJoin: true,
  Password: WIFI_PASSWORD,
  ProxyType: 'Manual',
  ProxyServer: 'proxy.corp.example',
  ProxyServerPort: 3128,
  ProxyUsername: 'wifi-proxy',
  ProxyPassword: PROXY_PASSWORD,
};
const EAP_WIFI = {
  SSID_STR: 'Corp-Secure',
  EncryptionType: 'WPA2',
  EAPClientConfiguration: { AcceptEAPTypes: [25], UserName: 'alice', UserPassword: EAP_PASSWORD },
};
const BETA = { Beta: { OfferPrograms: [{ Description: 'IT seed', Token: BETA_TOKEN }] } };

const core = useTestCore();
let server: LocalServer;
let f: Awaited<ReturnType<typeof createTenantFixture>>;
let topic: string;
let policyId: string;
let adde: DeviceSimulator;
let byod: DeviceSimulator;
const payloadIds = { wifi: '', eap: '', beta: '' };

const PAYLOAD_FIELDS = 'id payloadType version settings secrets { path hasValue }';

async function addPayload(payloadType: string, settings: unknown) {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($p: ID!, $t: String!, $s: String!) { addPayload(input: { policyId: $p, payloadType: $t, settings: $s }) { change { payload { ${PAYLOAD_FIELDS} } } errors { code path message } } }`,
    { p: encodeScopedId(f.tenantId, policyId), t: payloadType, s: JSON.stringify(settings) },
  );
  expect(data.addPayload.errors).toEqual([]);
  for (const secret of SECRETS) expect(JSON.stringify(data)).not.toContain(secret);
  return data.addPayload.change.payload.id as string;
}

async function updatePayload(id: string, settings: unknown) {
  const data = await gqlOk(
    core(),
    f.tenantAdminKey,
    `mutation($id: ID!, $s: String!) { updatePayload(input: { id: $id, settings: $s }) { change { payload { ${PAYLOAD_FIELDS} } } errors { code path message } } }`,
    { id, s: JSON.stringify(settings) },
  );
  expect(data.updatePayload.errors).toEqual([]);
  for (const secret of SECRETS) expect(JSON.stringify(data)).not.toContain(secret);
  return data.updatePayload.change.payload as {
    version: number;
    settings: string;
    secrets: { path: string; hasValue: boolean }[];
  };
}

async function readPayload(key: string, id: string) {
  const data = await gqlOk(
    core(),
    key,
    `query($id: ID!) { node(id: $id) { ... on Payload { ${PAYLOAD_FIELDS} } } }`,
    {
      id,
    },
  );
  return data.node as { version: number; settings: string; secrets: { path: string; hasValue: boolean }[] };
}

/** The Wi-Fi payload the device holds for the profile of `payloadId`, as it installed it. */
function installedWifi(sim: DeviceSimulator, ssid: string) {
  for (const profile of sim.installedProfiles.values())
    for (const payload of profile.payloads) if (payload.SSID_STR === ssid) return payload;
  return undefined;
}

describe('secrets in payloads', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'Secrets Org');
    const handlers = localHandlers(core(), await wireDeviceCore(core()));
    server = await startLocalServer({ loadHandler: async (name) => handlers[name] });
    topic = (await uploadPushCertificate(core(), f)).topic;
    policyId = (
      await asTenant(core(), f, () => core().policies.create({ parentId: f.rootPolicyId, name: 'Corp' }))
    ).policyId;
    // Enrolled before the payloads: the rollout of each addPayload queues its commands.
    adde = (
      await enrollDevice(core(), server.url, f, {
        type: 'DEVICE',
        policyId,
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
    payloadIds.wifi = await addPayload('com.apple.wifi.managed', WIFI);
    payloadIds.eap = await addPayload('com.apple.wifi.managed', EAP_WIFI);
    payloadIds.beta = await addPayload(SOFTWARE_UPDATE, BETA);
    // Enrolled after: its first TokenUpdate queues them (delivery.reconcileDevice). Under a child
    // policy, which inherits the payloads: a configuration has one enrollment type, and changing the
    // parent's would reach discovery only when its cached answer expires.
    const byodPolicyId = (
      await asTenant(core(), f, () => core().policies.create({ parentId: policyId, name: 'Corp BYOD' }))
    ).policyId;
    byod = (
      await enrollDevice(core(), server.url, f, {
        type: 'USER',
        policyId: byodPolicyId,
        topic,
        hardware: {
          body: readFileSync(ENROLL_CAPTURE_PATH),
          family: 'iPhone',
          product: 'iPhone12,1',
          os: '18.1',
          build: '22B83',
        },
      })
    ).sim;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('no key, ADMIN or READ_ONLY, reads a secret: settings leave them out, secrets say where they are', async () => {
    for (const key of [f.tenantAdminKey, f.tenantReadOnlyKey]) {
      const wifi = await readPayload(key, payloadIds.wifi);
      const { Password, ProxyPassword, ...rest } = WIFI;
      expect(JSON.parse(wifi.settings)).toEqual(rest);
      expect(wifi.secrets).toEqual([
        { path: 'Password', hasValue: true },
        { path: 'ProxyPassword', hasValue: true },
      ]);
      const eap = await readPayload(key, payloadIds.eap);
      expect(JSON.parse(eap.settings)).toEqual({
        ...EAP_WIFI,
        EAPClientConfiguration: { AcceptEAPTypes: [25], UserName: 'alice' },
      });
      expect(eap.secrets).toEqual([
        { path: 'Password', hasValue: false },
        { path: 'ProxyPassword', hasValue: false },
        { path: 'EAPClientConfiguration.UserPassword', hasValue: true },
      ]);
      const beta = await readPayload(key, payloadIds.beta);
      expect(JSON.parse(beta.settings)).toEqual({ Beta: { OfferPrograms: [{ Description: 'IT seed' }] } });
      expect(beta.secrets).toEqual([{ path: 'Beta.OfferPrograms[0].Token', hasValue: true }]);
      // Every other way to a payload: the policy's lists, what does not apply, a device's deployments.
      const everywhere = await gqlOk(
        core(),
        key,
        `query($id: ID!) { node(id: $id) { ... on Policy { payloads { settings } payloadsNotApplying(enrollmentType: BYOD) { payload { settings } } } } }`,
        { id: encodeScopedId(f.tenantId, policyId) },
      );
      expect(everywhere.node.payloads).toHaveLength(3);
      for (const secret of SECRETS) expect(JSON.stringify(everywhere)).not.toContain(secret);
    }
  });

  it('eligibility is unchanged: a secret key BYOD drops is listed like any other', async () => {
    const data = await gqlOk(
      core(),
      f.tenantReadOnlyKey,
      `query($id: ID!) { node(id: $id) { ... on Payload { eligibility { platform enrollmentType status droppedKeys } } } }`,
      { id: payloadIds.wifi },
    );
    const byodIos = data.node.eligibility.find(
      (e: { platform: string; enrollmentType: string }) =>
        e.platform === 'iOS' && e.enrollmentType === 'BYOD',
    );
    expect(byodIos).toMatchObject({
      status: 'PARTIAL',
      droppedKeys: ['ProxyType', 'ProxyServer', 'ProxyServerPort', 'ProxyUsername', 'ProxyPassword'],
    });
  });

  it('the table holds no secret in clear: not the payloads, not the queued commands, nothing', async () => {
    const items = await scanTable(core().db);
    const queued = items.filter((i) => String(i.sk).startsWith('CMD#'));
    expect(queued.filter((c) => c.requestType === 'InstallProfile').length).toBeGreaterThanOrEqual(4);
    expect(queued.filter((c) => c.sealedProfile)).toHaveLength(4); // two Wi-Fi profiles × two devices
    for (const secret of SECRETS) expect(whereSecretIs(items, secret)).toEqual([]);
  });

  it('the devices get the real values: passwords in their profiles, the token in their declaration', async () => {
    await Promise.all([adde.connect(), byod.connect()]);
    expect(installedWifi(adde, 'Corp')).toMatchObject({
      Password: WIFI_PASSWORD,
      ProxyPassword: PROXY_PASSWORD,
    });
    expect(installedWifi(adde, 'Corp-Secure')?.EAPClientConfiguration).toMatchObject({
      UserPassword: EAP_PASSWORD,
    });
    // BYOD: the proxy keys are left out (User Enrollment forbids them), the network password is not.
    const onByod = installedWifi(byod, 'Corp');
    expect(onByod).toMatchObject({ Password: WIFI_PASSWORD });
    expect(onByod).not.toHaveProperty('ProxyPassword');
    const declaration = [...adde.declarations.values()].find((d) => d.type === SOFTWARE_UPDATE);
    expect(declaration?.payload).toEqual(BETA);
    // Sent, never stored: the table is as clean after the devices fetched everything.
    const items = await scanTable(core().db);
    for (const secret of SECRETS) expect(whereSecretIs(items, secret)).toEqual([]);
  });

  it('an update that leaves a secret out keeps it, a new value replaces it, null clears it', async () => {
    const shown = JSON.parse((await readPayload(f.tenantAdminKey, payloadIds.wifi)).settings);
    const kept = await updatePayload(payloadIds.wifi, { ...shown, AutoJoin: false });
    expect(kept.version).toBe(2);
    expect(kept.secrets).toEqual([
      { path: 'Password', hasValue: true },
      { path: 'ProxyPassword', hasValue: true },
    ]);
    await adde.connect();
    expect(installedWifi(adde, 'Corp')).toMatchObject({
      AutoJoin: false,
      Password: WIFI_PASSWORD,
      ProxyPassword: PROXY_PASSWORD,
    });

    const replaced = await updatePayload(payloadIds.wifi, { ...shown, Password: 'wpa2-Rotated-2Y8W' });
    expect(replaced.secrets).toEqual([
      { path: 'Password', hasValue: true },
      { path: 'ProxyPassword', hasValue: true },
    ]);
    await adde.connect();
    expect(installedWifi(adde, 'Corp')).toMatchObject({
      Password: 'wpa2-Rotated-2Y8W',
      ProxyPassword: PROXY_PASSWORD,
    });

    const cleared = await updatePayload(payloadIds.wifi, { ...shown, ProxyPassword: null });
    expect(cleared.secrets).toEqual([
      { path: 'Password', hasValue: true },
      { path: 'ProxyPassword', hasValue: false },
    ]);
    await adde.connect();
    expect(installedWifi(adde, 'Corp')).toMatchObject({ Password: 'wpa2-Rotated-2Y8W' });
    expect(installedWifi(adde, 'Corp')).not.toHaveProperty('ProxyPassword');

    // A secret kept inside an array item, by its position; the dictionary it was in gone, it goes too.
    await updatePayload(payloadIds.beta, { Beta: { OfferPrograms: [{ Description: 'IT seed, renamed' }] } });
    await adde.connect();
    expect([...adde.declarations.values()].find((d) => d.type === SOFTWARE_UPDATE)?.payload).toEqual({
      Beta: { OfferPrograms: [{ Description: 'IT seed, renamed', Token: BETA_TOKEN }] },
    });
    const eap = await updatePayload(payloadIds.eap, { SSID_STR: 'Corp-Secure', EncryptionType: 'WPA2' });
    expect(eap.secrets).toEqual([
      { path: 'Password', hasValue: false },
      { path: 'ProxyPassword', hasValue: false },
    ]);
    const items = await scanTable(core().db);
    for (const secret of [...SECRETS, 'wpa2-Rotated-2Y8W']) expect(whereSecretIs(items, secret)).toEqual([]);
  });

  it('a required secret cleared is refused like any missing key, and its value is never quoted', async () => {
    const data = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($p: ID!, $s: String!) { addPayload(input: { policyId: $p, payloadType: "com.apple.security.pkcs12", settings: $s }) { errors { code path message } } }`,
      {
        p: encodeScopedId(f.tenantId, policyId),
        s: JSON.stringify({ PayloadContent: 'not base64 %%', Password: 'p12-Pass-5TT' }),
      },
    );
    expect(data.addPayload.errors).toEqual([
      expect.objectContaining({ code: 'WRONG_TYPE', path: ['input', 'settings', 'PayloadContent'] }),
    ]);
    expect(JSON.stringify(data)).not.toContain('not base64 %%');
    const missing = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($p: ID!, $s: String!) { addPayload(input: { policyId: $p, payloadType: "com.apple.security.pkcs12", settings: $s }) { errors { code path } } }`,
      {
        p: encodeScopedId(f.tenantId, policyId),
        s: JSON.stringify({ PayloadContent: null, Password: 'p12-Pass-5TT' }),
      },
    );
    expect(missing.addPayload.errors).toEqual([
      { code: 'MISSING_REQUIRED_KEY', path: ['input', 'settings', 'PayloadContent'] },
    ]);
  });
});
