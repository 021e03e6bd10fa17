/**
 * A small, strict reader of ASN.1 BER/DER (X.690) for the few structures the device path reads on every
 * request (mdm-signature.ts). It does no schema work and builds no objects: an element is its tag and the
 * offsets of its content in the caller's bytes, so reading a device's SignedData costs a few microseconds
 * where a general ASN.1 library (asn1js, also under `@peculiar/asn1-*`) costs most of a millisecond.
 *
 * What it accepts, and why it is narrower than BER:
 * - Tags in the low-tag-number form only (0–30): no CMS or X.509 structure uses larger numbers.
 * - Lengths in their shortest form (DER's rule). BER also allows padded long forms; no device or
 *   library we know writes them, and refusing them means one byte sequence has one reading.
 * - At most 4 length octets (and never more than the input holds).
 * - The indefinite length (0x80, closed by 00 00) only on constructed elements and only where the caller
 *   allows it: Apple devices write their SignedData's outer layers that way (the enrollment capture).
 * - Nesting at most `MAX_DEPTH` deep, so hostile input cannot recurse without bound.
 * Every violation throws `DerError` with the offset; callers map it to their own error.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

/** Deeper than any CMS or certificate structure a device sends (a certificate is about 8 levels). */
export const MAX_DEPTH = 32;

/** Tag octets (class, constructed bit and number) of the universal and context types the device path reads. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  octetStringConstructed: 0x24,
  null: 0x05,
  oid: 0x06,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  /** [n] IMPLICIT or EXPLICIT, constructed. */
  context: (n: number) => 0xa0 | n,
  /** [n] IMPLICIT, primitive. */
  contextPrimitive: (n: number) => 0x80 | n,
} as const;

export interface Element {
  /** The identifier octet: class (2 bits), constructed (1 bit), number (5 bits). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Content octets are `[contentStart, contentEnd)`; for the indefinite form, without the closing 00 00. */
  contentStart: number;
  contentEnd: number;
  /** Offset just after the element (after 00 00 for the indefinite form). */
  end: number;
  indefinite: boolean;
  depth: number;
}

export interface ReadOptions {
  /** Accept the indefinite length form on constructed elements (BER); default false (DER). */
  indefinite?: boolean;
}

export function isConstructed(element: Element): boolean {
  return (element.tag & 0x20) !== 0;
}

/** Reads the one element that must fill `bytes` exactly (no trailing data). */
export function readRoot(bytes: Uint8Array, options: ReadOptions = {}): Element {
  const root = readElement(bytes, 0, bytes.length, 0, options);
  if (root.end !== bytes.length) throw new DerError(`trailing data after offset ${root.end}`);
  return root;
}

/**
 * Reads the element at `offset`, which must end by `limit`. For the indefinite form the element's
 * children are read (to find the closing 00 00), so its whole extent is checked here.
 */
export function readElement(
  bytes: Uint8Array,
  offset: number,
  limit: number,
  depth: number,
  options: ReadOptions = {},
): Element {
  if (depth > MAX_DEPTH) throw new DerError(`nested deeper than ${MAX_DEPTH} at offset ${offset}`);
  if (offset >= limit) throw new DerError(`an element is missing at offset ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`a high tag number at offset ${offset}`);
  if (tag === 0) throw new DerError(`an unexpected end-of-contents at offset ${offset}`);
  if (offset + 1 >= limit) throw new DerError(`a length is missing at offset ${offset + 1}`);
  const first = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (first === 0x80) {
    if (!options.indefinite || (tag & 0x20) === 0)
      throw new DerError(`an indefinite length where none is allowed at offset ${offset}`);
    return readIndefinite(bytes, offset, tag, contentStart, limit, depth, options);
  }
  let length = first;
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new DerError(`a length of ${count} octets at offset ${offset + 1}`);
    if (contentStart + count > limit) throw new DerError(`a truncated length at offset ${offset + 1}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    // Shortest form: one octet would have done, or a leading zero octet pads it.
    if (length < 0x80 || bytes[contentStart] === 0)
      throw new DerError(`a length not in its shortest form at offset ${offset + 1}`);
    contentStart += count;
  }
  const contentEnd = contentStart + length;
  if (contentEnd > limit) throw new DerError(`an element runs past its container at offset ${offset}`);
  return { tag, start: offset, contentStart, contentEnd, end: contentEnd, indefinite: false, depth };
}

function readIndefinite(
  bytes: Uint8Array,
  offset: number,
  tag: number,
  contentStart: number,
  limit: number,
  depth: number,
  options: ReadOptions,
): Element {
  let at = contentStart;
  for (;;) {
    if (at + 2 > limit)
      throw new DerError(`an indefinite length is not closed (element at offset ${offset})`);
    if (bytes[at] === 0 && bytes[at + 1] === 0)
      return { tag, start: offset, contentStart, contentEnd: at, end: at + 2, indefinite: true, depth };
    at = readElement(bytes, at, limit, depth + 1, options).end;
  }
}

