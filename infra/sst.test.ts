/**
 * What `sst deploy` would create, without AWS: sst.config.ts run under Pulumi's mocks with SST's
 * real components (infra/sst-mocks.ts). Expectations are written out here, not recomputed from
 * infra/, so a change to what a deploy creates shows up as a failing line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { functions, routes, scheduledFunctions } from '@ade/functions/routes';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainFromEnv } from './api.ts';
import { parseHandler } from './bundle.ts';
import { DEFAULT_GRANTS, GRANTS } from './permissions.ts';
import { deployWithMocks, type MockedDeploy, type MockedResource, repoRoot } from './sst-mocks.ts';

const TABLE = 'aws:dynamodb/table:Table';
const FUNCTION = 'aws:lambda/function:Function';
const ROUTE = 'aws:apigatewayv2/route:Route';
const INTEGRATION = 'aws:apigatewayv2/integration:Integration';
const ROLE_POLICY = 'aws:iam/rolePolicy:RolePolicy';

type Inputs = Record<string, any>;
const inputs = (r: MockedResource) => r.inputs as Inputs;

let dev: MockedDeploy;
let production: MockedDeploy;

beforeAll(async () => {
  dev = await deployWithMocks('alice');
  production = await deployWithMocks('production', { ADE_DOMAIN: 'mdm.example.net' });
}, 180_000);

function functionFor(deploy: MockedDeploy, name: string): MockedResource {
  const found = deploy.ofType(FUNCTION).filter((f) => inputs(f).tags?.['ade:function'] === name);
  expect(found, `one Lambda function for ${name}`).toHaveLength(1);
  return found[0]!;
}

describe('the table', () => {
  it('has the keys, indexes and TTL of the shared definition, on demand, with point-in-time recovery', () => {
    const table = inputs(dev.ofType(TABLE)[0]!);
    expect(dev.ofType(TABLE)).toHaveLength(1);
    expect(table).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      rangeKey: 'sk',
      ttl: { attributeName: 'expiresAt', enabled: true },
      pointInTimeRecovery: { enabled: true },
      streamEnabled: false,
    });
    expect(table.attributes).toEqual(
      ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((name) => ({ name, type: 'S' })),
    );
    expect(table.globalSecondaryIndexes).toEqual([
      { name: 'gsi1', hashKey: 'gsi1pk', rangeKey: 'gsi1sk', projectionType: 'ALL' },
      { name: 'gsi2', hashKey: 'gsi2pk', rangeKey: 'gsi2sk', projectionType: 'ALL' },
    ]);
  });

  it('is deletion-protected and retained in production only', () => {
    const [devTable] = dev.ofType(TABLE);
    const [prodTable] = production.ofType(TABLE);
    expect(inputs(devTable!).deletionProtectionEnabled).toBe(false);
    expect(devTable!.retainOnDelete).toBe(false);
    expect(inputs(prodTable!).deletionProtectionEnabled).toBe(true);
    expect(prodTable!.retainOnDelete).toBe(true);
    expect(production.outputs._protect).toBe(true);
    expect(dev.outputs._protect).toBe(false);
  });
});

describe('the secrets key', () => {
  it('is one rotating symmetric KMS key with an alias, kept in production', () => {
    for (const [deploy, stage, retained] of [
      [dev, 'alice', false],
      [production, 'production', true],
    ] as const) {
      const keys = deploy.ofType('aws:kms/key:Key');
      expect(keys).toHaveLength(1);
      expect(inputs(keys[0]!)).toMatchObject({
        keyUsage: 'ENCRYPT_DECRYPT',
        customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      });
      expect(keys[0]!.retainOnDelete).toBe(retained);
      expect(inputs(deploy.ofType('aws:kms/alias:Alias')[0]!).name).toBe(`alias/ade-cloud-${stage}-secrets`);
    }
  });
});

describe('the HTTP API', () => {
  it('has exactly the routes of routes.ts, each integrated with the function of its group', async () => {
    for (const deploy of [dev, production]) {
      const apiRoutes = deploy.ofType(ROUTE);
      expect(apiRoutes.map((r) => inputs(r).routeKey).sort()).toEqual(routes.map((r) => r.key).sort());
      for (const route of routes) {
        const apiRoute = apiRoutes.find((r) => inputs(r).routeKey === route.key)!;
        const integrationId = String(inputs(apiRoute).target).replace(/^integrations\//, '');
        const integration = deploy.ofType(INTEGRATION).find((i) => `${i.name}-id` === integrationId)!;
        expect(inputs(integration)).toMatchObject({
          integrationType: 'AWS_PROXY',
          payloadFormatVersion: '2.0',
        });
        const fn = deploy
          .ofType(FUNCTION)
          .find((f) => inputs(integration).integrationUri.endsWith(`:${f.name}`))!;
        expect(inputs(fn).tags['ade:function'], route.key).toBe(route.function);
        expect(inputs(fn).tags['ade:handler']).toBe(functions[route.function].handler);
      }
      // API Gateway may invoke each routed function, from this API only.
      for (const permission of deploy
        .ofType('aws:lambda/permission:Permission')
        .filter((p) => inputs(p).principal !== 'events.amazonaws.com'))
        expect(inputs(permission)).toMatchObject({
          action: 'lambda:InvokeFunction',
          principal: 'apigateway.amazonaws.com',
          sourceArn: expect.stringMatching(/^arn:aws:execute-api:[^:]+:\d+:ApiApi-id\/\*$/),
        });
    }
  });

  it('serves every handler from a bundle of a file that exists, exporting the handler', async () => {
    for (const [name, definition] of Object.entries(functions)) {
      const { entry, exportName } = parseHandler(definition.handler);
      expect(existsSync(join(repoRoot, entry)), entry).toBe(true);
      const fn = inputs(functionFor(dev, name));
      expect(fn.handler).toBe(`index.${exportName}`);
      const bundle = join(repoRoot, '.artifacts', 'lambda', name, 'index.mjs');
      const source = await import('node:fs').then((fs) => fs.readFileSync(bundle, 'utf8'));
      expect(source.startsWith("import{createRequire as __adeCreateRequire}from'node:module'")).toBe(true);
      expect(source).not.toMatch(/from\s*["']@aws-sdk\//); // the SDK is inside, not external
      expect(pathToFileURL(bundle).href).toContain('/.artifacts/lambda/');
    }
  });

  it('ships the GraphQL explorer in the GraphQL function package, and in no other', async () => {
    for (const name of [...Object.keys(functions), ...Object.keys(scheduledFunctions)]) {
      const code = inputs(functionFor(dev, name)).code;
      expect(code.__pulumiArchive, name).toBe(true);
      const dir: string = await code.path; // the folder zipped for the function (FileArchive)
      expect(dir).toBe(join(repoRoot, '.artifacts', 'lambda', name));
      expect(existsSync(join(dir, 'index.mjs')), name).toBe(true);
      expect(existsSync(join(dir, 'explorer', 'manifest.json')), name).toBe(name === 'graphql');
    }
    const explorer = join(repoRoot, '.artifacts', 'lambda', 'graphql', 'explorer');
    const manifest = JSON.parse(readFileSync(join(explorer, 'manifest.json'), 'utf8'));
    for (const asset of Object.keys(manifest.assets))
      expect(existsSync(join(explorer, 'assets', asset)), asset).toBe(true);
    expect(readFileSync(join(explorer, 'page.html'), 'utf8')).toMatch(
      /src="graphql\/explorer\/main-\w+\.js"/,
    );
  });

  it('uses the custom domain when ADE_DOMAIN is set, with its certificate', () => {
    expect(dev.ofType('aws:apigatewayv2/domainName:DomainName')).toHaveLength(0);
    const [domain] = production.ofType('aws:apigatewayv2/domainName:DomainName');
    expect(inputs(domain!)).toMatchObject({
      domainName: 'mdm.example.net',
      domainNameConfiguration: { endpointType: 'REGIONAL', securityPolicy: 'TLS_1_2' },
    });
    expect(inputs(production.ofType('aws:acm/certificate:Certificate')[0]!).domainName).toBe(
      'mdm.example.net',
    );
    expect(production.outputs.url).toBe('https://mdm.example.net');
    expect(production.outputs.domainTarget).toBe('d-ApiDomainName.execute-api.eu-west-1.amazonaws.com');
    expect(dev.outputs.domainTarget).toBeUndefined();
    expect(dev.outputs.url).toMatch(/^https:\/\/.+\.execute-api\.[^.]+\.amazonaws\.com$/);
  });

  it('reads the domain from ADE_DOMAIN, with ADE_DOMAIN_CERT_ARN when DNS is not in Route 53', () => {
    expect(domainFromEnv({})).toBeUndefined();
    expect(domainFromEnv({ ADE_DOMAIN: ' MDM.Example.net ' })).toBe('mdm.example.net');
    const cert = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';
    expect(domainFromEnv({ ADE_DOMAIN: 'mdm.example.net', ADE_DOMAIN_CERT_ARN: cert })).toEqual({
      name: 'mdm.example.net',
      dns: false,
      cert,
    });
    for (const bad of ['https://mdm.example.net', 'mdm.example.net/x', 'mdm.example.net:443', 'localhost'])
      expect(() => domainFromEnv({ ADE_DOMAIN: bad }), bad).toThrow(/not a host name/);
  });

  it('keeps access logs for 2 weeks, 3 months in production', () => {
    const retention = (deploy: MockedDeploy) =>
      inputs(deploy.one('aws:cloudwatch/logGroup:LogGroup', 'ApiAccessLog')).retentionInDays;
    expect(retention(dev)).toBe(14);
    expect(retention(production)).toBe(90);
  });
});

describe('the functions', () => {
  it('run on Node 22 with the memory and timeout of routes.ts, and know the table, key and public URL', () => {
    for (const [deploy, publicUrl, retention] of [
      [dev, dev.outputs.url, 14],
      [production, 'https://mdm.example.net', 90],
    ] as const) {
      const table = inputs(deploy.ofType(TABLE)[0]!).name;
      const key = deploy.outputs.secretsKey;
      const all = { ...functions, ...scheduledFunctions };
      expect(deploy.ofType(FUNCTION)).toHaveLength(Object.keys(all).length);
      for (const [name, definition] of Object.entries(all)) {
        const fn = inputs(functionFor(deploy, name));
        expect(fn).toMatchObject({
          runtime: 'nodejs22.x',
          memorySize: definition.memoryMb,
          timeout: definition.timeoutSeconds,
          environment: {
            variables: { ADE_TABLE_NAME: table, ADE_KMS_KEY_ID: key, ADE_PUBLIC_URL: publicUrl },
          },
        });
        expect(Object.keys(fn.environment.variables).filter((v) => /SECRET|PASSWORD|TOKEN/i.test(v))).toEqual(
          [],
        );
        const logGroup = deploy
          .ofType('aws:cloudwatch/logGroup:LogGroup')
          .find((g) => inputs(g).name === fn.loggingConfig.logGroup)!;
        expect(inputs(logGroup).retentionInDays).toBe(retention);
      }
    }
  });

  it('each hold exactly their own grants: no wildcard, no managed policy', () => {
    const table = inputs(production.ofType(TABLE)[0]!).name;
    const tableArn = `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}`;
    const keyArn = production.outputs.secretsKey;
    const logs = (name: string) => ({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`arn:aws:logs:eu-west-1:123456789012:log-group:/ade-cloud/production/functions/${name}:*`],
    });
    const onTable = (...actions: string[]) => ({
      Effect: 'Allow',
      Action: actions.map((a) => `dynamodb:${a}`),
      Resource: [tableArn],
    });
    const kms = (...actions: string[]) => ({
      Effect: 'Allow',
      Action: actions.map((a) => `kms:${a}`),
      Resource: [keyArn],
    });
    const expected: Record<string, unknown[]> = {
      graphql: [
        logs('graphql'),
        onTable('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'BatchGetItem'),
        { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [tableArn, `${tableArn}/index/*`] },
        kms('GenerateDataKey', 'Decrypt'),
      ],
      discovery: [logs('discovery'), onTable('GetItem', 'BatchWriteItem')],
      auth: [
        logs('auth'),
        onTable('GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
        kms('GenerateDataKey', 'Decrypt'),
      ],
      enroll: [
        logs('enroll'),
        onTable('GetItem', 'PutItem', 'UpdateItem'),
        kms('GenerateDataKey', 'Decrypt'),
      ],
      checkin: [
        logs('checkin'),
        onTable('GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
        { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [tableArn, `${tableArn}/index/*`] },
        kms('GenerateDataKey', 'Decrypt'),
      ],
      connect: [logs('connect'), onTable('GetItem', 'Query', 'UpdateItem', 'DeleteItem'), kms('Decrypt')],
      rollouts: [
        logs('rollouts'),
        onTable('GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
        { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [tableArn, `${tableArn}/index/*`] },
        kms('GenerateDataKey', 'Decrypt'),
      ],
    };
    const policies = production.ofType(ROLE_POLICY);
    const all = { ...functions, ...scheduledFunctions };
    expect(policies).toHaveLength(Object.keys(all).length);
    for (const [name, definition] of Object.entries(all)) {
      const fn = inputs(functionFor(production, name));
      const role = production.ofType('aws:iam/role:Role').find((r) => fn.role.endsWith(`/${r.name}`))!;
      expect(JSON.parse(inputs(role).assumeRolePolicy).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      const policy = policies.find((p) => inputs(p).role === `${role.name}-id`)!;
      const statements = JSON.parse(inputs(policy).policy).Statement as {
        Action: string[];
        Resource: string[];
      }[];
      for (const statement of statements) {
        expect(statement.Action.some((a) => a.includes('*'))).toBe(false);
        expect(statement.Resource).not.toContain('*');
      }
      if (name in expected) expect(statements, name).toEqual(expected[name]);
      else {
        // A function routes.ts gained after this test was written: on its default grants.
        const defaults =
          'deviceFacing' in definition && definition.deviceFacing
            ? DEFAULT_GRANTS.deviceFacing
            : DEFAULT_GRANTS.admin;
        expect(
          GRANTS[name],
          `${name} has grants in infra/permissions.ts but no expectation here`,
        ).toBeUndefined();
        expect(statements.flatMap((s) => s.Action)).toEqual(
          expect.arrayContaining([...defaults.dynamodb, ...defaults.kms]),
        );
      }
    }
    for (const type of ['aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'aws:iam/policy:Policy'])
      expect(production.ofType(type)).toEqual([]);
  });
});

describe('the scheduled functions', () => {
  it('run the rollout worker on its schedule, invocable by its rule only', () => {
    for (const [name, definition] of Object.entries(scheduledFunctions)) {
      const fn = functionFor(production, name);
      expect(inputs(fn)).toMatchObject({
        timeout: definition.timeoutSeconds,
        memorySize: definition.memoryMb,
        handler: `index.${parseHandler(definition.handler).exportName}`,
      });
      expect(existsSync(join(repoRoot, parseHandler(definition.handler).entry))).toBe(true);
      const rule = production.ofType('aws:cloudwatch/eventRule:EventRule');
      expect(rule.map((r) => inputs(r).scheduleExpression)).toEqual([definition.schedule]);
      const [target] = production.ofType('aws:cloudwatch/eventTarget:EventTarget');
      expect(inputs(target!).arn).toBe(`arn:aws:lambda:eu-west-1:123456789012:function:${fn.name}`);
      const invoke = production
        .ofType('aws:lambda/permission:Permission')
        .filter((p) => inputs(p).principal === 'events.amazonaws.com');
      expect(invoke).toHaveLength(1);
      expect(inputs(invoke[0]!)).toMatchObject({
        action: 'lambda:InvokeFunction',
        function: fn.name,
        sourceArn: expect.stringMatching(/RolloutsSchedule$/),
      });
      // No route reaches it.
      expect(routes.some((r) => r.function === name)).toBe(false);
    }
  });
});
