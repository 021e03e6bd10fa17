import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bootstrapPartner } from '../../scripts/bootstrap-partner.ts';
import { useTestCore } from '../support/core.ts';
import { localEndpoint } from '../support/database.ts';
import { gqlOk } from '../support/graphql.ts';

const core = useTestCore();

describe('operator bootstrap script', () => {
  it('creates a partner whose printed key works as its ADMIN key', async () => {
    const result = await bootstrapPartner(core(), 'Bootstrapped MSP');
    const data = await gqlOk(core(), result.apiKey, '{ viewer { kind role partner { id name } } }');
    expect(data.viewer).toEqual({
      kind: 'PARTNER',
      role: 'ADMIN',
      partner: { id: result.partnerId, name: 'Bootstrapped MSP' },
    });
  });

  it('runs as a command against a configured table', async () => {
    const { stdout } = await promisify(execFile)(
      'node',
      [
        '--import',
        'tsx',
        'scripts/bootstrap-partner.ts',
        '--name',
        'CLI MSP',
        '--table',
        core().db.tableName,
        '--endpoint',
        localEndpoint(),
        '--json',
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
        },
      },
    );
    const printed = JSON.parse(stdout);
    const data = await gqlOk(core(), printed.apiKey, '{ viewer { partner { name } } }');
    expect(data.viewer.partner.name).toBe('CLI MSP');
  });

  it('takes the deployed table from `sst shell` (SST_RESOURCE_Table) when --table is not given', async () => {
    const { stdout } = await promisify(execFile)(
      'node',
      [
        '--import',
        'tsx',
        'scripts/bootstrap-partner.ts',
        '--name',
        'Shell MSP',
        '--endpoint',
        localEndpoint(),
        '--json',
      ],
      {
        env: {
          ...process.env,
          SST_RESOURCE_Table: JSON.stringify({ name: core().db.tableName, type: 'sst.aws.Dynamo' }),
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
        },
      },
    );
    const data = await gqlOk(core(), JSON.parse(stdout).apiKey, '{ viewer { partner { name } } }');
    expect(data.viewer.partner.name).toBe('Shell MSP');
  });

  it('bootstrap-operator runs as a command and prints an operator key, its creation audited', async () => {
    const { stdout } = await promisify(execFile)(
      'node',
      [
        '--import',
        'tsx',
        'scripts/bootstrap-operator.ts',
        '--name',
        'Ops: CLI',
        '--role',
        'READ_ONLY',
        '--table',
        core().db.tableName,
        '--endpoint',
        localEndpoint(),
        '--json',
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
        },
      },
    );
    const printed = JSON.parse(stdout);
    expect(printed).toMatchObject({
      name: 'Ops: CLI',
      role: 'READ_ONLY',
      keyId: expect.stringMatching(/^key_op_/),
    });
    const data = await gqlOk(
      core(),
      printed.apiKey,
      '{ viewer { kind role } operator { auditEvents { nodes { action actorKind actorId targetId } } } }',
    );
    expect(data.viewer).toEqual({ kind: 'OPERATOR', role: 'READ_ONLY' });
    expect(data.operator.auditEvents.nodes).toContainEqual({
      action: 'apiKey.create',
      actorKind: 'system',
      actorId: expect.stringMatching(/^bootstrap-operator \(/),
      targetId: `key_${printed.keyId.split('_').at(-1)}`,
    });
  });
});
