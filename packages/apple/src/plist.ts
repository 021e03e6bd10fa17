/**
 * XML property lists (Apple's `PropertyList-1.0.dtd`): the format of the enrollment request content,
 * MDM check-ins, command responses and configuration profiles. A thin, strict wrapper around the
 * `plist` package:
 * - only XML is accepted: `plist.parse` would also accept binary (`bplist00`) and OpenStep text, which
 *   no device sends on these endpoints, so they are refused instead of silently widening the surface;
 * - input is size-limited before any parsing;
 * - everything the XML parser (xmldom) reports, including non-fatal errors such as undefined entities,
 *   is treated as malformed input, and `<!ENTITY` declarations are refused outright (no entity games);
 * - integers/reals that do not parse (NaN) and invalid dates are refused rather than passed on.
 */
import { build, type PlistValue, parse } from 'plist';
import { AppleProtocolError } from './errors';

export type { PlistValue };
export type PlistDict = { [key: string]: PlistValue };

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
  if (xml.includes('<!ENTITY')) throw malformed('XML entity declarations are not allowed');

  const value = parseQuietly(xml);
  assertWellFormedValues(value);
  return value;
}

/** Parses an XML plist whose top-level value must be a `<dict>`. */
export function parsePlistDict(input: string | Uint8Array, options: ParsePlistOptions = {}): PlistDict {
  const value = parsePlist(input, options);
  if (!isPlistDict(value)) throw malformed('the top-level value is not a dictionary');
  return value;
}

/** Builds an XML plist (with Apple's XML declaration and DOCTYPE) from a value. */
export function buildPlist(value: PlistValue): string {
  return build(value);
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

/**
 * `plist.parse` gives xmldom no error handler, so xmldom reports problems on `console.error` and only
 * throws for fatal ones. Parsing is synchronous, so swapping `console.error` for the duration of the call
 * both keeps request garbage out of the logs and lets us treat any reported problem as malformed input.
 */
function parseQuietly(xml: string): PlistValue {
  const reported: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    reported.push(args.map(String).join(' '));
  };
  let value: PlistValue;
  try {
    value = parse(xml);
  } catch (cause) {
    throw malformed(cause instanceof Error ? cause.message : 'the XML parser failed', cause);
  } finally {
    console.error = original;
  }
  if (reported.length > 0) throw malformed(reported[0]!.split('\n')[0]!);
  return value;
}

function assertWellFormedValues(value: PlistValue): void {
  if (typeof value === 'number' && Number.isNaN(value)) throw malformed('a number does not parse');
  if (value instanceof Date && Number.isNaN(value.getTime())) throw malformed('a date does not parse');
  if (Array.isArray(value)) for (const item of value) assertWellFormedValues(item);
  else if (isPlistDict(value)) for (const item of Object.values(value)) assertWellFormedValues(item);
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
