/**
 * Example automation: set up a client organisation end to end, as an MSP's script would, with the
 * typed documents generated from graphql/operations (`pnpm codegen` → graphql/client/) over fetch.
 *
 *   pnpm example:setup                          # against `pnpm dev` (reads .data/dev-credentials.json)
 *   ADE_GRAPHQL_URL=https://api.example.net/graphql ADE_PARTNER_KEY=… pnpm example:setup \
 *     --tenant "Contoso" --policy "Staff BYOD" --domain contoso.com --type USER \
 *     --display-name "Contoso IT" --support-email it@contoso.com --support-url https://help.contoso.com
 *   … --json                                    # one JSON summary on stdout instead of the text
 *
 * Steps, all with a partner ADMIN key: find the tenant by name or create it; find the policy by name
 * under the tenant's root or create it; set the ADE configuration (enabled, with the domains); set the
 * branding; add a web clip to the support page (or update it when its settings differ); read what the
 * customer hosts. Running it again converges on the same state and creates nothing twice ("set"
 * mutations are idempotent; tenants and policies are looked up by name first).
 *
 * The URL and key come from the flags, else ADE_GRAPHQL_URL / ADE_PARTNER_KEY, else the file `pnpm dev`
 * writes ($ADE_DATA_DIR or .data, /dev-credentials.json). Prefer the variable for the key: flags show
 * up in process listings.
 *
 * Exit codes: 0 done; 1 a step was refused (its typed UserErrors: code, field, message) or the API
 * could not be used; 2 bad usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import {
  AddPayloadDocument,
  AdeHostingDocument,
  type AdeHostingQuery,
  ApplyAdeBrandingDocument,
  type ApplyAdeBrandingMutation,
  CreatePolicyDocument,
  CreateTenantDocument,
  type EnrollmentType,
  MyTenantsDocument,
  type MyTenantsQuery,
  PolicyPayloadsDocument,
  PolicyTreeDocument,
  type PolicyTreeQuery,
  SetAdeConfigurationDocument,
  UpdatePayloadDocument,
  ViewerDocument,
} from '../../graphql/client/graphql.ts';
import {
  createGraphQLClient,
  type GraphQLClient,
  GraphQLRequestError,
  UserErrorsError,
  unwrap,
} from './graphql-client.ts';

export const USAGE = `Usage: pnpm example:setup [--tenant NAME] [--policy NAME] [--domain DOMAIN]… [--type USER|DEVICE]
         [--display-name TEXT] [--accent-color #RRGGBB] [--support-email ADDRESS] [--support-url https://…]
         [--graphql-url URL] [--partner-key KEY] [--json]
The URL and key default to ADE_GRAPHQL_URL and ADE_PARTNER_KEY, then to .data/dev-credentials.json (pnpm dev).`;

export interface SetupOptions {
  graphqlUrl: string;
  partnerKey: string;
  tenant: string;
  policy: string;
  domains: string[];
  enrollmentType: EnrollmentType;
  displayName: string;
  accentColor?: string;
  supportEmail?: string;
  supportUrl: string;
}

/** The web clip every device of the policy gets: the MSP's support page on the home screen. */
export const SUPPORT_CLIP = { payloadType: 'com.apple.webClip.managed', displayName: 'IT support' } as const;

class UsageError extends Error {}
class SetupError extends Error {}

