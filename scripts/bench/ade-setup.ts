/**
 * DynamoDB requests per ADE-setup mutation (issue figures): setting a 3-domain configuration (new,
 * unchanged, changed), moving it, uploading a server token. Counted at the DynamoDB client, per
 * command, for the core operation (authentication of the API key, one GetItem, is listed apart).
 * Apple is the fake Device Assignment API on 127.0.0.1; the .p7m is made by openssl.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { DeviceAssignmentClient } from '@ade/apple';
import { type Core, createCore, createDatabase, runAs } from '@ade/core';
import { ephemeralKeyManagement } from '@ade/core/secrets/index';
import { startDynamoLocal } from '@ade/local/dynamodb-local';
import { ensureTable } from '@ade/local/table';
import { FakeDeviceAssignment } from '../../test/fakes/apple-device-assignment.ts';
import { issueServerToken } from '../../test/support/apple.ts';
import { environment, table, writeResult } from './common.ts';

async function measure<T>(
  core: Core,
  label: string,
  fn: () => Promise<T>,
): Promise<{ label: string; total: number; byCommand: Record<string, number>; ms: number; value: T }> {
  core.db.requests.reset();
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  return { label, total: core.db.requests.total(), byCommand: { ...core.db.requests.byCommand }, ms, value };
}

export async function runAdeSetupBench() {
  const dynamo = await startDynamoLocal();
  const apple = await FakeDeviceAssignment.start();
  try {
    const db = createDatabase({ tableName: 'bench-ade', endpoint: dynamo.endpoint });
    await ensureTable(db.client, db.tableName);
    const core = createCore(db, {
      keys: ephemeralKeyManagement(),
      publicUrl: 'https://mdm.bench.example',
      deviceAssignment: (credentials) =>
        new DeviceAssignmentClient({ credentials, userAgent: 'bench', baseUrl: apple.url }),
    });
    const system = { kind: 'system', role: 'ADMIN', name: 'bench' } as const;
    const { partner } = await runAs(system, () =>
      core.partners.create({ name: 'Bench MSP', firstKeyName: null }),
    );
    const tenant = await runAs(system, () => core.tenants.create({ name: 'Bench' }, partner.partnerId));
    const key = await runAs(system, () =>
      core.apiKeys.createFor(tenant.tenantId, { name: 'bench', role: 'ADMIN' }),
    );
    const auth = await measure(core, 'authenticate the API key (every request)', () =>
      core.apiKeys.authenticate(key.secret),
    );
    const actor = auth.value;
    const inTenant = <T>(fn: () => Promise<T>) =>
      runAs(actor, () => core.tenancy.inTenant(tenant.tenantId, fn));
    const target = await inTenant(() =>
      core.policies.create({ parentId: tenant.rootPolicyId, name: 'Target' }),
    );
    const domains = ['one.bench.example', 'two.bench.example', 'three.bench.example'];
    const input = {
      policyId: tenant.rootPolicyId,
      enrollmentType: 'USER' as const,
      domains,
      authMethod: 'MANAGED_APPLE_ACCOUNT' as const,
    };

    const rows: {
      label: string;
      total: number;
      byCommand: Record<string, number>;
      ms: number;
      value: unknown;
    }[] = [
      auth,
      await measure(core, 'setAdeConfiguration, 3 domains, new', () =>
        inTenant(() => core.adeConfigurations.set(input)),
      ),
      await measure(core, 'setAdeConfiguration, same input again', () =>
        inTenant(() => core.adeConfigurations.set(input)),
      ),
      await measure(core, 'setAdeConfiguration, 1 domain swapped', () =>
        inTenant(() =>
          core.adeConfigurations.set({
            ...input,
            domains: ['one.bench.example', 'two.bench.example', 'four.bench.example'],
          }),
        ),
      ),
    ];
    const configurationId = (rows[1]!.value as { item: { configurationId: string } }).item.configurationId;
    rows.push(
      await measure(core, 'moveAdeConfiguration (no fallback tokens)', () =>
        inTenant(() => core.adeConfigurations.move(configurationId, target.policyId)),
      ),
    );
    const token = await inTenant(() => core.adeTokens.create({ name: 'Bench token' }));
    const file = issueServerToken(apple, token.certificatePem).file;
    rows.push(
      await measure(core, 'uploadAdeServerToken (+1 call to Apple /account)', () =>
        inTenant(() => core.adeTokens.upload(token.tokenId, file)),
      ),
    );

    const result = rows.map(({ label, total, byCommand, ms }) => ({
      label,
      total,
      byCommand,
      ms: Math.round(ms * 10) / 10,
    }));
    console.log(
      table(
        ['operation', 'requests', 'by command', 'ms'],
        result.map((r) => [
          r.label,
          r.total,
          Object.entries(r.byCommand)
            .map(([c, n]) => `${c.replace(/Command$/, '')}×${n}`)
            .join(' + '),
          r.ms,
        ]),
      ),
    );
    console.log(
      `\n${writeResult('ade-setup', { name: 'ade-setup', environment: environment(), results: result })}`,
    );
    db.client.destroy();
    return result;
  } finally {
    await apple.close();
    await dynamo.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runAdeSetupBench();
