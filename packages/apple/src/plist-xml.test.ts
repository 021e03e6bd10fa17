/**
 * plist-xml.ts against the `plist` package (xmldom and xmlbuilder), which read and wrote every
 * property list here before: the same bytes written and the same values read, on generated values
 * and on hand-written XML; then everything the strict reader refuses and the `plist` package let by.
 */
import { build as referenceBuild, parse as referenceParse } from 'plist';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, PlistSyntaxError, type PlistValue, readXmlPlist, writeXmlPlist } from './plist-xml';

/** Deterministic generator (mulberry32), so a failure names the seed that made it. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'a',
  'Z',
  ' ',
  '&',
  '<',
  '>',
  '"',
  "'",
  '\n',
  '\r',
  '\t',
  ']]>',
  '&amp;',
  'é',
  '日本',
  '😀',
  '=',
  '/',
];

function generate(next: () => number, depth = 0): PlistValue | undefined | null {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const text = () => Array.from({ length: Math.floor(next() * 6) }, () => pick(PIECES)).join('');
  const kind = Math.floor(next() * (depth >= 5 ? 7 : 9));
  switch (kind) {
    case 0:
      return text();
    case 1:
      return pick([0, -0, 1, -7, 42, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e20, 1.5, -0.25, 1e-7, 0.1]);
    case 2:
      return Math.floor(next() * 2 ** 40) - 2 ** 39;
    case 3:
      return next() < 0.5;
    case 4:
      return new Date(Math.floor(next() * 4e12));
    case 5:
      return new Uint8Array(Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 256)));
    case 6:
      return pick([null, undefined, '']);
    case 7:
      return Array.from({ length: Math.floor(next() * 5) }, () => generate(next, depth + 1)) as PlistValue[];
    default: {
      const dict: Record<string, PlistValue | undefined | null> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) dict[text()] = generate(next, depth + 1);
      return dict as PlistValue;
    }
  }
}

const outcome = <T>(fn: () => T): { value: T } | { error: string } => {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('plist-xml against the plist package', () => {
  it('writes byte for byte what the plist package writes, for 3,000 generated values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = generate(random(seed)) as PlistValue;
      expect(
        outcome(() => writeXmlPlist(value)),
        `seed ${seed}`,
      ).toEqual(outcome(() => referenceBuild(value)));
    }
  });

  it('reads what it writes back to the value the plist package reads', () => {
    let compared = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const value = generate(random(seed), 1) as PlistValue;
      if (value === null || value === undefined) continue;
      const xml = referenceBuild(value);
      expect(readXmlPlist(xml), `seed ${seed}: ${xml}`).toEqual(referenceParse(xml));
      compared++;
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it('reads a string of 200,000 references in one pass, not one scan of the rest per reference', () => {
    const xml = `<plist><string>${'&amp;'.repeat(200_000)}</string></plist>`;
    expect(readXmlPlist(xml)).toBe('&'.repeat(200_000));
  });

  it('refuses, as xmlbuilder does, characters XML 1.0 cannot carry', () => {
    for (const bad of ['\u0000', '\u0001', '\u000b', '\ufffe', '\ud800', 'a\udc00b']) {
      expect(outcome(() => writeXmlPlist({ Value: bad }))).toMatchObject({
        error: expect.stringContaining('Invalid character'),
      });
      expect(outcome(() => referenceBuild({ Value: bad }))).toMatchObject({
        error: expect.stringContaining('Invalid character'),
      });
    }
  });

  it('refuses to write numbers a property list cannot hold, which the plist package wrote as garbage', () => {
    for (const number of [Number.NaN, Number.POSITIVE_INFINITY, -1e21, 1e21, 2 ** 80]) {
      expect(outcome(() => writeXmlPlist({ N: number }))).toEqual({
        error: `${number} cannot be written in a property list`,
      });
      const written = referenceBuild({ N: number });
      expect(
        outcome(() => readXmlPlist(written)),
        written,
      ).toHaveProperty('error');
    }
  });

  it.each([
    [
      'comments, CDATA and blanks anywhere they are allowed',
      `<?xml version='1.0' encoding='UTF-8' ?>\n<!-- made by hand -->\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist  version = "1.0" >\n<dict>\n\t<!-- a comment between entries -->\n\t<key>A</key>\n\t<string>x<![CDATA[<&>]]>y<!-- inside -->z</string>\n\t<key>B</key>\n\t<true></true>\n\t<key>C</key>\n\t<array>\n\t\t<integer> 12 </integer>\n\t\t<real>-1.5e3</real>\n\t\t<data>\n\t\t\tAAEC\n\t\t\tAwQ=\n\t\t</data>\n\t</array>\n</dict>\n</plist>\n<!-- trailing -->\n`,
    ],
    [
      'CR LF line endings, and a carriage return written as a reference',
      '<plist version="1.0">\r\n<dict>\r\n<key>Text</key>\r\n<string>one\r\ntwo&#13;three&#x1F600;&#233;</string>\r\n</dict>\r\n</plist>\r\n',
    ],
    [
      'an empty key, string and data',
      '<plist><dict><key/><string></string><key>D</key><data/></dict></plist>',
    ],
    ['every predefined entity', '<plist><string>&lt;&gt;&amp;&quot;&apos;</string></plist>'],
  ])('reads %s as the plist package does', (_name, xml) => {
    expect(readXmlPlist(xml)).toEqual(referenceParse(xml));
  });
});

describe('plist-xml refuses', () => {
  const wrap = (inner: string) => `<?xml version="1.0"?><plist version="1.0">${inner}</plist>`;

  it.each([
    ['no root element', '<?xml version="1.0"?>', /an element was expected/],
    ['a root other than <plist>', '<dict/>', /root element is <dict>/],
    ['an empty <plist>', '<plist/>', /holds no value/],
    ['a <plist> with nothing inside', '<plist> </plist>', /holds no value/],
    ['two values in <plist>', wrap('<true/><false/>'), /more than one value/],
    ['content after </plist>', `${wrap('<true/>')}<true/>`, /content after/],
    ['text between elements', wrap('<dict>stray<key>A</key><true/></dict>'), /text outside/],
    ['a key without a value', wrap('<dict><key>A</key></dict>'), /has no value/],
    ['a value without a key', wrap('<dict><string>x</string></dict>'), /needs a <key>/],
    ['the same key twice', wrap('<dict><key>A</key><true/><key>A</key><false/></dict>'), /twice/],
    ['a __proto__ key', wrap('<dict><key>__proto__</key><dict/></dict>'), /__proto__/],
    ['a <key> where a value belongs', wrap('<array><key>A</key></array>'), /<key> outside/],
    ['an element the DTD does not have', wrap('<null/>'), /not a property list element/],
    ['an element inside a <string>', wrap('<string>a<b/>c</string>'), /holds an element/],
    ['content in <true>', wrap('<true>yes</true>'), /has content/],
    ['a mismatched end tag', wrap('<array></dict>'), /closes <array>/],
    ['an unclosed element', '<plist><string>x', /<string> is not closed/],
    ['an unclosed container', '<plist><dict><key>A</key><true/>', /<dict> is not closed/],
    ['an unclosed root', '<plist><array/>', /<plist> is not closed/],
    ['an unterminated comment', wrap('<!-- forever'), /unterminated a comment/],
    ['an unterminated CDATA section', wrap('<string><![CDATA[x'), /unterminated CDATA/],
    ['an internal DTD subset', `<!DOCTYPE plist [<!ENTITY a "b">]>${wrap('<true/>')}`, /internal DTD subset/],
    ['two DOCTYPEs', `<!DOCTYPE plist><!DOCTYPE plist>${wrap('<true/>')}`, /second DOCTYPE/],
    ['an undefined entity', wrap('<string>&nbsp;</string>'), /undefined entity &nbsp;/],
    ['an entity named like an object property', wrap('<string>&toString;</string>'), /undefined entity/],
    ['a bare ampersand', wrap('<string>a & b</string>'), /bare "&"/],
    ['a reference to NUL', wrap('<string>&#0;</string>'), /names no character/],
    ['a reference to a surrogate', wrap('<string>&#xD800;</string>'), /names no character/],
    ['a reference beyond Unicode', wrap('<string>&#x110000;</string>'), /names no character/],
    ['a malformed reference', wrap('<string>&#12a;</string>'), /names no character/],
    ['an unquoted attribute', '<plist version=1.0><true/></plist>', /unquoted attribute/],
    ['an attribute without a value', '<plist version><true/></plist>', /without a value/],
    ['a malformed tag', wrap('<array/ >'), /malformed <array> tag/],
    ['an integer with trailing text', wrap('<integer>12abc</integer>'), /not a decimal integer/],
    ['an empty integer', wrap('<integer/>'), /not a decimal integer/],
    ['a hexadecimal integer', wrap('<integer>0x10</integer>'), /not a decimal integer/],
    ['a real that does not parse', wrap('<real>1.2.3</real>'), /not a number/],
    ['a real named NaN', wrap('<real>nan</real>'), /not a number/],
    ['a date without its zone', wrap('<date>2024-01-02T03:04:05</date>'), /not an ISO 8601 UTC date/],
    ['a date that does not exist', wrap('<date>2024-13-45T03:04:05Z</date>'), /not an ISO 8601 UTC date/],
    ['base64 with a foreign character', wrap('<data>AA!A</data>'), /not base64/],
    ['base64 one character short', wrap('<data>AAAAA</data>'), /not base64/],
    ['base64 padding in the middle', wrap('<data>AA==AAAA</data>'), /not base64/],
  ])('%s', (_name, xml, reason) => {
    const error = outcome(() => readXmlPlist(xml));
    expect(error).toMatchObject({ error: expect.stringMatching(reason) });
    try {
      readXmlPlist(xml);
    } catch (e) {
      expect(e).toBeInstanceOf(PlistSyntaxError);
      expect((e as PlistSyntaxError).offset).toBeGreaterThanOrEqual(0);
      expect((e as PlistSyntaxError).offset).toBeLessThanOrEqual(xml.length);
    }
  });

  it(`nesting deeper than ${MAX_DEPTH}, without touching the stack limit however deep it goes`, () => {
    const nested = (levels: number) => wrap(`${'<array>'.repeat(levels)}${'</array>'.repeat(levels)}`);
    expect(outcome(() => readXmlPlist(nested(MAX_DEPTH)))).toHaveProperty('value');
    expect(outcome(() => readXmlPlist(nested(MAX_DEPTH + 1)))).toMatchObject({
      error: expect.stringContaining(`nested more than ${MAX_DEPTH} deep`),
    });
    // 200,000 levels: the plist package recursed once per level here.
    expect(outcome(() => readXmlPlist(nested(200_000)))).toMatchObject({
      error: expect.stringContaining('nested more than'),
    });
  });
});
