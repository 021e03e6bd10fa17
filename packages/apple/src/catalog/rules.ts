/**
 * Apple's `supportedOS` rules applied to one device. Sources: the schema format of apple/device-management
 * (https://github.com/apple/device-management/blob/3b90e3fb6874afc707945774cdf929da3d8d03b6/docs/schema.md,
 * "supportedOS Object", "User Enrollment Object"), and docs/protocol/eligibility.md#how-eligibility-is-decided
 * for what the two account-driven enrollment types are:
 * - BYOD = account-driven User Enrollment: `userenrollment.mode` applies; never supervised, never
 *   Automated Device Enrollment (DEP); declarations need `user` in `allowed-enrollments`.
 * - ADDE = account-driven Device Enrollment: a device enrollment that is neither supervised nor DEP;
 *   declarations need `device` in `allowed-enrollments`.
 * Neither supports Shared iPad (Apple, "Onboarding users with account-driven enrollment").
 * Every function returns the reason an item does not apply, or null when it does.
 */

import type { CatalogPlatform, KeyDef, PlatformRule, Platforms } from './types.ts';
import { compareVersions, parseVersion } from './version.ts';

export type CatalogEnrollment = 'BYOD' | 'ADDE';

export interface CatalogTarget {
  platform: CatalogPlatform;
  enrollment: CatalogEnrollment;
  /** Dotted ("17.4", "14"); a value that is not dotted numbers is treated as unknown. */
  osVersion?: string;
  /**
   * The MDM channel the item goes through: `device` (default) or, on macOS, `user`. Apple restricts
   * some payloads and commands to one channel (`devicechannel` / `userchannel`) and declarations to a
   * scope (`allowed-scopes`: `system` = device channel, `user` = user channel).
   */
  channel?: 'device' | 'user';
}

/**
 * Whether each enrollment type supervises the device. On macOS, Apple's deployment guide says Device
 * Enrollment on macOS 11+ "enforces supervision"; applying that to account-driven Device Enrollment is
 * an inference (docs/protocol/eligibility.md#how-eligibility-is-decided), so ADDE is treated as unsupervised everywhere — the conservative choice: a
 * supervised-only item is left out rather than sent to a device that may refuse it.
 */
const SUPERVISED: Record<CatalogEnrollment, boolean> = { BYOD: false, ADDE: false };

const ENROLLMENT_NAME: Record<CatalogEnrollment, string> = {
  BYOD: 'User Enrollment',
  ADDE: 'account-driven Device Enrollment',
};

export type ItemKind = 'profile' | 'command' | 'declaration';

/** Why an item (payload, command or declaration) does not apply to the target as a whole. */
export function itemReason(kind: ItemKind, platforms: Platforms, target: CatalogTarget): string | null {
  const { platform, enrollment } = target;
  const rule = platforms[platform];
  if (!rule) {
    return Object.keys(platforms).length === 0
      ? "Apple's schema lists no platform for it"
      : `Not available on ${platform} (Apple: introduced n/a)`;
  }
  const version = versionReason(rule, target);
  if (version) return version.charAt(0).toUpperCase() + version.slice(1);
  if (rule.sharedIpadOnly)
    return 'Only on Shared iPad (Apple: sharedipad mode required); account-driven enrollment does not support Shared iPad';
  if (rule.supervised && !SUPERVISED[enrollment])
    return `Requires a supervised device (Apple: supervised); ${ENROLLMENT_NAME[enrollment]} does not supervise the device`;
  if (rule.requiresDep)
    return `Requires Automated Device Enrollment through Apple Business or School Manager (Apple: requiresdep); ${ENROLLMENT_NAME[enrollment]} is not automated`;
  // Declarations state User Enrollment through allowed-enrollments, payloads and commands through
  // userenrollment.mode.
  if (kind === 'declaration') return declarationReason(rule, target);
  return userEnrollmentReason(rule, target) ?? channelReason(rule, target);
}

