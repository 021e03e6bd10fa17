/**
 * What a person is told before enrolling, in plain language, when the organisation has not written
 * its own notice. Sources: Apple's Platform Deployment guide on User Enrollment and Device
 * Enrollment (what MDM can and cannot see or do), summarised for people, not administrators.
 * With the accent colour, what the sign-in page shows where branding leaves something unset.
 */
import type { BrandingItem } from '../entities/service.ts';

export const DEFAULT_ACCENT = '#0B5FFF';

export const DEFAULT_PRIVACY_NOTICES = {
  USER: [
    'This is a personal device, and it stays yours.',
    'Your organisation CAN: install and remove work apps, accounts and settings it manages; see the device model, operating system version and the work apps it installed; erase only the work data it added.',
    'Your organisation CANNOT: see your personal apps, photos, messages, email, browsing history or location; see the serial number or other hardware identifiers; erase or lock your whole device.',
    'You can remove work management at any time in Settings; the work data goes with it.',
  ].join('\n\n'),
  DEVICE: [
    'This device will be managed by your organisation.',
    'Your organisation CAN: see the device name, model, serial number and operating system; see the installed apps; install and remove apps, settings and operating-system updates; lock or erase the device.',
    'Your organisation CANNOT: read your messages, email, photos or browsing history through device management.',
    'Management can be removed in Settings; the organisation is told when it is.',
  ].join('\n\n'),
} as const;

export function effectivePrivacyNotice(item: BrandingItem | null, type: 'USER' | 'DEVICE'): string {
  const custom = type === 'USER' ? item?.privacyNoticeUser : item?.privacyNoticeDevice;
  return custom ?? DEFAULT_PRIVACY_NOTICES[type];
}
