import {
  type AdeConfigurationItem,
  type BrandingItem,
  DEFAULT_ACCENT,
  effectivePrivacyNotice,
} from '@ade/core';
import { builder } from '../builder.ts';
import { asPayload } from '../errors.ts';
import type { CostExtensions } from '../limits.ts';
import { linesText, lineText } from '../plain-text.ts';
import { AdeConfigurationRef } from '../refs.ts';
import { inScope } from '../scoped.ts';
import { AdeConfigurationPayload } from './ade-configuration.ts';

interface BrandingModel {
  config: AdeConfigurationItem;
  item: BrandingItem | null;
}

const LogoRef = builder.objectRef<NonNullable<BrandingItem['logo']>>('BrandingLogo').implement({
  fields: (t) => ({
    contentType: t.string({ resolve: (l) => l.contentType ?? 'image/png' }),
    width: t.int({ resolve: (l) => l.width ?? 0 }),
    height: t.int({ resolve: (l) => l.height ?? 0 }),
    byteSize: t.int({ resolve: (l) => l.byteSize ?? 0 }),
    sha256: t.string({ resolve: (l) => l.sha256 ?? '' }),
  }),
});

const BrandingRef = builder.objectRef<BrandingModel>('Branding').implement({
  description: 'What people see on the web-authentication page; unset fields show the defaults given here.',
  fields: (t) => ({
    displayName: t.string({
      description: "Default: the tenant's name.",
      resolve: async ({ config, item }, _args, ctx) =>
        item?.displayName ?? (await ctx.core.tenants.get(config.tenantId)).name,
    }),
    accentColor: t.string({ resolve: ({ item }) => item?.accentColor ?? DEFAULT_ACCENT }),
    welcomeText: t.string({
      nullable: true,
      extensions: { maxBytes: 1_500 } satisfies CostExtensions, // 500 characters of UTF-8
      resolve: ({ item }) => item?.welcomeText ?? null,
    }),
    supportEmail: t.string({ nullable: true, resolve: ({ item }) => item?.supportEmail ?? null }),
    supportPhone: t.string({ nullable: true, resolve: ({ item }) => item?.supportPhone ?? null }),
    supportUrl: t.string({ nullable: true, resolve: ({ item }) => item?.supportUrl ?? null }),
    privacyNotice: t.string({
      description:
        "The notice for this configuration's enrollment type: what the organisation can and cannot see.",
      extensions: { maxBytes: 6_000 } satisfies CostExtensions, // 2,000 characters of UTF-8
      resolve: ({ config, item }) => effectivePrivacyNotice(item, config.enrollmentType),
    }),
    privacyNoticeIsDefault: t.boolean({
      resolve: ({ config, item }) =>
        !(config.enrollmentType === 'USER' ? item?.privacyNoticeUser : item?.privacyNoticeDevice),
    }),
    logo: t.field({ type: LogoRef, nullable: true, resolve: ({ item }) => item?.logo ?? null }),
  }),
});

builder.objectField(AdeConfigurationRef, 'branding', (t) =>
  t.field({
    type: BrandingRef,
    resolve: async (config, _args, ctx) => ({
      config,
      item: await ctx.inTenant(config.tenantId, () => ctx.core.branding.get(config.configurationId)),
    }),
  }),
);

builder.mutationField('setAdeBranding', (t) =>
  t.field({
    type: AdeConfigurationPayload,
    description:
      'Changes the branding of a configuration. A field left out keeps its value; null (or an empty ' +
      'string) clears it, and its default shows again. The same input twice changes nothing.',
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SetAdeBrandingInput', {
          fields: (f) => ({
            id: f.id({ required: true, description: 'The ADE configuration.' }),
            displayName: f.string({
              required: false,
              description: lineText(60, "Shown as the page's title (default: the tenant's name). Plain text"),
            }),
            accentColor: f.string({ required: false, description: '#RRGGBB, dark enough for white text.' }),
            welcomeText: f.string({ required: false, description: linesText(500) }),
            supportEmail: f.string({ required: false, description: lineText(254, 'An e-mail address') }),
            supportPhone: f.string({
              required: false,
              description: lineText(30, 'A phone number, e.g. +44 20 7946 0000'),
            }),
            supportUrl: f.string({ required: false, description: lineText(500, 'An https:// address') }),
            privacyNoticeUser: f.string({
              required: false,
              description: linesText(2000, 'What the organisation can and cannot see on a USER enrollment'),
            }),
            privacyNoticeDevice: f.string({
              required: false,
              description: linesText(2000, 'What the organisation can and cannot see on a DEVICE enrollment'),
            }),
            logoBase64: f.string({
              required: false,
              description: 'PNG or JPEG, at most 100 KB and 1024×1024; null removes it, omitted keeps it.',
            }),
          }),
        }),
      }),
    },
    resolve: (_root, { input }, ctx) =>
      asPayload(async () => ({
        adeConfiguration: await inScope(ctx, 'adeConfiguration', String(input.id), async (id) => {
          const { id: _id, ...fields } = input;
          await ctx.core.branding.set(id, fields);
          return ctx.core.adeConfigurations.get(id);
        }),
      })),
  }),
);
