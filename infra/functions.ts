/**
 * One Lambda function per function group of the route table, each with its own role and log
 * group. Functions are plain `aws.lambda.Function`s rather than `sst.aws.Function`s so that:
 * - they ship the bundle this repository measures and budgets (infra/bundle.ts: ESM chunks, the
 *   AWS SDK inside), not one built by SST's own pipeline;
 * - the role holds exactly infra/permissions.ts and its own log group, with no managed policy
 *   (AWSLambdaBasicExecutionRole allows every log group: `Resource: *`).
 */
import { join } from 'node:path';
import type { FunctionDefinition } from '../packages/functions/src/routes.ts';
import { buildFunction, LAMBDA_RUNTIME } from './bundle.ts';
import { isProduction } from './database.ts';
import { grantsFor, statementsFor } from './permissions.ts';
import { type RouteTable, repoEsbuild } from './routes.ts';

export interface FunctionsInput {
  root: string;
  stage: string;
  routeTable: RouteTable;
  table: { name: $util.Input<string>; arn: $util.Input<string> };
  key: { arn: $util.Input<string> };
  /** Custom domain or API URL: what devices and Apple are told to call (ADE_PUBLIC_URL). */
  publicUrl: $util.Input<string>;
}

const pascal = (name: string) => name.replace(/(^|[-_])([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** Log retention of every function, in days. */
export function logRetentionDays(stage: string): number {
  return isProduction(stage) ? 90 : 14;
}

export async function createFunctions(input: FunctionsInput) {
  const { routeTable } = input;
  const created: Record<string, aws.lambda.Function> = {};
  for (const [name, definition] of Object.entries(routeTable.functions))
    created[name] = await createFunction(input, name, definition);
  return created;
}

/**
 * The functions no route reaches (the rollout worker), each started by an EventBridge rule on its
 * schedule; only that rule may invoke it.
 */
export async function createScheduledFunctions(input: FunctionsInput) {
  const created: Record<string, aws.lambda.Function> = {};
  for (const [name, definition] of Object.entries(input.routeTable.scheduled)) {
    const id = pascal(name);
    const fn = await createFunction(input, name, { ...definition, deviceFacing: false });
    const rule = new aws.cloudwatch.EventRule(`${id}Schedule`, {
      description: `ADE Cloud ${input.stage}: run ${name} (${definition.schedule})`,
      scheduleExpression: definition.schedule,
    });
    new aws.cloudwatch.EventTarget(`${id}Target`, { rule: rule.name, arn: fn.arn });
    new aws.lambda.Permission(`${id}Invoke`, {
      action: 'lambda:InvokeFunction',
      function: fn.name,
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });
    created[name] = fn;
  }
  return created;
}

async function createFunction(input: FunctionsInput, name: string, definition: FunctionDefinition) {
  const { root, stage } = input;
  const esbuild = repoEsbuild(root);
  const id = pascal(name);
  const built = await buildFunction(
    esbuild,
    root,
    definition.handler,
    join(root, '.artifacts', 'lambda', name),
    { deviceFacing: definition.deviceFacing, explorer: definition.explorer === true },
  );
  const logGroup = new aws.cloudwatch.LogGroup(`${id}Logs`, {
    name: `/ade-cloud/${stage}/functions/${name}`,
    retentionInDays: logRetentionDays(stage),
  });
  const role = new aws.iam.Role(`${id}Role`, {
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    }),
  });
  const grants = grantsFor(name, definition.deviceFacing);
  const policy = new aws.iam.RolePolicy(`${id}Policy`, {
    role: role.id,
    policy: $resolve([input.table.arn, input.key.arn, logGroup.arn]).apply(([table, key, logs]) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: statementsFor(grants, { table, key, logGroup: logs }),
      }),
    ),
  });
  return new aws.lambda.Function(
    `${id}Function`,
    {
      description: `ADE Cloud ${stage}: ${name} (${definition.handler})`,
      runtime: LAMBDA_RUNTIME,
      architectures: ['arm64'], // pure JavaScript bundles: cheaper, and no slower to start
      handler: built.handler,
      code: new $util.asset.FileArchive(built.dir),
      memorySize: definition.memoryMb,
      timeout: definition.timeoutSeconds,
      role: role.arn,
      loggingConfig: { logFormat: 'Text', logGroup: logGroup.name }, // the lines are JSON already
      // Which source a function runs, for whoever reads the console (and infra/sst.test.ts).
      tags: { 'ade:function': name, 'ade:handler': definition.handler },
      environment: {
        variables: {
          ADE_TABLE_NAME: input.table.name,
          ADE_PUBLIC_URL: input.publicUrl,
          ADE_KMS_KEY_ID: input.key.arn,
          POWERTOOLS_SERVICE_NAME: `ade-cloud-${name}`,
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    },
    // The role must hold its permissions before the first invocation.
    { dependsOn: [policy] },
  );
}
