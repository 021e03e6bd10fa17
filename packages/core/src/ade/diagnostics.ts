/**
 * What is wrong, or about to go wrong, with a configuration's fallback discovery — found on read,
 * because the things it depends on (tokens, their policy, their expiry, Apple) change on their own.
 */
import type { AdeConfigurationItem, AdeTokenItem, FallbackRegistrationItem } from '../entities/service.ts';

export const EXPIRING_SOON_DAYS = 30;
const DAY_MS = 86_400_000;

export type DiagnosticCode =
  | 'FALLBACK_NOT_CONFIGURED'
  | 'FALLBACK_TOKEN_MISSING'
  | 'FALLBACK_TOKEN_MOVED'
  | 'TOKEN_NOT_UPLOADED'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_EXPIRING_SOON'
  | 'REGISTRATION_FAILED'
  | 'REGISTRATION_PENDING';

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING' | 'INFO';
  code: DiagnosticCode;
  message: string;
  tokenId?: string;
}

export function diagnose(
  config: AdeConfigurationItem,
  tokens: Map<string, AdeTokenItem>,
  registrations: FallbackRegistrationItem[],
  now: Date,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (config.fallbackTokenIds.length === 0) {
    out.push({
      severity: 'INFO',
      code: 'FALLBACK_NOT_CONFIGURED',
      message:
        "No fallback token: devices rely on the domain's .well-known file (iOS 18.2, macOS 15.2, visionOS 2.2 and later could also use ABM/ASM).",
    });
  }
  for (const tokenId of config.fallbackTokenIds) {
    const token = tokens.get(tokenId);
    if (!token) {
      out.push({
        severity: 'ERROR',
        code: 'FALLBACK_TOKEN_MISSING',
        tokenId,
        message: 'A fallback token no longer exists; choose the fallback tokens again.',
      });
      continue;
    }
    if (token.policyId !== config.policyId) {
      out.push({
        severity: 'ERROR',
        code: 'FALLBACK_TOKEN_MOVED',
        tokenId,
        message: `"${token.name}" is no longer assigned directly to this configuration's policy; fallback enrollment through it fails on devices.`,
      });
    }
    if (!token.accessTokenExpiry) {
      out.push({
        severity: 'ERROR',
        code: 'TOKEN_NOT_UPLOADED',
        tokenId,
        message: `Upload the server token of "${token.name}".`,
      });
    } else {
      const days = Math.floor((Date.parse(token.accessTokenExpiry) - now.getTime()) / DAY_MS);
      if (Date.parse(token.accessTokenExpiry) <= now.getTime()) {
        out.push({
          severity: 'ERROR',
          code: 'TOKEN_EXPIRED',
          tokenId,
          message: `"${token.name}" has expired; renew it in ABM/ASM and upload the new file.`,
        });
      } else if (days < EXPIRING_SOON_DAYS) {
        out.push({
          severity: 'WARNING',
          code: 'TOKEN_EXPIRING_SOON',
          tokenId,
          message: `"${token.name}" expires in ${days} days; renew it in ABM/ASM.`,
        });
      }
    }
    const registration = registrations.find((r) => r.tokenId === tokenId);
    if (registration?.state === 'FAILED') {
      out.push({
        severity: 'ERROR',
        code: 'REGISTRATION_FAILED',
        tokenId,
        message: `Apple refused the registration: ${registration.lastError ?? 'unknown error'}. Retry once it is fixed.`,
      });
    } else if (registration && registration.state !== registration.desired) {
      out.push({
        severity: 'WARNING',
        code: 'REGISTRATION_PENDING',
        tokenId,
        message: 'The registration with Apple has not completed; retry it.',
      });
    }
  }
  return out;
}
