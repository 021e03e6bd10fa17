import { describe, expect, it, vi } from 'vitest';
import { isAppleProtocolError } from './errors';
import { buildPlist, parsePlist, parsePlistDict } from './plist';
import { python3 } from './testing/tools';

// Python's plistlib is an independent plist implementation: it writes the fixtures we parse and reads
// what we build. The JSON below is the single source of the expected values.
const SAMPLE = {
  MessageType: 'Authenticate',
  Topic: 'com.apple.mgmt.External.2f1c',
  Unicode: '日本語 – ü',
  Count: 42,
  Negative: -7,
  Ratio: 1.5,
  Yes: true,
  No: false,
  Nested: { List: ['a', 'b'], Empty: {} },
};
const TO_XML = `
import json, plistlib, sys, datetime
v = json.load(sys.stdin)
v['When'] = datetime.datetime(2023, 8, 6, 7, 40, 58)
v['Blob'] = bytes(range(0, 40))
sys.stdout.write(plistlib.dumps(v, fmt=plistlib.FMT_XML).decode('utf-8'))
`;

function expectMalformed(fn: () => unknown, code = 'MALFORMED_PLIST') {
  try {
    fn();
  } catch (err) {
    expect(isAppleProtocolError(err), String(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return err as Error;
  }
  throw new Error('expected an AppleProtocolError');
}

describe('plist against Python plistlib', () => {
  it('parses every plist type written by plistlib', () => {
    const xml = python3(TO_XML, JSON.stringify(SAMPLE));
    const parsed = parsePlistDict(xml);
    expect(parsed).toMatchObject(SAMPLE);
    expect(parsed.When).toEqual(new Date('2023-08-06T07:40:58Z'));
    expect(Buffer.from(parsed.Blob as Uint8Array)).toEqual(
      Buffer.from(Array.from({ length: 40 }, (_, i) => i)),
    );
  });

  it('parses UTF-8 bytes as well as strings', () => {
    const xml = python3(TO_XML, JSON.stringify(SAMPLE));
    expect(parsePlistDict(Buffer.from(xml, 'utf8')).Unicode).toBe(SAMPLE.Unicode);
  });

  it('builds XML that plistlib reads back to the same value', () => {
    const xml = buildPlist({ ...SAMPLE, Blob: new Uint8Array([0, 255, 7]) });
    expect(xml).toContain('<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"');
    const back = python3(
      'import plistlib,sys,json,base64\nv=plistlib.loads(sys.stdin.buffer.read())\n' +
        "v['Blob']=base64.b64encode(v['Blob']).decode()\nprint(json.dumps(v))",
      xml,
    );
    expect(JSON.parse(back)).toEqual({ ...SAMPLE, Blob: Buffer.from([0, 255, 7]).toString('base64') });
  });

  it('refuses a binary plist (only XML is accepted on these endpoints)', () => {
    const bin = Buffer.from(
      python3(
        'import plistlib,sys,base64\nsys.stdout.write(base64.b64encode(plistlib.dumps({"A":1},fmt=plistlib.FMT_BINARY)).decode())',
      ),
      'base64',
    );
    expect(bin.subarray(0, 6).toString()).toBe('bplist');
    expect(expectMalformed(() => parsePlist(bin)).message).toMatch(/binary/);
  });
});

describe('plist malformed input', () => {
  const good =
    '<?xml version="1.0"?><plist version="1.0"><dict><key>A</key><string>x</string></dict></plist>';

  it('accepts the well-formed baseline used below', () => {
    expect(parsePlistDict(good)).toEqual({ A: 'x' });
  });

  it.each([
    ['garbage', 'not a plist at all'],
    ['empty', ''],
    ['truncated', good.slice(0, good.length - 10)],
    ['wrong root element', '<html><body/></html>'],
    ['OpenStep text', '{ A = x; }'],
    ['entity declaration', `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaa">]>${good.slice(21)}`],
    ['undefined entity reference', good.replace('>x<', '>&boom;<')],
    ['integer that does not parse', good.replace('<string>x</string>', '<integer>zz</integer>')],
    ['date that does not parse', good.replace('<string>x</string>', '<date>yesterday</date>')],
    ['bad base64 in data', good.replace('<string>x</string>', '<data>!!!</data>')],
    ['dict keys not alternating', good.replace('<string>x</string>', '<key>B</key>')],
  ])('refuses %s', (_name, input) => {
    expectMalformed(() => parsePlist(input));
  });

  it('refuses invalid UTF-8 bytes', () => {
    const bytes = Buffer.concat([
      Buffer.from(good.slice(0, 60)),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(good.slice(60)),
    ]);
    expectMalformed(() => parsePlist(bytes));
  });

  it('refuses a non-dict top level where a dict is expected, but parsePlist returns it', () => {
    const arr = '<plist version="1.0"><array><string>x</string></array></plist>';
    expect(parsePlist(arr)).toEqual(['x']);
    expect(expectMalformed(() => parsePlistDict(arr)).message).toMatch(/not a dictionary/);
  });

  it('enforces the size limit before parsing', () => {
    const big = good.replace('>x<', `>${'x'.repeat(2000)}<`);
    expectMalformed(() => parsePlist(big, { maxBytes: 1000 }), 'BODY_TOO_LARGE');
    expect(parsePlistDict(big, { maxBytes: 4000 }).A).toHaveLength(2000);
    const huge = good.replace('>x<', `>${'x'.repeat(1024 * 1024)}<`);
    expectMalformed(() => parsePlist(huge), 'BODY_TOO_LARGE');
  });

  it('writes nothing to the logs while refusing input', () => {
    const spies = (['error', 'warn', 'log'] as const).map((level) => vi.spyOn(console, level));
    expectMalformed(() => parsePlist('<plist><dict>'));
    expectMalformed(() => parsePlist(good.replace('>x<', '>&boom;<')));
    for (const spy of spies) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });
});
