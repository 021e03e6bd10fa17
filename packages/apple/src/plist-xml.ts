/**
 * Apple's XML property list format (`PropertyList-1.0.dtd`), read and written without an XML DOM.
 *
 * Reading is strict: one `<plist>` root holding exactly one value, only the DTD's elements, keys and
 * values alternating in a `<dict>` and no key twice, nothing but blanks and comments between elements,
 * the five predefined entities and character references only, no internal DTD subset, numbers, dates
 * and base64 that parse in full, and at most MAX_DEPTH levels of nesting. Anything else throws
 * PlistSyntaxError with the reason and the offset; plist.ts turns it into MALFORMED_PLIST.
 *
 * Writing produces byte for byte what the `plist` package writes (xmlbuilder's pretty output, two
 * spaces per level), which profiles, commands and their signatures were built with until now; the
 * tests hold both to that on generated values. It throws, where the `plist` package wrote something
 * no reader takes back, for numbers that have no property list form.
 */

export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | PlistDict | null;
export type PlistDict = { [key: string]: PlistValue };

/** Deeper nesting is refused: Apple's own payloads stay within a dozen levels. */
export const MAX_DEPTH = 64;

export class PlistSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} (at character ${offset})`);
    this.name = 'PlistSyntaxError';
  }
}

const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const BLANK = /[ \t\n]*/y;
const MARKUP = /[<&]/g;
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface StartTag {
  name: string;
  /** `<name/>`: no content and no end tag. */
  empty: boolean;
  offset: number;
}

/** Reads an XML property list (text already decoded) into its value. */
export function readXmlPlist(xml: string): PlistValue {
  return new Reader(xml).document();
}

class Reader {
  private readonly s: string;
  private pos = 0;

  constructor(xml: string) {
    // XML 1.0 §2.11: a parser hands CR LF and lone CR over as LF (&#13; still gives CR).
    this.s = xml.replace(/\r\n?/g, '\n');
  }

  document(): PlistValue {
    this.prolog();
    const root = this.startTag();
    if (root.name !== 'plist') this.fail(`the root element is <${root.name}>, not <plist>`, root.offset);
    let value: PlistValue | undefined;
    this.children(root, () => {
      if (value !== undefined) this.fail('<plist> holds more than one value');
      value = this.value(1);
    });
    if (value === undefined) this.fail('<plist> holds no value', root.offset);
    this.misc();
    if (this.pos < this.s.length) this.fail('there is content after </plist>');
    return value;
  }

  /** The XML declaration, comments, processing instructions and one DOCTYPE, before the root. */
  private prolog() {
    let doctype = false;
    for (;;) {
      this.misc();
      if (!this.at('<!DOCTYPE')) return;
      if (doctype) this.fail('a second DOCTYPE');
      doctype = true;
      this.doctype();
    }
  }

  /** Blanks, comments and processing instructions. */
  private misc() {
    for (;;) {
      this.blank();
      if (this.at('<!--')) this.comment();
      else if (this.at('<?')) this.skipPast('?>', 'a processing instruction');
      else return;
    }
  }

  /** Between elements inside a container: blanks and comments only. */
  private between() {
    for (;;) {
      this.blank();
      if (this.at('<!--')) this.comment();
      else if (this.pos < this.s.length && this.s[this.pos] !== '<')
        this.fail('text outside a <string>, <key> or value element');
      else return;
    }
  }

  private doctype() {
    const start = this.pos;
    this.pos += '<!DOCTYPE'.length;
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (c === '>') {
        this.pos++;
        return;
      }
      if (c === '[') this.fail('an internal DTD subset (entity declarations are not allowed)');
      if (c === '"' || c === "'") {
        const close = this.s.indexOf(c, this.pos + 1);
        if (close < 0) break;
        this.pos = close + 1;
      } else this.pos++;
    }
    this.fail('an unterminated DOCTYPE', start);
  }

  private comment() {
    this.skipPast('-->', 'a comment');
  }

  private value(depth: number): PlistValue {
    if (depth > MAX_DEPTH) this.fail(`values nested more than ${MAX_DEPTH} deep`);
    const tag = this.startTag();
    switch (tag.name) {
      case 'dict':
        return this.dict(tag, depth);
      case 'array':
        return this.array(tag, depth);
      case 'string':
        return this.text(tag);
      case 'integer': {
        const text = this.text(tag).trim();
        if (!INTEGER.test(text))
          this.fail(`<integer> "${text.slice(0, 40)}" is not a decimal integer`, tag.offset);
        return Number(text);
      }
      case 'real': {
        const text = this.text(tag).trim();
        if (!REAL.test(text)) this.fail(`<real> "${text.slice(0, 40)}" is not a number`, tag.offset);
        return Number(text);
      }
      case 'date': {
        const text = this.text(tag).trim();
        const date = new Date(text);
        if (!DATE.test(text) || Number.isNaN(date.getTime()))
          this.fail(`<date> "${text.slice(0, 40)}" is not an ISO 8601 UTC date`, tag.offset);
        return date;
      }
      case 'data': {
        const base64 = this.text(tag).replace(/[ \t\n]+/g, '');
        const padded = base64.includes('=');
        if (!BASE64.test(base64) || base64.length % 4 === 1 || (padded && base64.length % 4 !== 0))
          this.fail('<data> is not base64', tag.offset);
        return new Uint8Array(Buffer.from(base64, 'base64'));
      }
      case 'true':
      case 'false':
        if (!tag.empty && this.text(tag).trim() !== '') this.fail(`<${tag.name}> has content`, tag.offset);
        return tag.name === 'true';
      case 'key':
        return this.fail('a <key> outside a <dict> or where a value belongs', tag.offset);
      default:
        return this.fail(`<${tag.name}> is not a property list element`, tag.offset);
    }
  }

  private dict(tag: StartTag, depth: number): PlistDict {
    const dict: PlistDict = {};
    this.children(tag, () => {
      const keyTag = this.startTag();
      if (keyTag.name !== 'key') this.fail(`<${keyTag.name}> where a <dict> needs a <key>`, keyTag.offset);
      const key = this.text(keyTag);
      if (key === '__proto__') this.fail('a "__proto__" key', keyTag.offset);
      if (Object.hasOwn(dict, key))
        this.fail(`the key "${key.slice(0, 40)}" twice in one <dict>`, keyTag.offset);
      this.between();
      if (this.at('</')) this.fail(`the key "${key.slice(0, 40)}" has no value`);
      dict[key] = this.value(depth + 1);
    });
    return dict;
  }

  private array(tag: StartTag, depth: number): PlistValue[] {
    const array: PlistValue[] = [];
    this.children(tag, () => array.push(this.value(depth + 1)));
    return array;
  }

  /** A container's content up to its end tag: `read` takes each child, blanks and comments between. */
  private children(tag: StartTag, read: () => void) {
    if (tag.empty) return;
    for (;;) {
      this.between();
      if (this.pos >= this.s.length) this.fail(`<${tag.name}> is not closed`, tag.offset);
      if (this.at('</')) return this.endTag(tag.name);
      read();
    }
  }

  /** The character data of a leaf element (text, references, CDATA; comments skipped) and its end tag. */
  private text(tag: StartTag): string {
    if (tag.empty) return '';
    let text = '';
    for (;;) {
      // One scan to the next "<" or "&", so the whole text is read in linear time.
      MARKUP.lastIndex = this.pos;
      const next = MARKUP.exec(this.s)?.index ?? -1;
      if (next < 0) this.fail(`<${tag.name}> is not closed`, tag.offset);
      text += this.s.slice(this.pos, next);
      this.pos = next;
      if (this.s[next] === '&') text += this.reference();
      else if (this.at('<![CDATA[')) {
        const end = this.s.indexOf(']]>', this.pos);
        if (end < 0) this.fail('an unterminated CDATA section');
        text += this.s.slice(this.pos + '<![CDATA['.length, end);
        this.pos = end + 3;
      } else if (this.at('<!--')) this.comment();
      else if (this.at('</')) {
        this.endTag(tag.name);
        return text;
      } else this.fail(`<${tag.name}> holds an element`);
    }
  }

  private reference(): string {
    const start = this.pos;
    const semicolon = this.s.slice(start, start + 12).indexOf(';');
    if (semicolon < 0) this.fail('a bare "&" (write &amp;)');
    const end = start + semicolon;
    const name = this.s.slice(start + 1, end);
    this.pos = end + 1;
    if (name[0] !== '#') {
      if (!Object.hasOwn(PREDEFINED_ENTITIES, name)) this.fail(`the undefined entity &${name};`, start);
      return PREDEFINED_ENTITIES[name]!;
    }
    const hex = name[1] === 'x';
    const digits = name.slice(hex ? 2 : 1);
    const code =
      /^[0-9a-fA-F]+$/.test(digits) && (hex || /^\d+$/.test(digits)) ? parseInt(digits, hex ? 16 : 10) : NaN;
    if (!(code >= 1 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff))
      this.fail(`the character reference &${name}; names no character`, start);
    return String.fromCodePoint(code);
  }

  private startTag(): StartTag {
    const offset = this.pos;
    if (this.s[this.pos] !== '<') this.fail('an element was expected');
    this.pos++;
    const name = this.name();
    for (;;) {
      const blank = this.blank();
      if (this.at('/>')) {
        this.pos += 2;
        return { name, empty: true, offset };
      }
      if (this.at('>')) {
        this.pos++;
        return { name, empty: false, offset };
      }
      if (!blank) this.fail(`a malformed <${name}> tag`, offset);
      this.attribute();
    }
  }

  /** An attribute (`version="1.0"` on <plist>): checked for form, its value not used. */
  private attribute() {
    this.name();
    this.blank();
    if (this.s[this.pos] !== '=') this.fail('an attribute without a value');
    this.pos++;
    this.blank();
    const quote = this.s[this.pos];
    if (quote !== '"' && quote !== "'") this.fail('an unquoted attribute value');
    const close = this.s.indexOf(quote, this.pos + 1);
    if (close < 0 || this.s.slice(this.pos + 1, close).includes('<'))
      this.fail('a malformed attribute value');
    this.pos = close + 1;
  }

  private endTag(name: string) {
    const offset = this.pos;
    this.pos += 2;
    const closing = this.name();
    this.blank();
    if (this.s[this.pos] !== '>') this.fail(`a malformed </${closing}> tag`, offset);
    this.pos++;
    if (closing !== name) this.fail(`</${closing}> closes <${name}>`, offset);
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.s);
    if (!match) this.fail('an element or attribute name was expected');
    this.pos = NAME.lastIndex;
    return match[0];
  }

  /** Skips blanks; true if there were any. */
  private blank(): boolean {
    BLANK.lastIndex = this.pos;
    BLANK.exec(this.s);
    const moved = BLANK.lastIndex > this.pos;
    this.pos = BLANK.lastIndex;
    return moved;
  }

  private skipPast(end: string, what: string) {
    const at = this.s.indexOf(end, this.pos);
    if (at < 0) this.fail(`an unterminated ${what}`);
    this.pos = at + end.length;
  }

  private at(text: string): boolean {
    return this.s.startsWith(text, this.pos);
  }

  private fail(reason: string, offset = this.pos): never {
    throw new PlistSyntaxError(reason, offset);
  }
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

/** Characters XML 1.0 cannot carry at all (not even as references); xmlbuilder refuses them too. */
const ILLEGAL_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
  /[\0-\x08\x0B\f\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/**
 * Writes `value` as an XML property list. Entries whose value is null or undefined are left out of
 * a `<dict>` (and null out of an `<array>`), as the `plist` package does; a number is an `<integer>`
 * when it is whole, a `<real>` otherwise. NaN, infinities and whole numbers of 1e21 or more (which
 * JavaScript prints in exponent form) throw.
 */
export function writeXmlPlist(value: PlistValue | undefined): string {
  const body = element(value, 1);
  return body === undefined
    ? `${HEADER}<plist version="1.0"/>`
    : `${HEADER}<plist version="1.0">\n${body}</plist>`;
}

function element(value: unknown, depth: number): string | undefined {
  const indent = '  '.repeat(depth);
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => element(item, depth + 1)).join('');
    return items ? `${indent}<array>\n${items}${indent}</array>\n` : `${indent}<array/>\n`;
  }
  if (value instanceof ArrayBuffer) return leaf(indent, 'data', Buffer.from(value).toString('base64'));
  if (ArrayBuffer.isView(value))
    return leaf(
      indent,
      'data',
      Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    );
  if (value instanceof Date) return leaf(indent, 'date', value.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (typeof value === 'object') {
    let entries = '';
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || item === null) continue;
      entries += leaf(`${indent}  `, 'key', escapeText(key)) + (element(item, depth + 1) ?? '');
    }
    return entries ? `${indent}<dict>\n${entries}${indent}</dict>\n` : `${indent}<dict/>\n`;
  }
  if (typeof value === 'number') {
    // The `plist` package writes these as <real>NaN</real> or <integer>1e+21</integer>, which no
    // property list reader takes back as the number.
    if (!Number.isFinite(value) || (value % 1 === 0 && Math.abs(value) >= 1e21))
      throw new Error(`${value} cannot be written in a property list`);
    return leaf(indent, value % 1 === 0 ? 'integer' : 'real', value.toString());
  }
  if (typeof value === 'bigint') return leaf(indent, 'integer', value.toString());
  if (typeof value === 'boolean') return `${indent}<${value}/>\n`;
  if (typeof value === 'string') return leaf(indent, 'string', escapeText(value));
  return undefined;
}

/** One line: `<name>text</name>`, or `<name/>` when the text is empty. */
function leaf(indent: string, name: string, text: string): string {
  return text === '' ? `${indent}<${name}/>\n` : `${indent}<${name}>${text}</${name}>\n`;
}

function escapeText(text: string): string {
  const illegal = ILLEGAL_CHARACTER.exec(text);
  if (illegal) throw new Error(`Invalid character in string: ${text} at index ${illegal.index}`);
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}