/** Flags, then environment, then the running dev stack's credentials file. */
export function resolveOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { options: SetupOptions; json: boolean; help: boolean; sources: string } {
  let values: ReturnType<typeof parseFlags>['values'];
  try {
    values = parseFlags(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const devCredentials = readDevCredentials(env);
  const file = devCredentials?.file ?? '';
  const url = firstOf(
    ['--graphql-url', values['graphql-url']],
    ['ADE_GRAPHQL_URL', env.ADE_GRAPHQL_URL],
    [file, devCredentials?.graphqlUrl],
  );
  const key = firstOf(
    ['--partner-key', values['partner-key']],
    ['ADE_PARTNER_KEY', env.ADE_PARTNER_KEY],
    [file, devCredentials?.partnerKey],
  );
  const help = values.help === true;
  if (!help && (!url || !key)) {
    const [flag, variable] = url
      ? ['--partner-key', 'ADE_PARTNER_KEY']
      : ['--graphql-url', 'ADE_GRAPHQL_URL'];
    throw new UsageError(
      `No ${url ? 'partner key' : 'GraphQL URL'}: pass ${flag}, set ${variable}, or start \`pnpm dev\`.`,
    );
  }
  const type = (values.type ?? 'USER').toUpperCase();
  if (type !== 'USER' && type !== 'DEVICE')
    throw new UsageError(`--type is USER or DEVICE, not ${values.type}.`);
  const tenant = values.tenant?.trim() || 'Example Org';
  const domains = values.domain?.length ? values.domain : ['example.org'];
  return {
    options: {
      graphqlUrl: url?.value ?? '',
      partnerKey: key?.value ?? '',
      tenant,
      policy: values.policy?.trim() || 'Staff BYOD',
      domains,
      enrollmentType: type,
      displayName: values['display-name'] ?? `${tenant} IT`,
      accentColor: values['accent-color'],
      supportEmail: values['support-email'],
      supportUrl: values['support-url'] ?? `https://${domains[0]}/support`,
    },
    json: values.json === true,
    help,
    sources: url && key ? `URL from ${url.from}, key from ${key.from}` : '',
  };
}

function firstOf(...candidates: [from: string, value: string | undefined][]) {
  for (const [from, value] of candidates) if (value) return { from, value };
  return undefined;
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      'graphql-url': { type: 'string' },
      'partner-key': { type: 'string' },
      tenant: { type: 'string' },
      policy: { type: 'string' },
      domain: { type: 'string', multiple: true },
      type: { type: 'string' },
      'display-name': { type: 'string' },
      'accent-color': { type: 'string' },
      'support-email': { type: 'string' },
      'support-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

interface DevCredentials {
  file: string;
  graphqlUrl?: string;
  partnerKey?: string;
}

function readDevCredentials(env: NodeJS.ProcessEnv): DevCredentials | undefined {
  const dataDir = env.ADE_DATA_DIR ? resolve(env.ADE_DATA_DIR) : resolve(import.meta.dirname, '../../.data');
  const file = join(dataDir, 'dev-credentials.json');
  if (!existsSync(file)) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const { graphqlUrl, partnerKey } = parsed;
  return {
    file,
    graphqlUrl: typeof graphqlUrl === 'string' ? graphqlUrl : undefined,
    partnerKey: typeof partnerKey === 'string' ? partnerKey : undefined,
  };
}

// The shapes the operations select, straight from the generated types.
type HostedConfiguration = NonNullable<AdeHostingQuery['policy']['adeConfiguration']>;
type Branding = NonNullable<ApplyAdeBrandingMutation['setAdeBranding']['adeConfiguration']>['branding'];

export interface SetupSummary {
  tenant: { id: string; name: string; created: boolean };
  policy: { id: string; path: string; created: boolean };
  adeConfiguration: Omit<HostedConfiguration, 'hosting'>;
  branding: Branding;
  payload: {
    id: string;
    payloadType: string;
    displayName: string;
    action: 'added' | 'updated' | 'unchanged';
  };
  hosting: HostedConfiguration['hosting'];
}

type Log = (line: string) => void;

export async function setupTenant(
  client: GraphQLClient,
  options: SetupOptions,
  log: Log,
): Promise<SetupSummary> {
  await requirePartnerAdmin(client);
  const tenant = await findOrCreateTenant(client, options.tenant);
  log(`Tenant     ${tenant.name} (${tenant.id}) ${tenant.created ? 'created' : 'found'}`);
  const policy = await findOrCreatePolicy(client, tenant, options.policy);
  log(`Policy     ${policy.path} (${policy.id}) ${policy.created ? 'created' : 'found'}`);

  const configuration = unwrap(
    'Setting the ADE configuration',
    (
      await client.request(SetAdeConfigurationDocument, {
        policyId: policy.id,
        domains: options.domains,
        type: options.enrollmentType,
        enabled: true,
      })
    ).setAdeConfiguration,
    'adeConfiguration',
  );
  log(
    `ADE        ${configuration.id}: ${configuration.enrollmentType}, ${configuration.enabled ? 'enabled' : 'disabled'}, ` +
      `domains ${configuration.domains.join(', ')}`,
  );

  const branded = unwrap(
    'Setting the branding',
    (
      await client.request(ApplyAdeBrandingDocument, {
        input: {
          id: configuration.id,
          displayName: options.displayName,
          accentColor: options.accentColor,
          supportEmail: options.supportEmail,
          supportUrl: options.supportUrl,
        },
      })
    ).setAdeBranding,
    'adeConfiguration',
  );
  log(`Branding   ${branded.branding.displayName} (${branded.branding.accentColor})`);

  const payload = await ensureSupportClip(client, policy.id, {
    URL: options.supportUrl,
    Label: options.displayName,
    IsRemovable: true,
  });
  log(`Payload    ${SUPPORT_CLIP.displayName} (${payload.id}) ${payload.action}`);

  const hosted = (await client.request(AdeHostingDocument, { policyId: policy.id })).policy.adeConfiguration;
  if (!hosted) throw new SetupError(`Policy ${policy.id} has no ADE configuration after it was set.`);
  const { hosting, ...adeConfiguration } = hosted;
  return {
    tenant: { id: tenant.id, name: tenant.name, created: tenant.created },
    policy,
    adeConfiguration,
    branding: branded.branding,
    payload: { ...payload, ...SUPPORT_CLIP },
    hosting,
  };
}

async function requirePartnerAdmin(client: GraphQLClient): Promise<void> {
  const { viewer } = await client.request(ViewerDocument, {});
  if (viewer.kind !== 'PARTNER' || viewer.role !== 'ADMIN')
    throw new SetupError(
      `This script needs a partner ADMIN key; this is a ${viewer.kind} ${viewer.role} key.`,
    );
}

async function findOrCreateTenant(client: GraphQLClient, name: string) {
  for (let after: string | null = null; ; ) {
    const result: MyTenantsQuery = await client.request(MyTenantsDocument, { first: 100, after });
    const tenants = result.viewer.partner?.tenants;
    if (!tenants) throw new SetupError('The key has no partner.');
    const found = tenants.edges.find((edge) => edge.node.name === name);
    if (found) return { id: found.node.id, name: found.node.name, created: false, rootPolicyId: undefined };
    if (!tenants.pageInfo.hasNextPage) break;
    after = tenants.pageInfo.endCursor;
  }
  const created = unwrap(
    'Creating the tenant',
    (await client.request(CreateTenantDocument, { name })).createTenant,
    'tenant',
  );
  return { id: created.id, name: created.name, created: true, rootPolicyId: created.rootPolicy.id };
}

/** The policy called `name` directly under the tenant's root, created when missing. */
async function findOrCreatePolicy(
  client: GraphQLClient,
  tenant: { id: string; rootPolicyId: string | undefined },
  name: string,
) {
  let rootId = tenant.rootPolicyId;
  if (!rootId) {
    // An existing tenant: walk its policies (100 a page) for the root and a child of it with this name.
    const policies: { id: string; name: string; parentId: string | null }[] = [];
    for (let after: string | null = null; ; ) {
      const result: PolicyTreeQuery = await client.request(PolicyTreeDocument, {
        tenantId: tenant.id,
        after,
      });
      const page = result.tenant.policies;
      policies.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const root = policies.find((policy) => policy.parentId === null);
    if (!root) throw new SetupError(`Tenant ${tenant.id} has no root policy.`);
    rootId = root.id;
    const found = policies.find((policy) => policy.parentId === root.id && policy.name === name);
    if (found) return { id: found.id, path: `${root.name} / ${found.name}`, created: false };
  }
  const created = unwrap(
    'Creating the policy',
    (await client.request(CreatePolicyDocument, { parentId: rootId, name })).createPolicy,
    'policy',
  );
  return { id: created.id, path: created.path, created: true };
}

/** Adds the support web clip, or updates it when its settings differ (compared as JSON values). */
async function ensureSupportClip(
  client: GraphQLClient,
  policyId: string,
  settings: Record<string, unknown>,
): Promise<{ id: string; action: 'added' | 'updated' | 'unchanged' }> {
  const { payloads } = (await client.request(PolicyPayloadsDocument, { policyId })).policy;
  const existing = payloads.find(
    (payload) =>
      payload.payloadType === SUPPORT_CLIP.payloadType && payload.displayName === SUPPORT_CLIP.displayName,
  );
  if (!existing) {
    const change = unwrap(
      'Adding the support web clip',
      (
        await client.request(AddPayloadDocument, {
          policyId,
          ...SUPPORT_CLIP,
          settings: JSON.stringify(settings),
        })
      ).addPayload,
      'change',
    );
    if (!change.payload) throw new SetupError('addPayload returned no payload.');
    return { id: change.payload.id, action: 'added' };
  }
  if (isDeepStrictEqual(JSON.parse(existing.settings), settings))
    return { id: existing.id, action: 'unchanged' };
  unwrap(
    'Updating the support web clip',
    (
      await client.request(UpdatePayloadDocument, {
        id: existing.id,
        settings: JSON.stringify(settings),
        expectedVersion: existing.version,
      })
    ).updatePayload,
    'change',
  );
  return { id: existing.id, action: 'updated' };
}

function printHosting(summary: SetupSummary): void {
  const { hosting } = summary;
  const where = summary.adeConfiguration.domains.map((domain) => `https://${domain}${hosting.wellKnownPath}`);
  console.log(`
Discovery URL: ${summary.adeConfiguration.discoveryUrl}
Serve one of these at ${where.join(' and ')}:

== Cloudflare Worker (preferred: forwards the device's query string) ==
${hosting.cloudflareWorkerScript}
== nginx ==
${hosting.nginxSnippet}
== Apache ==
${hosting.apacheSnippet}
== Static file (cannot vary per user or model) ==
${hosting.wellKnownJson}`);
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  let resolved: ReturnType<typeof resolveOptions>;
  try {
    resolved = resolveOptions(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`setup-tenant: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (resolved.help) {
    console.log(USAGE);
    return 0;
  }
  const { options, json } = resolved;
  const log: Log = json ? () => {} : (line) => console.log(line);
  log(`GraphQL    ${options.graphqlUrl} (${resolved.sources})`);
  const client = createGraphQLClient({ url: options.graphqlUrl, apiKey: options.partnerKey });
  try {
    const summary = await setupTenant(client, options, log);
    if (json) console.log(JSON.stringify(summary, null, 2));
    else printHosting(summary);
    return 0;
  } catch (error) {
    if (
      error instanceof UserErrorsError ||
      error instanceof GraphQLRequestError ||
      error instanceof SetupError
    ) {
      console.error(`setup-tenant: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
