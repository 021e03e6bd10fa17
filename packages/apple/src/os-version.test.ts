import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnrollRequest } from './enroll-request';
import { isAppleProtocolError } from './errors';
import {
  type ApplePlatform,
  assertOsMinimum,
  checkOsMinimum,
  OS_MINIMUMS,
  osVersionFromBuild,
  platformFromProduct,
} from './os-version';
import { ENROLL_CAPTURE_PATH } from './testing/tools';

describe('platformFromProduct', () => {
  it.each<[string, ApplePlatform]>([
    ['iPhone12,1', 'iOS'],
    ['iPhone17,2', 'iOS'],
    ['iPod9,1', 'iOS'],
    ['iPad13,4', 'iPadOS'],
    ['Mac14,2', 'macOS'],
    ['MacBookPro18,3', 'macOS'],
    ['MacBookAir10,1', 'macOS'],
    ['iMac21,1', 'macOS'],
    ['iMacPro1,1', 'macOS'],
    ['Macmini9,1', 'macOS'],
    ['MacPro7,1', 'macOS'],
    ['VirtualMac2,1', 'macOS'],
    ['RealityDevice14,1', 'visionOS'],
    ['AppleTV14,1', 'unknown'],
    ['Watch7,1', 'unknown'],
    ['iPhone', 'unknown'],
    ['', 'unknown'],
  ])('%s → %s', (product, platform) => {
    expect(platformFromProduct(product)).toBe(platform);
  });
});

// Known release builds (see the source list in os-version.ts) → version.
describe('osVersionFromBuild', () => {
  it.each<[ApplePlatform, string, number, number | undefined]>([
    ['iOS', '19H12', 15, undefined], // iOS 15.7, the real capture
    ['iOS', '18A373', 14, undefined],
    ['iOS', '20A362', 16, undefined],
    ['iOS', '21E219', 17, undefined], // 17.4
    ['iOS', '22C161', 18, undefined], // 18.2.1, Fleet trace
    ['iOS', '23A341', 26, undefined], // iOS 26: 18 → 26 jump
    ['iOS', '23A5260n', 26, undefined], // beta suffix
    ['iOS', '24A100', 27, undefined], // extrapolated train
    ['iPadOS', '22A3354', 18, undefined],
    ['macOS', '19H15', 10, 15], // 10.15.7
    ['macOS', '20G165', 11, undefined],
    ['macOS', '22A380', 13, undefined],
    ['macOS', '23A344', 14, undefined],
    ['macOS', '24A335', 15, undefined],
    ['macOS', '25A354', 26, undefined], // macOS 26: 15 → 26 jump
    ['visionOS', '21N305', 1, 0],
    ['visionOS', '21O211', 1, 1],
    ['visionOS', '22N320', 2, undefined],
    ['visionOS', '23M336', 26, undefined],
    ['iOS', '17.4', 17, 4],
    ['iOS', '18.2.1', 18, 2],
    ['macOS', '10.15.7', 10, 15],
    ['visionOS', '1.1', 1, 1],
    ['iPadOS', '26', 26, undefined],
  ])('%s %s → %i.%s', (platform, build, major, minor) => {
    expect(osVersionFromBuild(platform, build)).toEqual({ major, minor });
  });

  it.each<[ApplePlatform, string]>([
    ['iOS', ''],
    ['iOS', 'latest'],
    ['iOS', '19h12'],
    ['iOS', '17.4.1.9'],
    ['unknown', '23A341'],
    ['visionOS', '20A362'],
  ])('%s %j → undefined', (platform, build) => {
    expect(osVersionFromBuild(platform, build)).toBeUndefined();
  });
});

describe('checkOsMinimum', () => {
  // Each row is a boundary: the first build/version that passes and the last that fails.
  it.each<['BYOD' | 'ADDE', ApplePlatform, string, boolean]>([
    ['BYOD', 'iOS', '19A346', true], // iOS 15.0
    ['BYOD', 'iOS', '18H17', false], // iOS 14.8
    ['BYOD', 'iPadOS', '15.0', true],
    ['BYOD', 'iPadOS', '14.8.1', false],
    ['ADDE', 'iOS', '21A329', true], // iOS 17.0
    ['ADDE', 'iOS', '20H115', false], // iOS 16.7
    ['ADDE', 'iOS', '19H12', false],
    ['ADDE', 'iOS', '23A341', true],
    ['ADDE', 'iPadOS', '16.7', false],
    ['BYOD', 'macOS', '23A344', true], // macOS 14.0
    ['BYOD', 'macOS', '22G120', false], // macOS 13.6
    ['ADDE', 'macOS', '25A354', true],
    ['ADDE', 'macOS', '10.15.7', false],
    ['BYOD', 'visionOS', '21O211', true], // visionOS 1.1
    ['BYOD', 'visionOS', '21N305', false], // visionOS 1.0
    ['ADDE', 'visionOS', '1.0', false],
    ['ADDE', 'visionOS', '1.1', true],
    ['ADDE', 'visionOS', '22N320', true],
  ])('%s %s %s → ok=%s', (type, platform, version, ok) => {
    expect(checkOsMinimum(type, platform, version).ok).toBe(ok);
  });

  it('explains a refusal with the running version, the minimum and where to update', () => {
    const r = checkOsMinimum('ADDE', 'iOS', '20H115');
    expect(r).toEqual({ ok: false, message: expect.stringContaining('runs iOS 16') });
    if (r.ok) return;
    expect(r.message).toContain('requires iOS 17 or later');
    expect(r.message).toContain('Settings > General > Software Update');
    expect(checkOsMinimum('BYOD', 'macOS', '22G120')).toMatchObject({
      message: expect.stringContaining('System Settings > General > Software Update'),
    });
    expect(checkOsMinimum('BYOD', 'visionOS', '21N305')).toMatchObject({
      message: expect.stringContaining('requires visionOS 1.1 or later'),
    });
  });

  it('refuses unknown device types and unreadable versions with a message', () => {
    expect(checkOsMinimum('BYOD', 'unknown', '23A341')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/iPhone, iPad, Mac/),
    });
    expect(checkOsMinimum('BYOD', 'iOS', 'banana')).toMatchObject({
      ok: false,
      message: expect.stringContaining('"banana"'),
    });
  });

  it('every minimum in the table is itself accepted and the version just below refused', () => {
    for (const type of ['BYOD', 'ADDE'] as const) {
      for (const [platform, min] of Object.entries(OS_MINIMUMS[type]) as [
        ApplePlatform,
        { major: number; minor: number },
      ][]) {
        expect(checkOsMinimum(type, platform, `${min.major}.${min.minor}`).ok).toBe(true);
        const below = min.minor > 0 ? `${min.major}.${min.minor - 1}` : `${min.major - 1}.9`;
        expect(checkOsMinimum(type, platform, below).ok).toBe(false);
      }
    }
  });

  it('assertOsMinimum throws UNSUPPORTED_OS; the real capture (iOS 15) passes BYOD and fails ADDE', () => {
    const req = parseEnrollRequest(readFileSync(ENROLL_CAPTURE_PATH));
    const platform = platformFromProduct(req.product);
    expect(assertOsMinimum('BYOD', platform, req.version)).toEqual({ major: 15, minor: undefined });
    try {
      assertOsMinimum('ADDE', platform, req.version);
      expect.unreachable();
    } catch (err) {
      expect(isAppleProtocolError(err, 'UNSUPPORTED_OS')).toBe(true);
      expect((err as Error).message).toContain('This iPhone runs iOS 15.');
    }
  });
});
