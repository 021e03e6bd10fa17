/**
 * The answer to a service-discovery request: `GET {publicUrl}/mdm/enrollment/servicediscovery/{discoveryId}`
 * with the device's `user-identifier` and `model-family` (docs/protocol/discovery.md).
 * It is reached three ways, all carrying the device's query: the customer's forwarding Worker or
 * redirect (hosting.ts), and ABM/ASM's fallback redirect on iOS/iPadOS 18.2, macOS 15.2, visionOS 2.2+
 * (docs/protocol/discovery.md#fallback-through-apple-business-manager). Pure: the caller looks the configuration up by discoveryId and turns this into HTTP.
 */
import { INPUT_LIMITS, TOO_LONG_MESSAGES } from '../input-limits.ts';
import { domainOfIdentifier } from './domains.ts';
import { checkPublicUrl, discoveryVersion, type EnrollmentType, enrollmentBaseUrl } from './urls.ts';

export type { EnrollmentType } from './urls.ts';
export { DiscoveryConfigError, discoveryUrl, enrollmentBaseUrl } from './urls.ts';

/** What discovery needs of an ADE configuration; `domains` are already normalized (domains.ts). */
export interface DiscoverableConfiguration {
  discoveryId: string;
  enrollmentType: EnrollmentType;
  enabled: boolean;
  domains: string[];
}

export interface DiscoveryQuery {
  userIdentifier?: string | null;
  modelFamily?: string | null;
}

const JSON_TYPE = { 'content-type': 'application/json' } as const;

/** docs/protocol/discovery.md#the-answer: "For the current release, this array needs to contain a single item" (WellKnown.AvailableServer). */
export interface DiscoveryOk {
  status: 200;
  headers: typeof JSON_TYPE;
  body: { Servers: [{ Version: 'mdm-byod' | 'mdm-adde'; BaseURL: string }] };
}

/**
 * Apple's refusal (`YAML mdm/errors/well-known.failed.yaml`,
 * docs/protocol/discovery.md#refusals-and-errors): `message` may be shown to the
 * person (iOS/iPadOS 17.5, macOS 14.5, visionOS 1.2+; older systems show a generic alert), `description`
 * is for logs. Neither names tenants, ids or configuration details. `reason` is ours, for audit events;
 * it is not sent. On 18.2+ any 403 may also make the device try the ABM/ASM fallback
 * (docs/protocol/discovery.md#fallback-through-apple-business-manager).
 */
export interface DiscoveryRefusal {
  status: 403;
  headers: typeof JSON_TYPE;
  body: { code: 'com.apple.well-known.failed'; description: string; message: string };
  reason: RefusalReason;
}

export type RefusalReason =
  | 'NOT_AVAILABLE'
  | 'IDENTIFIER_INVALID'
  | 'DOMAIN_NOT_SERVED'
  | 'MODEL_FAMILY_MISSING'
  | 'MODEL_FAMILY_NOT_ALLOWED';

/** Apple's `model-family` values (DOC-SIMPLE step 2, DOC-DISCOVER;
 * docs/protocol/discovery.md#the-request-a-device-makes). */
export const MODEL_FAMILIES = ['AppleTV', 'iPad', 'iPhone', 'Mac', 'RealityDevice', 'Watch'] as const;

/**
 * Families that can enroll with each type, from the OS-requirements table
 * (docs/protocol/os-versions.md#minimum-versions):
 * ADUE iOS/iPadOS 15+, macOS 14+, visionOS 1.1+; ADDE iOS/iPadOS 17+, macOS 14+, visionOS 1.1+. tvOS and
 * watchOS are in neither row, so AppleTV and Watch cannot enroll either way. The request carries no OS
 * version; minimums are enforced when the enrollment request arrives (@ade/apple os-version.ts).
 */
const ENROLLABLE: Record<EnrollmentType, ReadonlySet<string>> = {
  USER: new Set(['iPhone', 'iPad', 'Mac', 'RealityDevice']),
  DEVICE: new Set(['iPhone', 'iPad', 'Mac', 'RealityDevice']),
};

const CONTACT_IT = 'contact your IT support team';

export function discoveryAnswer(
  config: DiscoverableConfiguration | null,
  query: DiscoveryQuery,
  publicUrl: string,
): DiscoveryOk | DiscoveryRefusal {
  checkPublicUrl(publicUrl); // a misconfigured deployment fails on every request, not only on success
  // Unknown and disabled look the same, so an address reveals nothing about a configuration's state.
  if (!config?.enabled) {
    return refuse(
      'NOT_AVAILABLE',
      'No enabled enrollment configuration answers at this address.',
      `Enrollment with a work or school account is not available right now. Try again later, or ${CONTACT_IT}.`,
    );
  }
  if ((query.userIdentifier?.length ?? 0) > INPUT_LIMITS.userIdentifier) {
    return refuse(
      'IDENTIFIER_INVALID',
      `The user-identifier is longer than ${INPUT_LIMITS.userIdentifier} characters.`,
      TOO_LONG_MESSAGES.userIdentifier,
    );
  }
  const domain = query.userIdentifier ? domainOfIdentifier(query.userIdentifier) : null;
  if (!domain) {
    return refuse(
      'IDENTIFIER_INVALID',
      'The request has no valid user-identifier (name@domain). A redirect must keep the query string.',
      'Enter your work or school account in the form name@company.com and try again.',
    );
  }
  if (!config.domains.includes(domain)) {
    return refuse(
      'DOMAIN_NOT_SERVED',
      `The domain ${domain} is not a domain of this enrollment configuration.`,
      `Your account’s domain is not set up for enrollment here. Check that you typed your work or school ` +
        `account correctly, or ${CONTACT_IT}.`,
    );
  }
  // DOC-SIMPLE step 2: "The client includes two query parameters" — every device sends model-family, so
  // its absence means a forwarder lost the query (or a non-device client); refuse politely, don't guess.
  const family = query.modelFamily;
  if (!family) {
    return refuse(
      'MODEL_FAMILY_MISSING',
      'The request has no model-family. A redirect or forwarder must keep the whole query string.',
      `This device did not say what kind of device it is. Update its software and try again, or ${CONTACT_IT}.`,
    );
  }
  if (!ENROLLABLE[config.enrollmentType].has(family)) {
    const known = (MODEL_FAMILIES as readonly string[]).includes(family) ? family : 'unknown';
    const kind =
      config.enrollmentType === 'USER' ? 'user enrollment (mdm-byod)' : 'device enrollment (mdm-adde)';
    return refuse(
      'MODEL_FAMILY_NOT_ALLOWED',
      `model-family ${known} cannot use account-driven ${kind}.`,
      'This device cannot be enrolled with a work or school account. Use an iPhone, iPad, Mac or Apple Vision Pro.',
    );
  }
  const version = discoveryVersion(config.enrollmentType);
  const BaseURL = enrollmentBaseUrl(publicUrl, config.discoveryId, config.enrollmentType);
  return { status: 200, headers: { ...JSON_TYPE }, body: { Servers: [{ Version: version, BaseURL }] } };
}

function refuse(reason: RefusalReason, description: string, message: string): DiscoveryRefusal {
  return {
    status: 403,
    headers: { ...JSON_TYPE },
    body: { code: 'com.apple.well-known.failed', description, message },
    reason,
  };
}
