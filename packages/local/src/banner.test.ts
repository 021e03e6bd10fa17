import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { curlCommand, devBanner, EXAMPLE_QUERY } from './banner.ts';

const demo = {
  operatorKey: 'ade_op_x',
  partnerKey: 'ade_ptn_x',
  tenantKey: "ade_ten_it's",
  tenantReadOnlyKey: 'ade_ten_r',
  partnerId: 'ptn_x',
  tenantId: 'ten_x',
};
const banner = (publicUrl: string) =>
  devBanner({
    graphqlUrl: 'http://localhost:4100/graphql',
    publicUrl,
    storage: 'in memory',
    readyMs: 1,
    demo,
    credentialsFile: '/tmp/x/dev-credentials.json',
  });

describe('the pnpm dev banner', () => {
  it('has an example query that is complete and valid against the committed schema', () => {
    const schema = buildSchema(
      readFileSync(new URL('../../../graphql/schema.graphql', import.meta.url), 'utf8'),
    );
    expect(validate(schema, parse(EXAMPLE_QUERY))).toEqual([]);
  });

  it('quotes the URL, key and body for a shell', () => {
    expect(curlCommand('http://localhost:4100/graphql', demo.tenantKey)).toBe(
      [
        `curl -s 'http://localhost:4100/graphql' -H 'authorization: Bearer ade_ten_it'\\''s' \\`,
        `  -H 'content-type: application/json' \\`,
        `  -d '${JSON.stringify({ query: EXAMPLE_QUERY })}'`,
      ].join('\n'),
    );
  });

  it('says devices need HTTPS, or where they are sent when ADE_PUBLIC_URL is https', () => {
    expect(banner('http://localhost:4100')).toMatch(/plain http, which devices refuse.*\n.*ADE_PUBLIC_URL/);
    const https = banner('https://mdm-dev.example.net');
    expect(https).toContain('Devices     https://mdm-dev.example.net (ADE_PUBLIC_URL)');
    expect(https).not.toContain('plain http');
  });
});
