/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The SST app. For now it declares the one table (from infra/database.ts, itself derived from the
 * definition the local runtime and tests use); the API, functions and keys come with the
 * deployable-infrastructure work. Type-checked against SST's platform types once `sst install` has
 * generated .sst/platform (see README, "Deploy").
 */
export default $config({
  app(input) {
    return {
      name: 'ade-cloud',
      home: 'aws',
      removal: input?.stage === 'production' ? 'retain' : 'remove',
      protect: input?.stage === 'production',
    };
  },
  async run() {
    const { tableArgs } = await import('./infra/database');
    const table = new sst.aws.Dynamo('Table', tableArgs($app.stage));
    return { table: table.name };
  },
});
