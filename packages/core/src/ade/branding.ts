/**
 * Branding of an ADE configuration's web-authentication page. Plain text only, lengths limited,
 * support contact checked, the logo checked by content (images.ts). Unset fields fall back to
 * sensible defaults (the tenant's name, our colour, the default privacy notice for the type).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { auditPut } from '../audit.ts';
import type { AdeService, BrandingItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt } from '../transaction.ts';
import { parseInput } from '../validation.ts';
import type { ConfigurationOperations } from './configurations.ts';
import { sniffImage } from './images.ts';

export { DEFAULT_ACCENT, effectivePrivacyNotice } from './privacy-defaults.ts';

export const MAX_LOGO_BYTES = 100 * 1024;
export const MAX_LOGO_SIDE = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: plain text may not carry control characters
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const text = (max: number) =>
  z.optional(
    z.string().check(
      z.trim(),
      z.maxLength(max, `must be at most ${max} characters`),
      z.refine((v) => !CONTROL.test(v), 'must be plain text (no control characters)'),
    ),
  );

const schema = z.object({
  displayName: text(60),
  accentColor: z.optional(z.string().check(z.regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour like #0B5FFF'))),
  welcomeText: text(500),
  supportEmail: z.optional(
    z
      .string()
      .check(
        z.trim(),
        z.maxLength(254, 'is too long'),
        z.regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address'),
      ),
  ),
  supportPhone: z.optional(
    z
      .string()
      .check(
        z.trim(),
        z.regex(/^\+?[0-9][0-9 ().-]{4,24}$/, 'must be a phone number, e.g. +44 20 7946 0000'),
      ),
  ),
  supportUrl: z.optional(
    z
      .string()
      .check(z.trim(), z.maxLength(500, 'is too long'), z.refine(isHttpsUrl, 'must be an https:// address')),
  ),
  privacyNoticeUser: text(2000),
  privacyNoticeDevice: text(2000),
});

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

export type BrandingInput = Partial<Record<keyof z.infer<typeof schema>, string | null>> & {
  /** Base64 PNG or JPEG; null removes the logo; omitted keeps it. */
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

  /** Sets the branding to exactly `input` (unset fields use defaults); idempotent. */
  async function set(configurationId: string, input: BrandingInput): Promise<BrandingItem> {
    const tenantId = authorizeInTenant('ade:write');
    const { logoBase64, ...fields } = input;
    const parsed = parseInput(
      schema,
      Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined && v !== '')),
    );
    if (parsed.accentColor && contrastWithWhite(parsed.accentColor) < 3) {
      throw AppError.validation([
        {
          path: ['accentColor'],
          message: 'is too light for white button text (contrast below 3:1); pick a darker colour',
        },
      ]);
    }
    await configurations.get(configurationId);
    const existing = await get(configurationId);
    const image = logoBase64 ? checkLogo(logoBase64) : undefined;
    const logoMeta = image ? image.meta : logoBase64 === null ? undefined : existing?.logo;
    const next = { ...parsed, logo: logoMeta };
    await commit(
      service,
      (e) => [
        e.branding
          .put({
            tenantId,
            configurationId,
            ...next,
            version: (existing?.version ?? 0) + 1,
            createdAt: existing?.createdAt,
          })
          .where((a, { eq, notExists }) =>
            existing ? eq(a.version, existing.version) : notExists(a.version),
          )
          .commit(),
        ...(image ? [e.brandingLogo.put({ tenantId, configurationId, ...image.item }).commit()] : []),
        ...(logoBase64 === null && existing?.logo
          ? [e.brandingLogo.delete({ tenantId, configurationId }).commit()]
          : []),
        auditPut(e, {
          scope: { tenantId },
          action: 'adeBranding.set',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: {
            fields: Object.keys(parsed),
            logo: image ? image.meta.sha256 : logoBase64 === null ? 'removed' : 'kept',
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
