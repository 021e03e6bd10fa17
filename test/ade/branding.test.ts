import { crc32, deflateSync } from 'node:zlib';
import { DEFAULT_PRIVACY_NOTICES } from '@ade/core';
import { describe, expect, it } from 'vitest';
import { asTenant, errorOf } from '../support/ade.ts';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const core = useTestCore();

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A real, decodable RGB PNG of the given size. */
function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height, 0x40);
  for (let y = 0; y < height; y++) rows[y * (width * 3 + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG's header up to its frame (SOF0) and end marker: what the content check reads. */
function jpegHeader(width: number, height: number): Buffer {
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    0x01,
    0x01,
    0x11,
    0x00,
  ]);
  const app0 = Buffer.from([
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

async function configuration(name: string) {
  const f = await createTenantFixture(core(), name);
  const { item } = await asTenant(core(), f, () =>
    core().adeConfigurations.set({
      policyId: f.rootPolicyId,
      enrollmentType: 'USER',
      domains: [`${name.toLowerCase().replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}.example`],
      authMethod: 'MANAGED_APPLE_ACCOUNT',
    }),
  );
  return { f, item };
}

describe('branding', () => {
  it('falls back to sensible defaults, then shows exactly what was set', async () => {
    const { f, item } = await configuration('Brand Co');
    const query = `query($id: ID!) { node(id: $id) { ... on AdeConfiguration { branding { displayName accentColor welcomeText privacyNotice privacyNoticeIsDefault logo { contentType width height byteSize } } } } }`;
    const id = `cfg_${f.tenantId.slice(4)}_${item.configurationId.slice(4)}`;
    const before = await gqlOk(core(), f.tenantAdminKey, query, { id });
    expect(before.node.branding).toMatchObject({
      displayName: 'Brand Co',
      privacyNotice: DEFAULT_PRIVACY_NOTICES.USER,
      privacyNoticeIsDefault: true,
      logo: null,
    });

    const logo = png(64, 32).toString('base64');
    const set = await gqlOk(
      core(),
      f.tenantAdminKey,
      `mutation($id: ID!, $logo: String) { setAdeBranding(input: { id: $id, displayName: " Brand Co IT ", accentColor: "#123456", welcomeText: "Hi there,\\r\\n\\r\\nR&D <> Sales welcome you.", supportEmail: "it@brand.example", supportUrl: "https://help.brand.example", privacyNoticeUser: "We see work apps only.", logoBase64: $logo }) { errors { code message path } } }`,
      { id, logo },
    );
    expect(set.setAdeBranding.errors).toEqual([]);
    const after = await gqlOk(core(), f.tenantAdminKey, query, { id });
    expect(after.node.branding).toEqual({
      displayName: 'Brand Co IT',
      accentColor: '#123456',
      welcomeText: 'Hi there,\n\nR&D <> Sales welcome you.', // CR LF kept as LF; `<>` alone is text
      privacyNotice: 'We see work apps only.',
      privacyNoticeIsDefault: false,
      logo: { contentType: 'image/png', width: 64, height: 32, byteSize: Buffer.from(logo, 'base64').length },
    });
    const stored = await asTenant(core(), f, () => core().branding.logo(item.configurationId));
    expect(stored?.data).toBe(logo);
  });

  it('changes only what it is given: left out keeps a field, null or "" clears it', async () => {
    const { f, item } = await configuration('Partial Co');
    const id = `cfg_${f.tenantId.slice(4)}_${item.configurationId.slice(4)}`;
    const set = async (fields: string, variables: Record<string, string | undefined> = {}) => {
      const declared = Object.keys(variables).map((name) => `, $${name}: String`);
      const data = await gqlOk(
        core(),
        f.tenantAdminKey,
        `mutation($id: ID!${declared.join('')}) { setAdeBranding(input: { id: $id${fields} }) { errors { code message path } adeConfiguration { branding { displayName welcomeText supportEmail accentColor privacyNoticeIsDefault logo { width } } } } }`,
        { id, ...variables },
      );
      expect(data.setAdeBranding.errors).toEqual([]);
      return data.setAdeBranding.adeConfiguration.branding;
    };
    await set(
      ', displayName: "Partial IT", welcomeText: "Welcome.", accentColor: "#123456", privacyNoticeUser: "Work apps only.", logoBase64: $logo',
      { logo: png(8, 8).toString('base64') },
    );
    // A portal's form that saves one field at a time must not wipe the others.
    expect(await set(', supportEmail: "it@partial.example"')).toEqual({
      displayName: 'Partial IT',
      welcomeText: 'Welcome.',
      supportEmail: 'it@partial.example',
      accentColor: '#123456',
      privacyNoticeIsDefault: false,
      logo: { width: 8 },
    });
    // An unset variable leaves its field out, like an omitted field.
    expect(await set(', welcomeText: $unset', { unset: undefined })).toMatchObject({
      welcomeText: 'Welcome.',
    });
    const version = async () =>
      (await asTenant(core(), f, () => core().branding.get(item.configurationId)))?.version;
    const before = await version();
    await set(', supportEmail: "it@partial.example", displayName: "Partial IT"'); // nothing new
    expect(await version()).toBe(before);

    expect(
      await set(', displayName: null, welcomeText: "", privacyNoticeUser: null, logoBase64: null'),
    ).toEqual({
      displayName: 'Partial Co', // the default again: the tenant's name
      welcomeText: null,
      supportEmail: 'it@partial.example',
      accentColor: '#123456',
      privacyNoticeIsDefault: true,
      logo: null,
    });
    expect(await version()).toBe(before! + 1);
  });

  it('checks logos by content and limits, and every field', async () => {
    const { f, item } = await configuration('Strict');
    const set = (input: Record<string, string | null>) =>
      errorOf(asTenant(core(), f, () => core().branding.set(item.configurationId, input)));
    expect(await set({ logoBase64: jpegHeader(200, 100).toString('base64') })).toBeUndefined();
    expect((await asTenant(core(), f, () => core().branding.get(item.configurationId)))?.logo).toMatchObject({
      contentType: 'image/jpeg',
      width: 200,
      height: 100,
    });
    const refusals: [Record<string, string | null>, string, string][] = [
      [
        {
          logoBase64: Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
          ).toString('base64'),
        },
        'INVALID_IMAGE',
        'PNG or JPEG',
      ],
      [
        { logoBase64: Buffer.from('GIF89a\x01\x00\x01\x00').toString('base64') },
        'INVALID_IMAGE',
        'PNG or JPEG',
      ],
      [
        {
          logoBase64: Buffer.concat([png(8, 8).subarray(0, 33), Buffer.from('<?php evil ?>')]).toString(
            'base64',
          ),
        },
        'INVALID_IMAGE',
        'PNG or JPEG',
      ],
      [{ logoBase64: png(2048, 10).toString('base64') }, 'INVALID_IMAGE', '2048×10'],
      [
        { logoBase64: Buffer.concat([png(10, 10), Buffer.alloc(110 * 1024)]).toString('base64') },
        'INVALID_IMAGE',
        'at most',
      ],
      [{ logoBase64: 'not base64!!' }, 'INVALID_IMAGE', 'base64'],
      [{ accentColor: 'red' }, 'VALIDATION_FAILED', 'colour'],
      [{ accentColor: '#FFFF00' }, 'VALIDATION_FAILED', 'too light'],
      [{ supportEmail: 'nope' }, 'VALIDATION_FAILED', 'email'],
      [{ supportUrl: 'http://insecure.example' }, 'VALIDATION_FAILED', 'https'],
      [{ supportUrl: 'javascript:alert(1)' }, 'VALIDATION_FAILED', 'https'],
      [{ displayName: 'x'.repeat(61) }, 'VALIDATION_FAILED', 'at most 60'],
      [{ welcomeText: 'bell\u0007' }, 'VALIDATION_FAILED', 'plain text'],
      [{ welcomeText: 'Hi <b>there</b>' }, 'VALIDATION_FAILED', 'markup'],
      [{ displayName: 'Acme\u202Egnp.exe' }, 'VALIDATION_FAILED', 'U+202E'],
      [{ displayName: 'Acme\nIT' }, 'VALIDATION_FAILED', 'single line'],
    ];
    for (const [input, code, message] of refusals) {
      const error = await set(input);
      expect(error?.code, JSON.stringify(input).slice(0, 60)).toBe(code);
      expect(error?.message).toContain(message);
    }
    // None of the refused inputs changed the branding.
    expect((await asTenant(core(), f, () => core().branding.get(item.configurationId)))?.version).toBe(1);
  });

  it('goes with its configuration', async () => {
    const { f, item } = await configuration('Ephemeral');
    await asTenant(core(), f, () =>
      core().branding.set(item.configurationId, {
        displayName: 'Temp',
        logoBase64: png(4, 4).toString('base64'),
      }),
    );
    await asTenant(core(), f, () => core().adeConfigurations.remove(item.configurationId));
    expect(await asTenant(core(), f, () => core().branding.get(item.configurationId))).toBeNull();
    expect(await asTenant(core(), f, () => core().branding.logo(item.configurationId))).toBeNull();
  });
});