/** The elements inside a constructed one, in order; each must fit, and together fill it exactly. */
export function children(bytes: Uint8Array, parent: Element, options: ReadOptions = {}): Element[] {
  if (!isConstructed(parent))
    throw new DerError(`a primitive element where a constructed one belongs at offset ${parent.start}`);
  const out: Element[] = [];
  for (let at = parent.contentStart; at < parent.contentEnd; ) {
    const child = readElement(bytes, at, parent.contentEnd, parent.depth + 1, options);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Throws unless `element` has this exact tag octet. */
export function expectTag(element: Element | undefined, tag: number, what: string): Element {
  if (!element) throw new DerError(`${what} is missing`);
  if (element.tag !== tag)
    throw new DerError(`${what} has tag 0x${element.tag.toString(16)} at offset ${element.start}`);
  return element;
}

/** The content octets of a primitive element (a view, not a copy). */
export function content(bytes: Uint8Array, element: Element): Uint8Array {
  return bytes.subarray(element.contentStart, element.contentEnd);
}

/** The whole encoding of an element, identifier to end (a view). */
export function encoding(bytes: Uint8Array, element: Element): Uint8Array {
  return bytes.subarray(element.start, element.end);
}

/**
 * A non-negative INTEGER small enough for a version number: one content octet, 0–127. Versions in CMS are
 * 0–5, so anything longer is not a version.
 */
export function smallInteger(bytes: Uint8Array, element: Element, what: string): number {
  expectTag(element, TAG.integer, what);
  const value = content(bytes, element);
  if (value.length !== 1 || value[0]! > 0x7f) throw new DerError(`${what} is not a small INTEGER`);
  return value[0]!;
}

/**
 * An OBJECT IDENTIFIER's content octets, checked: not empty, every sub-identifier closed (last octet's
 * high bit clear) and in its shortest form (no leading 0x80).
 */
export function oid(bytes: Uint8Array, element: Element, what: string): Uint8Array {
  expectTag(element, TAG.oid, what);
  const value = content(bytes, element);
  if (value.length === 0) throw new DerError(`${what} is empty`);
  if (value.length > 64) throw new DerError(`${what} is longer than 64 octets`);
  let startOfSub = true;
  for (const octet of value) {
    if (startOfSub && octet === 0x80) throw new DerError(`${what} has a padded sub-identifier`);
    startOfSub = (octet & 0x80) === 0;
  }
  if (!startOfSub) throw new DerError(`${what} ends inside a sub-identifier`);
  return value;
}

/**
 * An OCTET STRING's value: primitive, or (BER, where indefinite forms are allowed) constructed from
 * primitive segments, which are concatenated.
 */
export function octetString(
  bytes: Uint8Array,
  element: Element,
  what: string,
  options: ReadOptions = {},
): Uint8Array {
  if (element.tag === TAG.octetString) return content(bytes, element);
  if (element.tag !== TAG.octetStringConstructed || !options.indefinite)
    throw new DerError(`${what} is not an OCTET STRING`);
  const segments = children(bytes, element, options).map((segment) => {
    expectTag(segment, TAG.octetString, `a segment of ${what}`);
    return content(bytes, segment);
  });
  return Buffer.concat(segments);
}

/** Dotted text of an OID's content octets, for messages and lookups. */
export function oidText(value: Uint8Array): string {
  const parts: number[] = [];
  let n = 0;
  for (const octet of value) {
    n = n * 128 + (octet & 0x7f);
    if ((octet & 0x80) === 0) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** Universal types that may be constructed: SEQUENCE, SET, and (BER only) OCTET STRING from segments. */
const CONSTRUCTED_UNIVERSAL = new Set<number>([TAG.sequence, TAG.set]);

/**
 * Checks every element inside `element`, recursively, as a general ASN.1 parser would before a schema
 * is applied: well-formed lengths and nesting, universal types in their only legal form (SEQUENCE, SET
 * and the other structured types constructed, the rest primitive, except OCTET STRING segments where
 * BER is allowed), and the
 * contents of the universal types a parser decodes (OBJECT IDENTIFIER, BIT STRING, the two times).
 * Context- and application-tagged elements are taken as they come: constructed ones are descended into.
 */
export function validateTree(bytes: Uint8Array, element: Element, options: ReadOptions = {}): void {
  const universal = (element.tag & 0xc0) === 0;
  if (isConstructed(element)) {
    if (
      universal &&
      !CONSTRUCTED_UNIVERSAL.has(element.tag) &&
      !(element.tag === TAG.octetStringConstructed && options.indefinite)
    )
      throw new DerError(`a constructed form of a primitive type at offset ${element.start}`);
    for (const child of children(bytes, element, options)) validateTree(bytes, child, options);
    return;
  }
  if (!universal) return;
  switch (element.tag) {
    case 0x08: // EXTERNAL
    case 0x0b: // EMBEDDED PDV
    case 0x10: // SEQUENCE
    case 0x11: // SET
    case 0x1d: // CHARACTER STRING
      throw new DerError(`a primitive form of a constructed type at offset ${element.start}`);
    case TAG.oid:
      oid(bytes, element, 'an OBJECT IDENTIFIER');
      return;
    case TAG.bitString: {
      const value = content(bytes, element);
      if (value.length === 0 || value[0]! > 7 || (value.length === 1 && value[0] !== 0))
        throw new DerError(`a BIT STRING with invalid unused bits at offset ${element.start}`);
      return;
    }
    case TAG.utcTime:
    case TAG.generalizedTime:
      time(bytes, element, 'a time');
      return;
    case 0x0f:
      throw new DerError(`the reserved universal tag 15 at offset ${element.start}`);
  }
}

/** UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`: the only forms DER and RFC 5280 allow. */
export function time(bytes: Uint8Array, element: Element, what: string): Date {
  const text = Buffer.from(content(bytes, element)).toString('latin1');
  const match =
    element.tag === TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : element.tag === TAG.generalizedTime
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!match) throw new DerError(`${what} is not a UTCTime or GeneralizedTime in DER form`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = element.tag === TAG.utcTime ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    throw new DerError(`${what} is not a valid date`);
  return new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
}
