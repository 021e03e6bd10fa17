import { describe, expect, it } from 'vitest';
import {
  apacheSnippet,
  cloudflareWorkerScript,
  hostingOptions,
  nginxSnippet,
  WELL_KNOWN_PATH,
  wellKnownJson,
} from './hosting.ts';
import { checkDiscoveryUrl, DiscoveryConfigError, discoveryUrl, enrollmentBaseUrl } from './urls.ts';

const ID = '01JCONFIGDISCOVERYIDXXXXXXXXXXXXXX';
const URL_ = `https://mdm.example.net/mdm/enrollment/servicediscovery/${ID}`;

describe('discovery URLs', () => {
  it('builds the discovery URL and both BaseURLs from publicUrl', () => {
    expect(discoveryUrl('https://MDM.example.net/', ID)).toBe(URL_);
    expect(discoveryUrl('https://mdm.example.net:443', ID)).toBe(URL_);
    expect(enrollmentBaseUrl('https://mdm.example.net', ID, 'USER')).toBe(`${URL_}/userenroll`);
    expect(enrollmentBaseUrl('https://mdm.example.net', ID, 'DEVICE')).toBe(`${URL_}/deviceenroll`);
    expect(discoveryUrl('http://localhost:4000', ID)).toBe(
      `http://localhost:4000/mdm/enrollment/servicediscovery/${ID}`,
    );
  });

  it('accepts only canonical URLs it made itself before they go into code', () => {
    expect(checkDiscoveryUrl(URL_)).toBe(URL_);
    for (const bad of [
      `${URL_}?x=1`,
      `${URL_}/`,
      `${URL_}#x`,
      URL_.replace('mdm.example', 'MDM.example'),
      URL_.replace('https', 'http'),
      'https://mdm.example.net/other/path',
      `https://mdm.example.net/mdm/enrollment/servicediscovery/short`,
      `https://mdm.example.net/mdm/enrollment/servicediscovery/${ID}";alert(1);"`,
      `https://mdm.example.net/$host/mdm/enrollment/servicediscovery/${ID}`,
      `https://mdm.example.net/mdm/enrollment/servicediscovery/${ID} [R]`,
      `https://mdm.example.net/a%0a/mdm/enrollment/servicediscovery/${ID}`,
      `https://mdm.example.net/mdm/enrollment/servicediscovery/${ID}\nreturn 200;`,
    ]) {
      expect(() => checkDiscoveryUrl(bad), bad).toThrowError(DiscoveryConfigError);
      for (const generate of [cloudflareWorkerScript, nginxSnippet, apacheSnippet]) {
        expect(() => generate(bad), bad).toThrowError(DiscoveryConfigError);
      }
    }
  });
});

describe('wellKnownJson', () => {
  it('is exactly Apple’s shape with one server (docs/protocol/discovery.md#the-answer)', () => {
    expect(wellKnownJson('https://mdm.example.net', ID, 'USER')).toBe(
      `{"Servers":[{"Version":"mdm-byod","BaseURL":"${URL_}/userenroll"}]}`,
    );
    expect(wellKnownJson('https://mdm.example.net', ID, 'DEVICE')).toBe(
      `{"Servers":[{"Version":"mdm-adde","BaseURL":"${URL_}/deviceenroll"}]}`,
    );
  });
});

describe('cloudflareWorkerScript', () => {
  const script = cloudflareWorkerScript(URL_);

  it('is an ES module Worker with the discovery URL as a string literal and nothing secret', () => {
    expect(script).toContain('export default {');
    expect(script).toContain('async fetch(request)');
    expect(script).toContain(`const DISCOVERY_URL = "${URL_}";`);
    expect(script).toContain(`const WELL_KNOWN_PATH = "${WELL_KNOWN_PATH}";`);
    expect(script).toContain('DISCOVERY_URL + url.search');
    expect(script).toContain('return fetch(request);');
    expect(script).not.toMatch(/authorization|bearer|api[-_ ]?key|password|env\./i);
    expect(script.match(/https?:\/\/[^"\s]+/g)).toEqual([URL_]); // the only URL in it
  });

  it('parses as JavaScript (its behaviour runs in workerd in test/worker)', async () => {
    const module = await import(`data:text/javascript,${encodeURIComponent(script)}`);
    expect(typeof module.default.fetch).toBe('function');
  });
});

describe('web-server snippets', () => {
  it('nginx: exact-match location, 302 to the discovery URL with the query re-appended', () => {
    expect(nginxSnippet(URL_)).toContain(
      `location = /.well-known/com.apple.remotemanagement {\n    return 302 ${URL_}$is_args$args;\n}`,
    );
  });

  it('Apache: mod_rewrite with QSA so the device query string is kept', () => {
    const snippet = apacheSnippet(URL_);
    expect(snippet).toContain('RewriteEngine On');
    expect(snippet).toContain(
      `RewriteRule ^/?\\.well-known/com\\.apple\\.remotemanagement$ ${URL_} [R=302,L,QSA]`,
    );
  });

  it('hostingOptions bundles all of them for one configuration', () => {
    const options = hostingOptions('https://mdm.example.net', ID, 'USER');
    expect(options.discoveryUrl).toBe(URL_);
    expect(options.cloudflareWorker).toBe(cloudflareWorkerScript(URL_));
    expect(options.nginx).toBe(nginxSnippet(URL_));
    expect(options.apache).toBe(apacheSnippet(URL_));
    expect(JSON.parse(options.wellKnownJson).Servers).toHaveLength(1);
  });
});
