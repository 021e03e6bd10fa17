/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The SST app: the table, the secrets key, the HTTP API with every route of
 * packages/functions/src/routes.ts, one function per function group, and the scheduled functions
 * (the rollout worker) on EventBridge rules. One file per concern in
 * infra/, imported here explicitly (inside `run`, as SST requires). Validated offline by
 * `pnpm typecheck` (against SST's platform types) and infra/sst.test.ts (the program under Pulumi's
 * mocks); deploying needs AWS: see README, "Deploy".
 */
export default $config({
  async app(input) {
    const { isProduction } = await import('./infra/database.ts');
    const production = isProduction(input?.stage ?? '');
    return {
      name: 'ade-cloud',
      home: 'aws',
      // Production keeps its table and key when the stage is removed, and refuses `sst remove`.
      removal: production ? 'retain' : 'remove',
      protect: production,
    };
  },
  async run() {
    // SST runs the program from the app's root (and `sst` resolves the repository from there).
    const root = process.cwd();
    const { createTable } = await import('./infra/database.ts');
    const { createSecretsKey } = await import('./infra/keys.ts');
    const { addRoutes, createApi, domainFromEnv } = await import('./infra/api.ts');
    const { loadRouteTable } = await import('./infra/routes.ts');
    const { createFunctions, createScheduledFunctions } = await import('./infra/functions.ts');

    const table = createTable($app.stage);
    const key = createSecretsKey($app.stage);
    const domain = domainFromEnv(process.env);
    const api = createApi($app.stage, domain);
    const routeTable = await loadRouteTable(root);
    const functionsInput = { root, stage: $app.stage, routeTable, table, key, publicUrl: api.url };
    const functions = await createFunctions(functionsInput);
    await createScheduledFunctions(functionsInput);
    addRoutes(
      api,
      routeTable.routes,
      Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.arn])),
    );
    return {
      url: api.url,
      table: table.name,
      secretsKey: key.arn,
      // With DNS outside Route 53 (ADE_DOMAIN_CERT_ARN): the CNAME target for ADE_DOMAIN.
      ...(domain ? { domainTarget: api.nodes.domainName.domainNameConfiguration.targetDomainName } : {}),
    };
  },
});
