/**
 * What `pnpm dev` prints once it is ready. The example command must run as printed, pasted into a
 * shell, whatever PORT or ADE_DATA_DIR are: it carries the URL and the key themselves (nothing to
 * look up, no jq), and test/e2e/quick-start.test.ts runs it against a real local stack.
 */
import type { DemoCredentials } from './seed.ts';

/** The README's example query too: the demo tenant's name and the first two levels of its tree. */
export const EXAMPLE_QUERY =
  '{ viewer { tenant { name rootPolicy { name children { nodes { name path } } } } } }';

/** Where the README explains HTTPS for devices (a test checks the heading exists). */
export const REAL_DEVICE_SECTION = 'Try it with a real device';

export interface BannerInput {
  graphqlUrl: string;
  /** ADE_PUBLIC_URL: what devices are sent to (discovery answers, profiles, check-in). */
  publicUrl: string;
  /** e.g. "in memory" or "data in /…/dynamodb". */
  storage: string;
  readyMs: number;
  demo: DemoCredentials;
  credentialsFile: string;
}

/** A curl command for one GraphQL query with one key, quoted for sh, bash and zsh. */
export function curlCommand(graphqlUrl: string, key: string, query = EXAMPLE_QUERY): string {
  const body = JSON.stringify({ query });
  return [
    `curl -s ${shellQuote(graphqlUrl)} -H ${shellQuote(`authorization: Bearer ${key}`)} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Devices need HTTPS (only loopback may be plain http, and no device reaches a laptop's loopback). */
function devicesLine(publicUrl: string): string {
  if (new URL(publicUrl).protocol === 'https:') {
    return `  Devices     ${publicUrl} (ADE_PUBLIC_URL): discovery answers, profiles and check-in use it`;
  }
  return [
    `  Devices     ${publicUrl} is plain http, which devices refuse: put a public HTTPS URL in front`,
    `              of this port and set ADE_PUBLIC_URL to it (README, "${REAL_DEVICE_SECTION}")`,
  ].join('\n');
}

export function devBanner(input: BannerInput): string {
  const { demo } = input;
  const indent = (text: string) => text.replace(/^/gm, '    ');
  return `
ADE Cloud is running (${input.storage}) — ready in ${input.readyMs} ms

  GraphQL     ${input.graphqlUrl}   (open it in a browser for the explorer)
  Operator    ${demo.operatorKey}
  Partner     ${demo.partnerKey}
  Tenant      ${demo.tenantKey}   (${demo.tenantId})
  Read-only   ${demo.tenantReadOnlyKey}

  Credentials: ${input.credentialsFile}
  Try it (paste into a shell):
${indent(curlCommand(input.graphqlUrl, demo.tenantKey))}

${devicesLine(input.publicUrl)}

Ctrl-C to stop.`;
}
