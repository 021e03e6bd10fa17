/**
 * XML property lists (Apple's `PropertyList-1.0.dtd`): the format of the enrollment request content,
 * MDM check-ins, command responses and configuration profiles, read and written by plist-xml.ts:
 * - only XML is accepted: binary (`bplist00`) and OpenStep text, which no device sends on these
 *   endpoints, are refused instead of silently widening the surface;
 * - input is size-limited before any parsing, and must be UTF-8;
 * - anything the strict reader refuses (plist-xml.ts: structure, undefined entities, a DTD subset,
 *   numbers, dates or base64 that do not parse, duplicate keys, deep nesting) is MALFORMED_PLIST.
 */
import { AppleProtocolError } from './errors';
import { type PlistDict, PlistSyntaxError, type PlistValue, readXmlPlist, writeXmlPlist } from './plist-xml';

export type { PlistDict, PlistValue };

/** Default input limit. Enrollment bodies are < 4 KiB; large command responses stay well below 1 MiB. */
export const DEFAULT_PLIST_MAX_BYTES = 1024 * 1024;

export interface ParsePlistOptions {
  /** Refuse larger input (bytes of UTF-8). Default {@link DEFAULT_PLIST_MAX_BYTES}. */
  maxBytes?: number;
}

/** Parses an XML plist; throws `AppleProtocolError` `MALFORMED_PLIST` / `BODY_TOO_LARGE`. */
export function parsePlist(input: string | Uint8Array, options: ParsePlistOptions = {}): PlistValue {
  const maxBytes = options.maxBytes ?? DEFAULT_PLIST_MAX_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes) {
    throw new AppleProtocolError(
      'BODY_TOO_LARGE',
      `The property list is ${size} bytes; the limit is ${maxBytes}.`,
    );
  }
  const head =
    typeof input === 'string' ? input.slice(0, 6) : Buffer.from(input.subarray(0, 6)).toString('latin1');
  if (head === 'bplist')
    throw malformed('it is a binary property list; only XML property lists are accepted');
  const xml = decodeText(input).replace(/^\uFEFF/, '');
  if (!xml.trimStart().startsWith('<')) throw malformed('it is not XML');
  try {
    return readXmlPlist(xml);
  } catch (cause) {
    if (cause instanceof PlistSyntaxError) throw malformed(cause.message, cause);
    throw cause;
  }
}

/** Parses an XML plist whose top-level value must be a `<dict>`. */
export function parsePlistDict(input: string | Uint8Array, options: ParsePlistOptions = {}): PlistDict {
  const value = parsePlist(input, options);
  if (!isPlistDict(value)) throw malformed('the top-level value is not a dictionary');
  return value;
}

/** Builds an XML plist (with Apple's XML declaration and DOCTYPE) from a value. */
export function buildPlist(value: PlistValue): string {
  return writeXmlPlist(value);
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
}

function decodeText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (cause) {
    throw malformed('it is not UTF-8 text', cause);
  }
}

function malformed(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError(
    'MALFORMED_PLIST',
    `The request is not a valid Apple property list: ${reason}.`,
    {
      cause,
    },
  );
}
