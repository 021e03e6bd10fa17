/**
 * Platform and OS version of an enrolling device, from the PRODUCT and VERSION keys of the enrollment
 * request (enroll-request.ts), and the OS minimums for each account-driven enrollment type.
 *
 * VERSION is normally a build ("19H12"): <train number><letter><number>[beta suffix]. The train number
 * maps to the major version per platform. Sources: Wikipedia "iOS version history", "macOS version
 * history", "visionOS" (build columns); Apple Developer releases page https://developer.apple.com/news/releases/
 * (e.g. "iOS 26 (23A341)", "macOS Tahoe 26 (25A354)"); real traffic: iOS 15.7 = 19H12 (capture TV-A),
 * iOS 18.2.1 = 22C161 (docs/protocol/test-vectors.md#tv-14-adue-authenticate, Fleet trace).
 *   iOS/iPadOS: train 11 … 22 = iOS 7 … 18 (train − 4); in 2025 Apple switched to year-based numbers and
 *     iOS 18 (train 22) was followed by iOS 26 (train 23) — so train ≥ 23 = train + 3.
 *   macOS: train 20 … 24 = macOS 11 … 15 (train − 9); train 25 = macOS 26 (train + 1); train ≤ 19 =
 *     Mac OS X / macOS 10.(train − 4), e.g. 19 = 10.15.
 *   visionOS: train 21 = 1 (21N = 1.0.x, 21O = 1.1 … 1.3), 22 = 2, 23 = 26 (train + 3).
 * Trains after the last release we know of (iOS/visionOS 26 = 23, macOS 26 = 25) are extrapolated with the
 * same offset; that can only ever raise the version, which is safe for a minimum check.
 * The letter roughly tracks the minor version but has exceptions (iOS 14.1 = 18A8395), so builds yield
 * only the major version — except visionOS train 21, where 1.0 vs 1.1 matters for the minimum.
 * Some devices/tools send a dotted version ("17.4", "10.15.7") instead; that is used as is.
 */
import { AppleProtocolError } from './errors';

export type ApplePlatform = 'iOS' | 'iPadOS' | 'macOS' | 'visionOS' | 'unknown';
export type EnrollmentType = 'BYOD' | 'ADDE';
export interface OsVersion {
  major: number;
  /** Known only from dotted versions and visionOS 1.x builds. */
  minor: number | undefined;
}

/** PRODUCT is the model identifier: iPhone12,1 · iPad13,4 · Mac14,2 · MacBookPro18,3 · RealityDevice14,1. */
export function platformFromProduct(product: string): ApplePlatform {
  if (/^(?:iPhone|iPod)\d/.test(product)) return 'iOS';
  if (/^iPad\d/.test(product)) return 'iPadOS';
  // Mac, MacBook, MacBookAir, MacBookPro, Macmini, MacPro, iMac, iMacPro, VirtualMac (macOS VMs).
  if (/^(?:i|Virtual)?Mac[A-Za-z]*\d/.test(product)) return 'macOS';
  if (/^RealityDevice\d/.test(product)) return 'visionOS';
  return 'unknown';
}

/** Parses a build ("23A341", "21O211", beta "23A5260n") or a dotted version ("17.4"); undefined if neither. */
export function osVersionFromBuild(platform: ApplePlatform, version: string): OsVersion | undefined {
  const dotted = /^(\d{1,3})(?:\.(\d{1,3}))?(?:\.\d{1,3})?$/.exec(version.trim());
  if (dotted)
    return { major: Number(dotted[1]), minor: dotted[2] === undefined ? undefined : Number(dotted[2]) };
  const build = /^(\d{1,2})([A-Z])\d{1,6}[a-z]?$/.exec(version.trim());
  if (!build || platform === 'unknown') return undefined;
  const train = Number(build[1]);
  const letter = build[2]!;
  switch (platform) {
    case 'iOS':
    case 'iPadOS':
      if (train < 7) return undefined;
      return { major: train <= 22 ? train - 4 : train + 3, minor: undefined };
    case 'macOS':
      if (train < 8) return undefined;
      if (train <= 19) return { major: 10, minor: train - 4 };
      return { major: train <= 24 ? train - 9 : train + 1, minor: undefined };
    case 'visionOS':
      if (train < 21) return undefined;
      if (train === 21) return { major: 1, minor: letter <= 'N' ? 0 : 1 };
      return { major: train === 22 ? 2 : train + 3, minor: undefined };
  }
}

