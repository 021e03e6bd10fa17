import { describe, expect, it } from 'vitest';
import {
  type DiscoverableConfiguration,
  DiscoveryConfigError,
  discoveryAnswer,
  MODEL_FAMILIES,
} from './answer.ts';

const PUBLIC = 'https://mdm.example.net';
const ID = '01JCONFIGDISCOVERYIDXXXXXXXXXXXXXX';
const user: DiscoverableConfiguration = {
  discoveryId: ID,
  enrollmentType: 'USER',
  enabled: true,
  domains: ['example.com', 'xn--bcher-kva.example'],
};
const device: DiscoverableConfiguration = { ...user, enrollmentType: 'DEVICE' };
const alice = { userIdentifier: 'alice@example.com', modelFamily: 'iPhone' };

describe('discoveryAnswer: success (TV-1, TV-2)', () => {
  it('answers USER with one mdm-byod server at …/userenroll', () => {
    expect(discoveryAnswer(user, alice, PUBLIC)).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: {
        Servers: [
          { Version: 'mdm-byod', BaseURL: `${PUBLIC}/mdm/enrollment/servicediscovery/${ID}/userenroll` },
        ],
      },
    });
  });

  it('answers DEVICE with one mdm-adde server at …/deviceenroll', () => {
    const answer = discoveryAnswer(device, { ...alice, modelFamily: 'Mac' }, `${PUBLIC}/`);
    expect(answer.body).toEqual({
      Servers: [
        { Version: 'mdm-adde', BaseURL: `${PUBLIC}/mdm/enrollment/servicediscovery/${ID}/deviceenroll` },
      ],
    });
  });

  it.each(['iPhone', 'iPad', 'Mac', 'RealityDevice'])('lets %s enroll either way', (modelFamily) => {
    for (const config of [user, device]) {
      expect(discoveryAnswer(config, { ...alice, modelFamily }, PUBLIC).status).toBe(200);
    }
  });

  it('matches domains case-insensitively and in punycode (the device sends what the person typed)', () => {
    for (const userIdentifier of ['Alice@EXAMPLE.COM', 'bob@bücher.example', 'a@b@example.com']) {
      expect(discoveryAnswer(user, { ...alice, userIdentifier }, PUBLIC).status).toBe(200);
    }
  });

  it('builds BaseURL under a base path and on the local runtime', () => {
    const local = discoveryAnswer(user, alice, 'http://127.0.0.1:4000');
    expect(local.status === 200 && local.body.Servers[0].BaseURL).toBe(
      `http://127.0.0.1:4000/mdm/enrollment/servicediscovery/${ID}/userenroll`,
    );
    const staged = discoveryAnswer(user, alice, 'https://api.example.net/prod/');
    expect(staged.status === 200 && staged.body.Servers[0].BaseURL).toMatch(
      /^https:\/\/api\.example\.net\/prod\/mdm\//,
    );
  });
});

