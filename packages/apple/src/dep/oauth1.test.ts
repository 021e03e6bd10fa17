/**
 * OAuth 1.0a signing against published vectors: if the encoding, sorting, base string or key were wrong,
 * these signatures (computed by other people, years ago) would not match.
 */
import { describe, expect, it } from 'vitest';
import {
  appleSessionAuthorization,
  hmacSha1Signature,
  oauthAuthorizationHeader,
  percentEncode,
  signatureBaseString,
} from './oauth1';

describe('percentEncode (RFC 5849 §3.6)', () => {
  it('keeps unreserved characters and encodes everything else with upper-case hex', () => {
    expect(percentEncode('AZaz09-._~')).toBe('AZaz09-._~');
    expect(percentEncode("Ladies + Gentlemen, !'()*")).toBe('Ladies%20%2B%20Gentlemen%2C%20%21%27%28%29%2A');
    expect(percentEncode('☃/=&')).toBe('%E2%98%83%2F%3D%26');
  });
});

describe('RFC 5849 vectors', () => {
  it('§3.4.1.1: builds the documented base string (query, body, repeated names, empty values)', () => {
    const base = signatureBaseString('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', [
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['c2', ''],
      ['a3', '2 q'],
    ]);
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('§1.2: signs the photos request to MdpQcU8iPSUjWoN/UDMsK2sui9I=', () => {
    const header = oauthAuthorizationHeader({
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
      consumerKey: 'dpf43f3p2l4k3l03',
      consumerSecret: 'kd94hf93k423kf44',
      token: 'nnch734d00sl2jdk',
      tokenSecret: 'pfkkdhi9sl3r4s00',
      timestamp: '137131202',
      nonce: 'chapoH',
      realm: 'Photos',
    });
    expect(header).toBe(
      'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D", oauth_timestamp="137131202", oauth_nonce="chapoH"',
    );
  });
});

describe("Twitter's published example (POST with body parameters and oauth_version)", () => {
  const input = {
    method: 'POST',
    url: 'https://api.twitter.com/1/statuses/update.json?include_entities=true',
    consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
    tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
    timestamp: '1318622958',
    nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
    includeVersion: true,
    bodyParams: [['status', 'Hello Ladies + Gentlemen, a signed OAuth request!']] as const,
  };

  it('produces the documented base string and signature tnnArxj06cWHq44gCs1OSKk/jLY=', () => {
    const base = signatureBaseString(input.method, input.url, [
      ['oauth_consumer_key', input.consumerKey],
      ['oauth_nonce', input.nonce],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', input.timestamp],
      ['oauth_token', input.token],
      ['oauth_version', '1.0'],
      ...input.bodyParams,
    ]);
    expect(base).toBe(
      'POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
    );
    expect(hmacSha1Signature(base, input.consumerSecret, input.tokenSecret)).toBe(
      'tnnArxj06cWHq44gCs1OSKk/jLY=',
    );
    expect(oauthAuthorizationHeader(input)).toContain('oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D"');
  });
});

describe('appleSessionAuthorization', () => {
  const credentials = {
    consumerKey: 'CK_1',
    consumerSecret: 'CS_2',
    accessToken: 'AT_3',
    accessSecret: 'AS_4',
  };

  it("has exactly Apple's documented shape: realm ADM, seven oauth_ fields, version 1.0, seconds", () => {
    const header = appleSessionAuthorization(
      'https://mdmenrollment.apple.com/session',
      credentials,
      new Date('2026-01-02T03:04:05.678Z'),
      'n0nce',
    );
    expect(header).toMatch(
      /^OAuth realm="ADM", oauth_consumer_key="CK_1", oauth_token="AT_3", oauth_signature_method="HMAC-SHA1", oauth_signature="[A-Za-z0-9%]+", oauth_timestamp="1767323045", oauth_nonce="n0nce", oauth_version="1.0"$/,
    );
    expect(header).not.toContain('CS_2');
    expect(header).not.toContain('AS_4');
  });

  it('uses a fresh random nonce per call by default', () => {
    const now = new Date();
    const nonce = (h: string) => /oauth_nonce="([^"]+)"/.exec(h)?.[1];
    const a = nonce(appleSessionAuthorization('https://x.test/session', credentials, now));
    const b = nonce(appleSessionAuthorization('https://x.test/session', credentials, now));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});
