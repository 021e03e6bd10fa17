/**
 * Who a payload is judged for: a platform × enrollment type (× OS version for a real device), in the
 * catalogue's terms (generated from Apple's schemas, @ade/apple/catalog). iPadOS is `iOS` there, as
 * in Apple's YAML. The catalogue is loaded when first needed: only payload work pays for it.
 */
import type { DeviceItem } from '../entities/service.ts';

export const catalog = () => import('@ade/apple/catalog/index');

export type TargetPlatform = 'iOS' | 'macOS' | 'visionOS';
export type TargetEnrollment = 'BYOD' | 'ADDE';

/** The platforms devices enroll from (discovery's model families) × both enrollment types. */
export const REPORTED_TARGETS: { platform: TargetPlatform; enrollment: TargetEnrollment }[] = (
  ['iOS', 'macOS', 'visionOS'] as const
).flatMap((platform) => (['BYOD', 'ADDE'] as const).map((enrollment) => ({ platform, enrollment })));

export function targetOf(
  device: Pick<DeviceItem, 'platform' | 'enrollmentType' | 'osVersion'>,
): { platform: TargetPlatform; enrollment: TargetEnrollment; osVersion?: string } | null {
  const platform =
    device.platform === 'iOS' || device.platform === 'iPadOS'
      ? 'iOS'
      : device.platform === 'macOS' || device.platform === 'visionOS'
        ? device.platform
        : null;
  if (!platform) return null;
  return {
    platform,
    enrollment: device.enrollmentType,
    ...(device.osVersion ? { osVersion: device.osVersion } : {}),
  };
}