describe('discoveryAnswer: refusals (TV-3)', () => {
  const cases: [string, DiscoverableConfiguration | null, Record<string, string | null>, string][] = [
    ['unknown configuration', null, alice, 'NOT_AVAILABLE'],
    ['disabled configuration', { ...user, enabled: false }, alice, 'NOT_AVAILABLE'],
    ['no user-identifier', user, { modelFamily: 'iPhone' }, 'IDENTIFIER_INVALID'],
    ['null user-identifier', user, { ...alice, userIdentifier: null }, 'IDENTIFIER_INVALID'],
    ['identifier without @', user, { ...alice, userIdentifier: 'alice' }, 'IDENTIFIER_INVALID'],
    ['identifier with empty name', user, { ...alice, userIdentifier: '@example.com' }, 'IDENTIFIER_INVALID'],
    ['identifier with an IP', user, { ...alice, userIdentifier: 'a@192.0.2.1' }, 'IDENTIFIER_INVALID'],
    ['other domain', user, { ...alice, userIdentifier: 'eve@example.org' }, 'DOMAIN_NOT_SERVED'],
    ['subdomain', user, { ...alice, userIdentifier: 'eve@sub.example.com' }, 'DOMAIN_NOT_SERVED'],
    ['no model-family', user, { userIdentifier: 'alice@example.com' }, 'MODEL_FAMILY_MISSING'],
    ['empty model-family', device, { ...alice, modelFamily: '' }, 'MODEL_FAMILY_MISSING'],
    ['AppleTV, user', user, { ...alice, modelFamily: 'AppleTV' }, 'MODEL_FAMILY_NOT_ALLOWED'],
    ['AppleTV, device', device, { ...alice, modelFamily: 'AppleTV' }, 'MODEL_FAMILY_NOT_ALLOWED'],
    ['Watch, user', user, { ...alice, modelFamily: 'Watch' }, 'MODEL_FAMILY_NOT_ALLOWED'],
    ['Watch, device', device, { ...alice, modelFamily: 'Watch' }, 'MODEL_FAMILY_NOT_ALLOWED'],
    ['unknown family', user, { ...alice, modelFamily: '<script>' }, 'MODEL_FAMILY_NOT_ALLOWED'],
    ['family in wrong case', user, { ...alice, modelFamily: 'iphone' }, 'MODEL_FAMILY_NOT_ALLOWED'],
  ];

  it.each(cases)('%s → 403 %s', (_name, config, query, reason) => {
    const answer = discoveryAnswer(config, query, PUBLIC);
    expect(answer).toMatchObject({ status: 403, headers: { 'content-type': 'application/json' }, reason });
    if (answer.status !== 403) return;
    expect(Object.keys(answer.body)).toEqual(['code', 'description', 'message']);
    expect(answer.body.code).toBe('com.apple.well-known.failed');
    // Readable, and never internals: no ids, no configured domains, no echo of unknown input.
    for (const text of [answer.body.message, answer.body.description]) {
      expect(text.length).toBeGreaterThan(20);
      expect(text).not.toContain(ID);
      expect(text).not.toContain('bcher');
      expect(text).not.toContain('<script>');
    }
    expect(answer.body.message).not.toMatch(/model-family|user-identifier|configuration/);
  });

  it('says the same for unknown and disabled, so a probe learns nothing', () => {
    expect(discoveryAnswer(null, alice, PUBLIC)).toEqual(
      discoveryAnswer({ ...user, enabled: false }, alice, PUBLIC),
    );
  });

  it('tells the person what to do', () => {
    const tv = discoveryAnswer(user, { ...alice, modelFamily: 'AppleTV' }, PUBLIC);
    expect(tv.status === 403 && tv.body.message).toMatch(/iPhone, iPad, Mac or Apple Vision Pro/);
    const typo = discoveryAnswer(user, { ...alice, userIdentifier: 'alice' }, PUBLIC);
    expect(typo.status === 403 && typo.body.message).toMatch(/name@company\.com/);
  });

  it('knows exactly Apple’s six model families', () => {
    expect([...MODEL_FAMILIES].sort()).toEqual([
      'AppleTV',
      'Mac',
      'RealityDevice',
      'Watch',
      'iPad',
      'iPhone',
    ]);
  });
});

describe('discoveryAnswer: publicUrl', () => {
  it.each([
    'http://mdm.example.net',
    'http://10.0.0.5:4000',
    'ftp://mdm.example.net',
    'not a url',
    'https://user:pw@mdm.example.net',
    'https://mdm.example.net/?x=1',
    'https://mdm.example.net/#x',
    'https://mdm.example.net/a%20b',
  ])('refuses %s with a configuration error, even when refusing the device', (publicUrl) => {
    expect(() => discoveryAnswer(user, alice, publicUrl)).toThrowError(DiscoveryConfigError);
    expect(() => discoveryAnswer(null, alice, publicUrl)).toThrowError(DiscoveryConfigError);
  });

  it('explains the https rule', () => {
    expect(() => discoveryAnswer(user, alice, 'http://mdm.example.net')).toThrowError(
      /must use https.*localhost/,
    );
  });

  it('refuses a discoveryId that is not URL-safe', () => {
    expect(() => discoveryAnswer({ ...user, discoveryId: '../x' }, alice, PUBLIC)).toThrowError(
      DiscoveryConfigError,
    );
  });
});
