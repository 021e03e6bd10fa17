/**
 * The HTTP API: one API Gateway HTTP API, every route of packages/functions/src/routes.ts pointing
 * at its function, on an optional custom domain. Devices and Apple keep the URLs they were given
 * (profiles embed ServerURL/CheckInURL, ABM stores the fallback discovery URL), so production should
 * set a custom domain before the first enrollment: the generated execute-api URL changes if the
 * API is ever recreated.
 */
import { isProduction } from './database.ts';
import type { RouteTable } from './routes.ts';

export type Domain = string | { name: string; dns: false; cert: string };

/**
 * The custom domain, from the deploying shell: `ADE_DOMAIN=mdm.example.net` with a Route 53 hosted
 * zone for it in the account (SST issues and validates the certificate and writes the records), or
 * with `ADE_DOMAIN_CERT_ARN=arn:aws:acm:…` (an ACM certificate in the same region) when DNS lives
 * elsewhere: point a CNAME at the API's domain target yourself.
 */
export function domainFromEnv(env: Record<string, string | undefined>): Domain | undefined {
  const name = env.ADE_DOMAIN?.trim().toLowerCase();
  if (!name) return undefined;
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(name))
    throw new Error(`ADE_DOMAIN "${name}" is not a host name (no scheme, path or port).`);
  const cert = env.ADE_DOMAIN_CERT_ARN?.trim();
  return cert ? { name, dns: false, cert } : name;
}

export function createApi(stage: string, domain: Domain | undefined) {
  return new sst.aws.ApiGatewayV2('Api', {
    ...(domain ? { domain } : {}),
    // Access logs carry method, path, status and latency; never headers, bodies or query strings.
    accessLog: { retention: isProduction(stage) ? '3 months' : '2 weeks' },
  });
}

/** One API Gateway route per route-table entry, integrated with the function that serves it. */
export function addRoutes(
  api: ReturnType<typeof createApi>,
  routes: RouteTable['routes'],
  functionArns: Record<string, $util.Output<string>>,
) {
  for (const route of routes) {
    const arn = functionArns[route.function];
    if (!arn) throw new Error(`route "${route.key}" names function "${route.function}", which has none`);
    api.route(route.key, arn);
  }
}
