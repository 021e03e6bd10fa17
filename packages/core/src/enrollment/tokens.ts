/**
 * Secrets of the enrollment flow. Access tokens read `<tenant ULID>.<secret>`: the prefix says
 * which partition holds the token's row (a device request names no tenant otherwise), the secret
 * (256 random bits) is stored only as a SHA-256. A random token with a row, rather than a signed
 * one, because every use needs the row anyway: single redemption, binding to one enrollment,
 * revocation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUlid, randomBase32 } from '../ids.ts';

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function newAccessToken(tenantId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${tenantId.slice(4)}.${secret}`, hash: sha256(secret) };
}

/** The tenant and secret hash of a presented token, or null when it cannot be one of ours. */
export function parseAccessToken(token: string): { tenantId: string; hash: string } | null {
  const match = /^([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match || !isUlid(match[1]!)) return null;
  return { tenantId: `ten_${match[1]}`, hash: sha256(match[2]!) };
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