/** Lower-case: it also appears inside a PARTIAL reason's list. */
function versionReason(
  rule: { introduced?: string; removed?: string },
  target: CatalogTarget,
): string | null {
  const running = target.osVersion?.trim();
  if (!running || !parseVersion(running)) return null;
  const { platform } = target;
  if (rule.introduced && compareVersions(running, rule.introduced) < 0)
    return `requires ${platform} ${rule.introduced} or later; the device runs ${platform} ${running}`;
  if (rule.removed && compareVersions(running, rule.removed) >= 0)
    return `removed in ${platform} ${rule.removed}; the device runs ${platform} ${running}`;
  return null;
}

function userEnrollmentReason(rule: PlatformRule, target: CatalogTarget): string | null {
  const mode = rule.userEnrollment;
  const on = `on ${target.platform}`;
  if (target.enrollment === 'ADDE')
    return mode === 'required' ? `Only under User Enrollment (Apple: userenrollment required ${on})` : null;
  if (mode === 'forbidden')
    return `Not available under User Enrollment (Apple: userenrollment forbidden ${on})`;
  if (mode === 'ignored') return `Ignored under User Enrollment (Apple: userenrollment ignored ${on})`;
  // Apple gives a mode for every iOS, macOS and visionOS item; tvOS and watchOS have no User Enrollment.
  if (mode === undefined) return `Apple's schema gives no User Enrollment rule for it ${on}`;
  return null;
}

/** Declarations without allowed-enrollments (assets, activations, management) apply to every enrollment. */
function declarationReason(rule: PlatformRule, target: CatalogTarget): string | null {
  const allowed = rule.enrollments;
  const needed = target.enrollment === 'BYOD' ? 'user' : 'device';
  if (allowed && !allowed.includes(needed)) {
    const apple = `(Apple: allowed-enrollments ${allowed.join(', ')} on ${target.platform})`;
    if (target.enrollment === 'ADDE' && allowed.includes('supervised'))
      return `Requires a supervised device ${apple}; account-driven Device Enrollment does not supervise the device`;
    return `Not available under ${ENROLLMENT_NAME[target.enrollment]} ${apple}`;
  }
  const scope = (target.channel ?? 'device') === 'device' ? 'system' : 'user';
  if (rule.scopes && !rule.scopes.includes(scope)) {
    const other = scope === 'system' ? 'user' : 'device';
    return `Only through the ${other} channel (Apple: allowed-scopes ${rule.scopes.join(', ')} on ${target.platform})`;
  }
  return null;
}

function channelReason(rule: PlatformRule, target: CatalogTarget): string | null {
  const channel = target.channel ?? 'device';
  if (channel === 'device' && rule.deviceChannel === false)
    return `Only through the user channel (Apple: devicechannel false on ${target.platform})`;
  if (channel === 'user' && rule.userChannel === false)
    return `Only through the device channel (Apple: userchannel false on ${target.platform})`;
  return null;
}

/**
 * Why one key is left out, given that its payload (and parent key) apply: the key's own overrides.
 * Short, because several are joined into one PARTIAL reason.
 */
export function keyReason(def: KeyDef, target: CatalogTarget): string | null {
  const rule = def.os?.[target.platform];
  if (rule === undefined) return null;
  if (rule === null) return `not on ${target.platform}`;
  const version = versionReason(rule, target);
  if (version) return version;
  if (rule.sharedIpadOnly) return 'Shared iPad only';
  if (rule.supervised && !SUPERVISED[target.enrollment]) return 'supervised devices only';
  if (rule.requiresDep) return 'Automated Device Enrollment only';
  const mode = rule.userEnrollment;
  if (target.enrollment === 'BYOD' && (mode === 'forbidden' || mode === 'ignored'))
    return `${mode} under User Enrollment`;
  if (target.enrollment === 'ADDE' && mode === 'required') return 'User Enrollment only';
  const allowed = rule.enrollments;
  if (allowed && !allowed.includes(target.enrollment === 'BYOD' ? 'user' : 'device'))
    return allowed.includes('supervised') && target.enrollment === 'ADDE'
      ? 'supervised devices only'
      : `not under ${ENROLLMENT_NAME[target.enrollment]}`;
  return null;
}
