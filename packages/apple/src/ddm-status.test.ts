import { describe, expect, it } from 'vitest';
import { MAX_STATUS_REPORT_BYTES, parseStatusReport } from './ddm-status.ts';
import { schemaKeys, statusItemKeys, validateShape } from './schema/protocol-schema.ts';
import { errorCode } from './testing/tools.ts';

/** A report shaped like a device's after installing one configuration and refusing another. */
const report = {
  StatusItems: {
    device: { 'operating-system': { version: '18.2' } },
    management: {
      declarations: {
        activations: [{ identifier: 'act', 'server-token': 'a1', active: true, valid: 'valid' }],
        configurations: [
          { identifier: 'update', 'server-token': 'c1', active: true, valid: 'valid' },
          {
            identifier: 'passkey',
            'server-token': 'c2',
            active: false,
            valid: 'invalid',
            reasons: [
              {
                code: 'Error.ConfigurationNotSupported',
                description: 'Not supported on this enrollment type.',
                details: { Identifier: 'passkey', ServerToken: 'c2' },
              },
            ],
          },
        ],
        assets: [],
        management: [],
      },
    },
  },
  Errors: [],
  FullReport: true,
};
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseStatusReport', () => {
  it('the sample matches statusreport.yaml and management.declarations.yaml', () => {
    expect(
      validateShape(report, schemaKeys('declarative/protocol/statusreport.yaml'), 'StatusReport'),
    ).toEqual([]);
    const [item] = statusItemKeys('management.declarations')!;
    expect(validateShape(report.StatusItems.management.declarations, item!.subkeys!, item!.key)).toEqual([]);
  });

  it('flattens management.declarations, kind by kind', () => {
    const parsed = parseStatusReport(bytes(report));
    expect(parsed.fullReport).toBe(true);
    expect(parsed.raw).toEqual(report);
    expect(parsed.declarations).toEqual([
      { kind: 'activation', identifier: 'act', serverToken: 'a1', active: true, valid: 'valid', reasons: [] },
      {
        kind: 'configuration',
        identifier: 'update',
        serverToken: 'c1',
        active: true,
        valid: 'valid',
        reasons: [],
      },
      {
        kind: 'configuration',
        identifier: 'passkey',
        serverToken: 'c2',
        active: false,
        valid: 'invalid',
        reasons: [
          {
            code: 'Error.ConfigurationNotSupported',
            description: 'Not supported on this enrollment type.',
            details: { Identifier: 'passkey', ServerToken: 'c2' },
          },
        ],
      },
    ]);
  });

  it('an incremental report without declarations is valid and says so', () => {
    const parsed = parseStatusReport(bytes({ StatusItems: { device: {} }, Errors: [] }));
    expect(parsed).toMatchObject({ declarations: [], fullReport: false });
  });

  it('throws MALFORMED_MDM_MESSAGE naming what is wrong', () => {
    const withItem = (item: unknown) => ({
      StatusItems: { management: { declarations: { configurations: [item] } } },
      Errors: [],
    });
    const good = report.StatusItems.management.declarations.configurations[1]!;
    const cases: Array<[unknown, RegExp]> = [
      [[], /not a JSON object/],
      [{ Errors: [] }, /StatusItems must be an object/],
      [{ StatusItems: {}, Errors: {} }, /Errors must be an array/],
      [{ StatusItems: {}, FullReport: 'yes' }, /FullReport must be a boolean/],
      [{ StatusItems: { management: { declarations: { assets: {} } } } }, /assets must be an array/],
      [withItem({ ...good, active: 'true' }), /configurations\[0\]\.active must be a boolean/],
      [withItem({ ...good, valid: 'maybe' }), /valid must be one of valid, invalid, unknown/],
      [withItem({ ...good, identifier: '' }), /identifier must be a non-empty string/],
      [withItem({ ...good, 'server-token': 1 }), /server-token must be a string/],
      [withItem({ ...good, reasons: [{ description: 'x' }] }), /reasons\[0\]\.code/],
      [withItem({ ...good, reasons: [{ code: 'E', details: 'x' }] }), /details must be an object/],
    ];
    for (const [value, message] of cases) {
      expect(
        errorCode(() => parseStatusReport(bytes(value))),
        String(message),
      ).toBe('MALFORMED_MDM_MESSAGE');
      expect(() => parseStatusReport(bytes(value))).toThrow(message);
    }
    expect(errorCode(() => parseStatusReport(Buffer.from('{"StatusItems":')))).toBe('MALFORMED_MDM_MESSAGE');
    expect(errorCode(() => parseStatusReport(Buffer.from([0xff, 0xfe])))).toBe('MALFORMED_MDM_MESSAGE');
  });

  it('refuses reports over the size limit before parsing', () => {
    expect(errorCode(() => parseStatusReport(Buffer.alloc(MAX_STATUS_REPORT_BYTES + 1, 0x20)))).toBe(
      'BODY_TOO_LARGE',
    );
  });
});
