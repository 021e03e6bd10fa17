/**
 * Branding of an ADE configuration's web-authentication page. Plain text only (plain-text.ts),
 * lengths limited, support contact checked, the logo checked by content (images.ts). Unset fields
 * fall back to sensible defaults (the tenant's name, our colour, the default privacy notice for the
 * type). Changes are partial: what a caller leaves out stays as it is.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { auditPut } from '../audit.ts';
import type { AdeService, BrandingItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt } from '../transaction.ts';
import { multiLineText, parseInput, singleLineText } from '../validation.ts';
import type { ConfigurationOperations } from './configurations.ts';
import { sniffImage } from './images.ts';

export { DEFAULT_ACCENT, effectivePrivacyNotice } from './privacy-defaults.ts';

export const MAX_LOGO_BYTES = 100 * 1024;
export const MAX_LOGO_SIDE = 1024;

const schema = z.object({
  displayName: singleLineText(60),
  accentColor: z.string().check(z.regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour like #0B5FFF')),
  welcomeText: multiLineText(500),
  supportEmail: singleLineText(254).check(z.regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address')),
  supportPhone: singleLineText(30).check(
    z.regex(/^\+?[0-9][0-9 ().-]{4,24}$/, 'must be a phone number, e.g. +44 20 7946 0000'),
  ),
  supportUrl: singleLineText(500).check(z.refine(isHttpsUrl, 'must be an https:// address')),
  privacyNoticeUser: multiLineText(2000),
  privacyNoticeDevice: multiLineText(2000),
});

/** A change names only the fields it changes. */
const changeSchema = z.partial(schema);
type TextField = keyof z.infer<typeof schema>;
const TEXT_FIELDS = Object.keys(schema.shape) as TextField[];

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** WCAG 2 contrast of white text on the accent colour; buttons need at least 3:1. */
export function contrastWithWhite(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return 1.05 / (luminance + 0.05);
}

/** Left out (undefined): unchanged; null or an empty string: cleared (the default shows again). */
export type BrandingInput = Partial<Record<TextField, string | null>> & {
  /** Base64 PNG or JPEG; null (or empty) removes the logo; omitted keeps it. */
  logoBase64?: string | null;
};

export function brandingOperations(service: AdeService, configurations: ConfigurationOperations) {
  const { branding, brandingLogo } = service.entities;

  async function get(configurationId: string): Promise<BrandingItem | null> {
    const tenantId = authorizeInTenant('ade:read');
    return (await branding.get({ tenantId, configurationId }).go()).data;
  }

  async function logo(configurationId: string) {
    const tenantId = authorizeInTenant('ade:read');
    return (await brandingLogo.get({ tenantId, configurationId }).go()).data;
  }

  /**
   * Changes the branding: a field left out (undefined) keeps its value; null or an empty string
   * clears it, so its default shows again. The same input twice writes nothing the second time.
   */
  async function set(configurationId: string, input: BrandingInput): Promise<BrandingItem | null> {
    const tenantId = authorizeInTenant('ade:write');
    const { logoBase64, ...fields } = input;
    const given = TEXT_FIELDS.filter((field) => fields[field] !== undefined);
    const cleared = given.filter((field) => !fields[field]?.trim());
    const parsed = parseInput(
      changeSchema,
      Object.fromEntries(given.filter((f) => !cleared.includes(f)).map((f) => [f, fields[f]])),
    );
    if (parsed.accentColor && contrastWithWhite(parsed.accentColor) < 3) {
      throw AppError.validation([
        {
          path: ['accentColor'],
          message: 'is too light for white button text (contrast below 3:1); pick a darker colour',
        },
      ]);
    }
    const removeLogo = logoBase64 === null || logoBase64 === '';
    const image = logoBase64 ? checkLogo(logoBase64) : undefined;
    await configurations.get(configurationId);
    const existing = await get(configurationId);

    const texts: Partial<Record<TextField, string>> = {};
    for (const field of TEXT_FIELDS) {
      const value = cleared.includes(field) ? undefined : (parsed[field] ?? existing?.[field]);
      if (value !== undefined) texts[field] = value;
    }
    const changed = TEXT_FIELDS.filter((field) => texts[field] !== existing?.[field]);
    const logoMeta = image ? image.meta : removeLogo ? undefined : existing?.logo;
    const logoChanged = logoMeta?.sha256 !== existing?.logo?.sha256;
    if (changed.length === 0 && !logoChanged) return existing;
    await commit(
      service,
      (e) => [
        e.branding
          .put({
            tenantId,
            configurationId,
            ...texts,
            logo: logoMeta,
            version: (existing?.version ?? 0) + 1,
            createdAt: existing?.createdAt,
          })
          .where((a, { eq, notExists }) =>
            existing ? eq(a.version, existing.version) : notExists(a.version),
          )
          .commit(),
        ...(image && logoChanged
          ? [e.brandingLogo.put({ tenantId, configurationId, ...image.item }).commit()]
          : []),
        ...(removeLogo && existing?.logo
          ? [e.brandingLogo.delete({ tenantId, configurationId }).commit()]
          : []),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeBranding.set',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: {
            fields: changed,
            logo: !logoChanged ? 'kept' : image ? image.meta.sha256 : 'removed',
          },
        }),
      ],
      (codes) =>
        failedAt(codes, 0)
          ? AppError.versionMismatch('The branding', (existing?.version ?? 0) + 1)
          : undefined,
    );
    return (await get(configurationId))!;
  }

  return { get, logo, set };
}

function checkLogo(base64: string) {
  const bytes = Buffer.from(base64, 'base64');
  const refuse = (message: string) =>
    new AppError('validation', 'INVALID_IMAGE', `The logo ${message}.`, [{ path: ['logoBase64'], message }]);
  if (
    bytes.length === 0 ||
    bytes.toString('base64').replace(/=+$/, '') !== base64.replace(/\s/g, '').replace(/=+$/, '')
  ) {
    throw refuse('is not valid base64');
  }
  if (bytes.length > MAX_LOGO_BYTES)
    throw refuse(`is ${bytes.length} bytes; at most ${MAX_LOGO_BYTES} are allowed`);
  const info = sniffImage(bytes);
  if (!info) throw refuse('must be a PNG or JPEG image (checked by its content)');
  if (info.width > MAX_LOGO_SIDE || info.height > MAX_LOGO_SIDE) {
    throw refuse(
      `is ${info.width}×${info.height}; at most ${MAX_LOGO_SIDE}×${MAX_LOGO_SIDE} pixels are allowed`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    meta: {
      contentType: info.contentType,
      width: info.width,
      height: info.height,
      byteSize: bytes.length,
      sha256,
    },
    item: { contentType: info.contentType, data: bytes.toString('base64'), sha256 },
  };
}

export type BrandingOperations = ReturnType<typeof brandingOperations>;
