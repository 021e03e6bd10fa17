/**
 * The example automation (scripts/examples/setup-tenant.ts) run the way an MSP runs it: a child
 * process under tsx, talking HTTP to the local runtime (the GraphQL Lambda handler on DynamoDB Local).
 * What it did is then read back through GraphQL, not taken from its own report.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGraphQLHandler } from '@ade/functions/graphql';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSystem, useTestCore } from '../support/core.ts';
import { gqlOk } from '../support/graphql.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/examples/setup-tenant.ts');
const core = useTestCore();
let server: LocalServer;
let graphqlUrl: string;
let partnerKey: string;
const dataDirs: string[] = [];

interface Run {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs the script with only the given key/URL sources: no inherited ADE_* variables, its own data dir. */
function runScript(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { ADE_GRAPHQL_URL: _url, ADE_PARTNER_KEY: _key, ADE_DATA_DIR: _dir, ...inherited } = process.env;
  const dataDir = mkdtempSync(join(tmpdir(), 'ade-example-'));
  dataDirs.push(dataDir);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: root, env: { ...inherited, ADE_DATA_DIR: dataDir, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? null) : 0, stdout, stderr }),
    );
  });
}

const CHECK = /* GraphQL */ `
  query Check($policyId: ID!) {
    viewer {
      partner {
        tenants(first: 100) {
          nodes {
            id
            name
            policyCount
            adeConfigurations {
              id
            }
          }
        }
      }
    }
    policy(id: $policyId) {
      path
      tenant {
        id
      }
      adeConfiguration {
        id
        enabled
        enrollmentType
        domains
        discoveryUrl
        branding {
          displayName
          supportEmail
          supportUrl
        }
        hosting {
          wellKnownJson
          cloudflareWorkerScript
          nginxSnippet
          apacheSnippet
        }
      }
      payloads {
        id
        payloadType
        displayName
        settings
        version
      }
    }
  }
`;
const check = (policyId: string) => gqlOk(core(), partnerKey, CHECK, { policyId });

const contoso = [
  '--tenant',
  'Contoso',
  '--policy',
  'Staff BYOD',
  '--domain',
  'Contoso.Example',
  '--display-name',
  'Contoso IT',
  '--support-email',
  'it@contoso.example',
];

