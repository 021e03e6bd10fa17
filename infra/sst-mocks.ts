/**
 * Runs sst.config.ts the way `sst deploy` would, but under Pulumi's mocks: no AWS, no Pulumi
 * engine, no SST CLI. SST's components (.sst/platform/src, from `sst install`) and their Pulumi SDK
 * are loaded from .sst/platform exactly as SST's own bundle of the config would see them, with the
 * globals SST injects ($config, $app, sst, aws, $interpolate, …). Every resource the program
 * registers is recorded with its inputs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const repoRoot = resolve(import.meta.dirname, '..');
export const platformDir = join(repoRoot, '.sst', 'platform');

export interface MockedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Kept by Pulumi when the resource is deleted or its stage removed. */
  retainOnDelete: boolean;
}

export interface MockedDeploy {
  resources: MockedResource[];
  outputs: Record<string, unknown>;
  ofType(type: string): MockedResource[];
  one(type: string, name: string): MockedResource;
}

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

/** What AWS would report back for a created resource: ids, ARNs, names. */
function state(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case 'aws:dynamodb/table:Table': {
      const table = (inputs.name as string | undefined) ?? name;
      return { ...inputs, name: table, arn: arn('dynamodb', `table/${table}`) };
    }
    case 'aws:kms/key:Key':
      return { ...inputs, keyId: `${name}-id`, arn: arn('kms', `key/${name}-id`) };
    case 'aws:cloudwatch/logGroup:LogGroup': {
      const group = (inputs.name as string | undefined) ?? name;
      return { ...inputs, name: group, arn: arn('logs', `log-group:${group}`) };
    }
    case 'aws:iam/role:Role':
      return { ...inputs, name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case 'aws:lambda/function:Function':
      return {
        ...inputs,
        name,
        arn: arn('lambda', `function:${name}`),
        invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn('lambda', `function:${name}`)}/invocations`,
      };
    case 'aws:apigatewayv2/api:Api':
      return {
        ...inputs,
        apiEndpoint: `https://${name}-id.execute-api.${REGION}.amazonaws.com`,
        executionArn: arn('execute-api', `${name}-id`),
      };
    case 'aws:apigatewayv2/domainName:DomainName':
      return {
        ...inputs,
        domainNameConfiguration: { targetDomainName: `d-${name}.execute-api.${REGION}.amazonaws.com` },
      };
    case 'aws:acm/certificate:Certificate':
      return {
        ...inputs,
        arn: arn('acm', `certificate/${name}`),
        domainValidationOptions: [
          {
            domainName: inputs.domainName,
            resourceRecordName: `_validation.${inputs.domainName}.`,
            resourceRecordType: 'CNAME',
            resourceRecordValue: '_validation.acm-validations.aws.',
          },
        ],
      };
    default:
      return { ...inputs, arn: arn('mock', name) };
  }
}

function invoke(token: string): Record<string, unknown> {
  switch (token) {
    case 'aws:index/getRegion:getRegion':
      return { name: REGION, region: REGION, id: REGION };
    case 'aws:index/getPartition:getPartition':
      return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: 'ci', id: ACCOUNT };
    case 'aws:route53/getZone:getZone':
      return { zoneId: 'Z000000000000', name: 'example.net', id: 'Z000000000000' };
    default:
      throw new Error(`the infra program called ${token}, which the mocks do not answer`);
  }
}

const globalKeys = ['$app', '$dev', '$cli', 'sst', 'aws'] as const;

/**
 * Runs the app's `run()` for `stage` with `env` added to process.env, and returns what it
 * registered once registrations have settled.
 */
export async function deployWithMocks(
  stage: string,
  env: Record<string, string> = {},
): Promise<MockedDeploy> {
  if (!existsSync(join(platformDir, 'config.d.ts')))
    throw new Error('SST platform missing: run `bash scripts/sst-platform.sh` (pnpm check does)');
  const platformRequire = createRequire(join(platformDir, 'package.json'));
  const pulumi = platformRequire(
    '@pulumi/pulumi',
  ) as typeof import('../.sst/platform/node_modules/@pulumi/pulumi');
  const resources: MockedResource[] = [];
  const retained = new Set<string>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          retainOnDelete: retained.has(`${args.type}::${args.name}`),
        });
        return { id: `${args.name}-id`, state: state(args.type, args.name, args.inputs) };
      },
      call(args) {
        return invoke(args.token);
      },
    },
    'ade-cloud',
    stage,
    false,
  );

  const globals = globalThis as Record<string, unknown>;
  // Some component modules read $app when loaded; the app's own settings replace this below.
  globals.$app = { name: 'ade-cloud', stage, removal: 'remove', protect: false, providers: {} };
  const shim = (await import(pathToFileURL(join(platformDir, 'src/shim/run.js')).href)) as Record<
    string,
    unknown
  >;
  for (const [name, value] of Object.entries(shim)) globals[name] = value;
  globals.$dev = false;
  globals.$cli = {
    command: 'deploy',
    rpc: '',
    paths: { home: repoRoot, root: repoRoot, work: join(repoRoot, '.sst'), platform: platformDir },
    state: { version: {} },
  };
  globals.aws = platformRequire('@pulumi/aws');
  globals.sst = await import(pathToFileURL(join(platformDir, 'src/components/index.ts')).href);

  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const config = (await import(pathToFileURL(join(repoRoot, 'sst.config.ts')).href)).default as {
      app(input: { stage: string }): Promise<Record<string, unknown>>;
      run(): Promise<Record<string, unknown>>;
    };
    const app = await config.app({ stage });
    Object.assign(globals.$app as object, { name: app.name, removal: app.removal, protect: app.protect });
    // SST's own wrapper (what `sst deploy` runs): its transformations, e.g. `removal: retain`.
    const sstRun = (await import(pathToFileURL(join(platformDir, 'src/auto/run.ts')).href)).run as (
      program: () => Promise<Record<string, unknown>>,
    ) => Promise<Record<string, unknown>>;
    const returned = await pulumi.runtime.runInPulumiStack(() =>
      sstRun(() => {
        // Registered after SST's, so it sees the options they set.
        pulumi.runtime.registerStackTransformation((args) => {
          if (args.opts.retainOnDelete) retained.add(`${args.type}::${args.name}`);
          return undefined;
        });
        return config.run();
      }),
    );
    const outputs = await new Promise<Record<string, unknown>>((done, fail) => {
      const timer = setTimeout(() => fail(new Error("the program's outputs never resolved")), 20_000);
      pulumi.output(returned).apply((value) => {
        clearTimeout(timer);
        done(value as Record<string, unknown>);
      });
    });
    await settled(() => resources.length);
    return {
      resources,
      outputs,
      ofType: (type) => resources.filter((r) => r.type === type),
      one(type, name) {
        const found = resources.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1)
          throw new Error(
            `${found.length} ${type} named ${name}; have ${resources.map((r) => r.name).join(', ')}`,
          );
        return found[0]!;
      },
    };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    for (const key of globalKeys) delete globals[key];
  }
}

/** Resources registered inside `apply` callbacks arrive later: wait until none arrive for a while. */
async function settled(count: () => number, quietMs = 300, maxMs = 30_000): Promise<void> {
  const started = Date.now();
  let last = -1;
  while (Date.now() - started < maxMs) {
    if (count() === last) return;
    last = count();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}
