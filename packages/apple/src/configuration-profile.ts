/**
 * Configuration profiles that MDM installs with `InstallProfile` (apple/device-management
 * `mdm/profiles/TopLevel.yaml`, `CommonPayloadKeys.yaml`; "Configuration Profile" in
 * https://developer.apple.com/documentation/devicemanagement/toplevel): a `Configuration` dictionary whose
 * `PayloadContent` holds one dictionary per payload. The caller brings the settings as plain JavaScript
 * values; they are converted here, strictly, because the plist writer (plist-xml.ts, like the `plist`
 * package before it) leaves out what a property list cannot hold (null, undefined, a function) or
 * writes a Map as an empty dictionary, and the device would then install something other than what
 * the admin configured — or refuse the profile as malformed.
 */
import { AppleProtocolError } from './errors.ts';
import { buildPlist, type PlistDict, type PlistValue } from './plist.ts';

export interface ProfilePayloadInput {
  /** PayloadType, e.g. `com.apple.wifi.managed`. */
  type: string;
  identifier: string;
  uuid: string;
  displayName?: string;
  /** The payload's own keys (Apple's names), merged into the payload dictionary. */
  settings: Record<string, unknown>;
}

export interface ConfigurationProfileInput {
  /** Top-level PayloadIdentifier: a device replaces an installed profile with the same identifier. */
  identifier: string;
  uuid: string;
  displayName: string;
  organization?: string;
  description?: string;
  payloads: ProfilePayloadInput[];
}

/** Keys this builder sets on every payload; settings may not override them. */
const RESERVED_PAYLOAD_KEYS = [
  'PayloadType',
  'PayloadVersion',
  'PayloadIdentifier',
  'PayloadUUID',
  'PayloadDisplayName',
] as const;

/**
 * Unsigned XML plist bytes (sign them with profile-signing.ts before sending if wanted). `PayloadVersion`
 * is 1 on the profile and every payload, the only version Apple documents.
 */
export function configurationProfile(input: ConfigurationProfileInput): Buffer {
  requireText('PayloadIdentifier', input.identifier);
  requireText('PayloadUUID', input.uuid);
  requireText('PayloadDisplayName', input.displayName);
  if (!Array.isArray(input.payloads)) throw invalid('PayloadContent', 'payloads must be an array');
  const identifiers = new Set([input.identifier]);
  const uuids = new Set([input.uuid]);
  const content = input.payloads.map((payload, i) => {
    const at = `PayloadContent[${i}]`;
    requireText(`${at}.PayloadType`, payload.type);
    requireText(`${at}.PayloadIdentifier`, payload.identifier);
    requireText(`${at}.PayloadUUID`, payload.uuid);
    // The device refuses a profile whose payloads share an identifier or a UUID (with each other or the profile).
    if (identifiers.has(payload.identifier))
      throw invalid(`${at}.PayloadIdentifier`, `"${payload.identifier}" is used twice`);
    if (uuids.has(payload.uuid)) throw invalid(`${at}.PayloadUUID`, `"${payload.uuid}" is used twice`);
    identifiers.add(payload.identifier);
    uuids.add(payload.uuid);
    return payloadDict(payload, at);
  });
  const profile: PlistDict = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: input.identifier,
    PayloadUUID: input.uuid,
    PayloadDisplayName: input.displayName,
  };
  if (input.organization !== undefined)
    profile.PayloadOrganization = text('PayloadOrganization', input.organization);
  if (input.description !== undefined)
    profile.PayloadDescription = text('PayloadDescription', input.description);
  profile.PayloadContent = content;
  return Buffer.from(buildPlist(profile), 'utf8');
}

function payloadDict(payload: ProfilePayloadInput, at: string): PlistDict {
  if (!isPlainObject(payload.settings)) throw invalid(`${at}`, 'settings must be a plain object');
  const clash = RESERVED_PAYLOAD_KEYS.find((key) => key in payload.settings);
  if (clash) throw invalid(`${at}.${clash}`, 'is set by the builder; leave it out of settings');
  const dict: PlistDict = {
    PayloadType: payload.type,
    PayloadVersion: 1,
    PayloadIdentifier: payload.identifier,
    PayloadUUID: payload.uuid,
  };
  if (payload.displayName !== undefined)
    dict.PayloadDisplayName = text(`${at}.PayloadDisplayName`, payload.displayName);
  return { ...dict, ...(toPlistValue(payload.settings, `${at}(${payload.type})`) as PlistDict) };
}

/** Plist integers are 64-bit; Apple reads unsigned values up to 2^64 - 1 as well. */
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 64n - 1n;
/** XML 1.0 `Char`: anything else (NUL, most C0 controls, lone surrogates, U+FFFE/F) makes the XML invalid. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * A JavaScript value as a plist value: string, number (integer when integral, else real), bigint
 * (integer), boolean, Date (date; the XML form keeps whole seconds), Uint8Array/Buffer (data), array,
 * plain object (dict; keys whose value is `undefined` are left out, as an absent optional key).
 * Anything else throws INVALID_PROFILE_INPUT naming the key path.
 */
export function toPlistValue(value: unknown, path: string): PlistValue {
  switch (typeof value) {
    case 'string':
      return text(path, value);
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `${value} is not a number a plist can hold`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value))
        throw invalid(path, `${value} is beyond 2^53; pass it as a bigint to keep it exact`);
      return value;
    case 'bigint':
      if (value < INT_MIN || value > INT_MAX) throw invalid(path, 'the integer does not fit in 64 bits');
      return value as unknown as PlistValue; // the plist builder writes bigints as <integer>
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(path, 'the date is invalid');
    return value;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (item === undefined) throw invalid(`${path}[${i}]`, 'an array element is undefined');
      return toPlistValue(item, `${path}[${i}]`);
    });
  }
  if (isPlainObject(value)) {
    const dict: PlistDict = {};
    for (const [key, item] of Object.entries(value)) {
      text(`${path}.${key}`, key);
      if (item !== undefined) dict[key] = toPlistValue(item, `${path}.${key}`);
    }
    return dict;
  }
  const what = value === null ? 'null' : typeof value === 'object' ? value.constructor?.name : typeof value;
  throw invalid(path, `${what ?? 'this value'} has no plist form`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function text(path: string, value: string): string {
  if (typeof value !== 'string') throw invalid(path, 'must be a string');
  if (NOT_XML_CHAR.test(value)) throw invalid(path, 'contains a character XML cannot carry');
  return value;
}

function requireText(path: string, value: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(path, 'must be a non-empty string');
  text(path, value);
}

function invalid(path: string, reason: string): AppleProtocolError {
  return new AppleProtocolError('INVALID_PROFILE_INPUT', `The profile cannot be built: ${path} ${reason}.`);
}