describe('the example automation script (scripts/examples/setup-tenant.ts)', () => {
  beforeAll(async () => {
    const handler = createGraphQLHandler(core());
    server = await startLocalServer({ loadHandler: async () => handler });
    graphqlUrl = `${server.url}/graphql`;
    partnerKey = (await asSystem(() => core().partners.create({ name: 'Automation MSP' }))).secret!;
  });
  afterAll(async () => {
    await server?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  let first: any;

  it('sets up a tenant from nothing: policy, enabled ADE configuration, branding, payload, hosting', async () => {
    const run = await runScript(
      [...contoso, '--support-url', 'https://help.contoso.example', '--graphql-url', graphqlUrl, '--json'],
      { ADE_PARTNER_KEY: partnerKey },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    first = JSON.parse(run.stdout);
    expect(first).toMatchObject({
      tenant: { name: 'Contoso', created: true },
      policy: { path: 'All devices / Staff BYOD', created: true },
      payload: { action: 'added' },
    });

    const { viewer, policy } = await check(first.policy.id);
    expect(viewer.partner.tenants.nodes).toEqual([
      {
        id: first.tenant.id,
        name: 'Contoso',
        policyCount: 2,
        adeConfigurations: [{ id: first.adeConfiguration.id }],
      },
    ]);
    expect(policy.tenant.id).toBe(first.tenant.id);
    expect(policy.adeConfiguration).toMatchObject({
      id: first.adeConfiguration.id,
      enabled: true,
      enrollmentType: 'USER',
      domains: ['contoso.example'],
      branding: {
        displayName: 'Contoso IT',
        supportEmail: 'it@contoso.example',
        supportUrl: 'https://help.contoso.example',
      },
    });
    expect(policy.payloads).toHaveLength(1);
    expect(policy.payloads[0]).toMatchObject({
      id: first.payload.id,
      payloadType: 'com.apple.webClip.managed',
      displayName: 'IT support',
    });
    expect(JSON.parse(policy.payloads[0].settings)).toEqual({
      URL: 'https://help.contoso.example',
      Label: 'Contoso IT',
      IsRemovable: true,
    });
    // The snippets it reports are the API's, and they point devices at this configuration.
    const hosted = policy.adeConfiguration;
    expect(first.adeConfiguration.discoveryUrl).toBe(hosted.discoveryUrl);
    expect(first.hosting).toMatchObject(hosted.hosting);
    for (const snippet of ['cloudflareWorkerScript', 'nginxSnippet', 'apacheSnippet'])
      expect(first.hosting[snippet]).toContain(hosted.discoveryUrl);
    expect(JSON.parse(first.hosting.wellKnownJson).Servers[0].BaseURL).toContain(hosted.discoveryUrl);
  });

  it('re-run with the credentials `pnpm dev` writes: finds what exists and changes only what differs', async () => {
    const credentials = mkdtempSync(join(tmpdir(), 'ade-example-'));
    dataDirs.push(credentials);
    writeFileSync(join(credentials, 'dev-credentials.json'), JSON.stringify({ graphqlUrl, partnerKey }));

    const changed = await runScript([...contoso, '--support-url', 'https://support.contoso.example'], {
      ADE_DATA_DIR: credentials,
    });
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain(`Tenant     Contoso (${first.tenant.id}) found`);
    expect(changed.stdout).toContain(`Policy     All devices / Staff BYOD (${first.policy.id}) found`);
    expect(changed.stdout).toContain(`IT support (${first.payload.id}) updated`);
    expect(changed.stdout).toContain(`Discovery URL: ${first.adeConfiguration.discoveryUrl}`);
    expect(changed.stdout).toContain(first.hosting.nginxSnippet);

    const again = await runScript(
      [...contoso, '--support-url', 'https://support.contoso.example', '--json'],
      { ADE_DATA_DIR: credentials },
    );
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({
      tenant: { id: first.tenant.id, created: false },
      policy: { id: first.policy.id, created: false },
      adeConfiguration: { id: first.adeConfiguration.id },
      payload: { id: first.payload.id, action: 'unchanged' },
    });

    const { viewer, policy } = await check(first.policy.id);
    expect(viewer.partner.tenants.nodes).toMatchObject([{ name: 'Contoso', policyCount: 2 }]);
    expect(policy.adeConfiguration.branding.supportUrl).toBe('https://support.contoso.example');
    expect(policy.payloads).toMatchObject([{ id: first.payload.id, version: 2 }]); // one update, not two
    expect(JSON.parse(policy.payloads[0].settings).URL).toBe('https://support.contoso.example');
  });

  it('a refused step exits 1 with its typed error, and nothing after it runs', async () => {
    const run = await runScript(
      ['--tenant', 'Fabrikam', '--domain', 'contoso.example', '--graphql-url', graphqlUrl],
      { ADE_PARTNER_KEY: partnerKey },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Setting the ADE configuration was refused:\n {2}DOMAIN_TAKEN\b/);
    expect(run.stdout).not.toContain('Branding');
    expect(run.stdout).not.toContain('Discovery URL');

    const { viewer } = await check(first.policy.id);
    const fabrikam = viewer.partner.tenants.nodes.find((tenant: any) => tenant.name === 'Fabrikam');
    expect(fabrikam).toMatchObject({ policyCount: 2, adeConfigurations: [] });
  });

  it('a refused key exits 1 with the API’s code; no URL or key at all exits 2 and says how to give one', async () => {
    const refused = await runScript(['--graphql-url', graphqlUrl], { ADE_PARTNER_KEY: 'ade_ptn_not-a-key' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('answered 401');
    expect(refused.stderr).toContain('UNAUTHENTICATED');

    const missing = await runScript(['--graphql-url', graphqlUrl]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No partner key: pass --partner-key, set ADE_PARTNER_KEY');
  });
});