type Minimum = { major: number; minor: number };
/**
 * Product rules (docs/protocol/os-versions.md#minimum-versions): Account-driven User Enrollment (BYOD) needs iOS/iPadOS 15, macOS 14,
 * visionOS 1.1 (Apple, "Onboarding users with account-driven enrollment",
 * https://developer.apple.com/documentation/devicemanagement/onboarding-users-with-account-driven-enrollment).
 * Account-driven Device Enrollment (ADDE) needs iOS/iPadOS 17, macOS 14, visionOS 1.1 (Apple Platform
 * Deployment, https://support.apple.com/guide/deployment/depd1c27dfe6/web; the developer doc's "iOS 16" is
 * treated as superseded).
 */
export const OS_MINIMUMS: Record<EnrollmentType, Record<Exclude<ApplePlatform, 'unknown'>, Minimum>> = {
  BYOD: {
    iOS: { major: 15, minor: 0 },
    iPadOS: { major: 15, minor: 0 },
    macOS: { major: 14, minor: 0 },
    visionOS: { major: 1, minor: 1 },
  },
  ADDE: {
    iOS: { major: 17, minor: 0 },
    iPadOS: { major: 17, minor: 0 },
    macOS: { major: 14, minor: 0 },
    visionOS: { major: 1, minor: 1 },
  },
};

export type OsCheck = { ok: true; version: OsVersion } | { ok: false; message: string };

const ENROLLMENT_NAME: Record<EnrollmentType, string> = {
  BYOD: 'Enrolling a personal device with a work or school account (User Enrollment)',
  ADDE: 'Enrolling an organization-owned device with a work or school account (Device Enrollment)',
};
const DEVICE_NAME = { iOS: 'iPhone', iPadOS: 'iPad', macOS: 'Mac', visionOS: 'Apple Vision Pro' } as const;
const UPDATE_PATH = {
  iOS: 'Settings > General > Software Update',
  iPadOS: 'Settings > General > Software Update',
  macOS: 'System Settings > General > Software Update',
  visionOS: 'Settings > General > Software Update',
} as const;

/** `version` is the VERSION key (build or dotted). Never throws; see {@link assertOsMinimum}. */
export function checkOsMinimum(type: EnrollmentType, platform: ApplePlatform, version: string): OsCheck {
  if (platform === 'unknown') {
    return {
      ok: false,
      message: `${ENROLLMENT_NAME[type]} is available only on iPhone, iPad, Mac and Apple Vision Pro.`,
    };
  }
  const parsed = osVersionFromBuild(platform, version);
  if (!parsed) {
    return {
      ok: false,
      message: `This ${DEVICE_NAME[platform]} reported a software version this server does not recognise ("${version}"). Update it in ${UPDATE_PATH[platform]} and try again.`,
    };
  }
  const min = OS_MINIMUMS[type][platform];
  const minor = parsed.minor ?? 0;
  if (parsed.major > min.major || (parsed.major === min.major && minor >= min.minor))
    return { ok: true, version: parsed };
  const running = `${platform} ${parsed.major}${parsed.minor === undefined ? '' : `.${parsed.minor}`}`;
  const needed = `${platform} ${min.major}${min.minor === 0 ? '' : `.${min.minor}`}`;
  return {
    ok: false,
    message: `This ${DEVICE_NAME[platform]} runs ${running}. ${ENROLLMENT_NAME[type]} requires ${needed} or later. Update it in ${UPDATE_PATH[platform]}, then sign in again.`,
  };
}

/** Like {@link checkOsMinimum} but throws `AppleProtocolError('UNSUPPORTED_OS')` with the same message. */
export function assertOsMinimum(type: EnrollmentType, platform: ApplePlatform, version: string): OsVersion {
  const check = checkOsMinimum(type, platform, version);
  if (!check.ok) throw new AppleProtocolError('UNSUPPORTED_OS', check.message);
  return check.version;
}
