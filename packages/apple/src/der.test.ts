import { describe, expect, it } from 'vitest';
import { children, DerError, MAX_DEPTH, oid, readRoot, time, validateTree } from './der';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DerError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('der reader', () => {
  it('reads definite and (where allowed) indefinite lengths, and the children of each', () => {
    const der = hex('30 06 02 01 01 04 01 ff');
    const root = readRoot(der);
    expect(children(der, root).map((c) => c.tag)).toEqual([0x02, 0x04]);
    const ber = hex('30 80 02 01 01 00 00');
    expect(readRoot(ber, { indefinite: true }).indefinite).toBe(true);
    expect(reason(() => readRoot(ber))).toMatch(/indefinite length where none is allowed/);
  });

  it.each([
    ['a padded long-form length', '04 81 01 ff', /shortest form/],
    ['a leading zero length octet', '04 82 00 81' + ' 00'.repeat(0x81), /shortest form/],
    ['five length octets', '04 85 00 00 00 00 01 ff', /length of 5 octets/],
    ['a length beyond the input', '04 05 ff', /runs past its container/],
    ['trailing bytes', '05 00 00', /trailing data/],
    ['a high tag number', '1f 81 00 00', /high tag number/],
    ['an indefinite primitive', '04 80 00 00', /indefinite length where none/],
    ['an unclosed indefinite length', '30 80 05 00', /not closed/],
    ['a stray end-of-contents', '30 02 00 00', /end-of-contents/],
    ['an empty input', '', /missing/],
  ])('refuses %s', (_, bytes, expected) => {
    const der = hex(bytes);
    expect(reason(() => children(der, readRoot(der, { indefinite: true }), { indefinite: true }))).toMatch(
      expected,
    );
  });

  it(`bounds nesting at ${MAX_DEPTH} levels (indefinite forms are read through)`, () => {
    const nest = (depth: number) =>
      Buffer.concat([Buffer.alloc(depth * 2, Buffer.from([0x30, 0x80])), Buffer.alloc(depth * 2, 0)]);
    expect(reason(() => readRoot(nest(MAX_DEPTH + 1), { indefinite: true }))).toBe('accepted');
    expect(reason(() => readRoot(nest(MAX_DEPTH + 2), { indefinite: true }))).toMatch(/deeper than/);
  });

  it.each([
    ['a primitive SEQUENCE', '10 00', /primitive form of a constructed type/],
    ['a constructed INTEGER', '22 03 02 01 01', /constructed form of a primitive type/],
    ['a BIT STRING with 8 unused bits', '03 02 08 00', /invalid unused bits/],
    ['an empty OBJECT IDENTIFIER', '06 00', /empty/],
    ['an OBJECT IDENTIFIER ending mid sub-identifier', '06 02 2a 86', /ends inside/],
    ['an OBJECT IDENTIFIER with a padded sub-identifier', '06 03 2a 80 01', /padded sub-identifier/],
    ['a UTCTime with a fraction', `17 0f ${Buffer.from('260101120000.5Z').toString('hex')}`, /DER form/],
    ['a UTCTime on month 13', `17 0d ${Buffer.from('261301120000Z').toString('hex')}`, /not a valid date/],
  ])('validateTree refuses %s', (_, bytes, expected) => {
    const der = hex(bytes);
    expect(reason(() => validateTree(der, readRoot(der)))).toMatch(expected);
  });

  it('reads OIDs and times in their DER forms', () => {
    const id = hex('06 09 2a 86 48 86 f7 0d 01 07 02');
    expect(Buffer.from(oid(id, readRoot(id), 'x')).toString('hex')).toBe('2a864886f70d010702');
    const utc = Buffer.concat([hex('17 0d'), Buffer.from('491231235959Z')]);
    expect(time(utc, readRoot(utc), 'x').toISOString()).toBe('2049-12-31T23:59:59.000Z');
    const generalized = Buffer.concat([hex('18 0f'), Buffer.from('20500101000000Z')]);
    expect(time(generalized, readRoot(generalized), 'x').toISOString()).toBe('2050-01-01T00:00:00.000Z');
  });
});
