/**
 * Secrets of the enrollment flow.
 *
 * Access tokens (the `access-token` of the apple-as-web callback, then the device's bearer on every
 * MDM request) are signed and carry their binding:
 *
 *     <tenant ULID> . <claims, base64url JSON> . <secret, 256 random bits> . <HMAC-SHA256>
 *
 * The claims name the configuration, the enrollment type, the person and the redemption deadline; the
 * MAC (the deployment's sealed key, enrollment/token-key.ts) covers the three parts before it. A forged, altered,
 * late or misdirected token is refused before any read. The token's row (keyed by SHA-256 of the
 * secret, never the token itself) is what makes it single-use, binds it to one enrollment afterwards
 * and lets an admin revoke it — a signature alone can do none of those.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUlid, randomBase32 } from '../ids.ts';
import type { TokenSigner } from '../secrets/token-signer.ts';

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export interface AccessTokenClaims {
  configurationId: string;
  enrollmentType: 'USER' | 'DEVICE';
  managedAppleId: string;
  /** Redeem for a profile before this instant (the bearer lives on afterwards, bound by its row). */
  redeemBefore: Date;
}

export interface PresentedToken {
  tenantId: string;
  /** SHA-256 of the secret part: the key of the token's row. */
  hash: string;
  claims: AccessTokenClaims;
}

interface WireClaims {
  c: string; // configuration ULID
  t: 'U' | 'D';
  u: string;
  x: number; // redeem before, epoch seconds
}

export async function newAccessToken(
  signer: TokenSigner,
  tenantId: string,
  claims: AccessTokenClaims,
): Promise<{ token: string; hash: string }> {
  const secret = randomBytes(32).toString('base64url');
  const wire: WireClaims = {
    c: claims.configurationId.slice(4),
    t: claims.enrollmentType === 'USER' ? 'U' : 'D',
    u: claims.managedAppleId,
    x: Math.floor(claims.redeemBefore.getTime() / 1000),
  };
  const signed = `${tenantId.slice(4)}.${Buffer.from(JSON.stringify(wire)).toString('base64url')}.${secret}`;
  return { token: `${signed}.${await signer.sign(signed)}`, hash: sha256(secret) };
}

const SHAPE = /^([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{1,700})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

/** The verified content of a presented token, or null when it is not a token we signed. */
export async function readAccessToken(signer: TokenSigner, token: string): Promise<PresentedToken | null> {
  const match = SHAPE.exec(token);
  if (!match || !isUlid(match[1]!)) return null;
  const [, tenant, claims, secret, mac] = match as unknown as [string, string, string, string, string];
  if (!(await signer.verify(`${tenant}.${claims}.${secret}`, mac))) return null;
  let wire: WireClaims;
  try {
    wire = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as WireClaims;
  } catch {
    return null; // cannot happen for a token we signed; stay total anyway
  }
  if (!isUlid(wire.c) || (wire.t !== 'U' && wire.t !== 'D') || typeof wire.u !== 'string') return null;
  return {
    tenantId: `ten_${tenant}`,
    hash: sha256(secret),
    claims: {
      configurationId: `cfg_${wire.c}`,
      enrollmentType: wire.t === 'U' ? 'USER' : 'DEVICE',
      managedAppleId: wire.u,
      redeemBefore: new Date(wire.x * 1000),
    },
  };
}

export function newSessionId(): string {
  return randomBase32(20);
}

export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
