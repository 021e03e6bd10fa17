/**
 * The deployment's access-token key, against DynamoDB Local: made once (racing containers end with
 * one key), stored sealed under the secrets key (never its bytes), opened by every later container,
 * and useless under another master key.
 */

import { createCore } from '@ade/core';
import { ephemeralKeyManagement } from '@ade/core/secrets/index';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';

const db = useTestDatabase();

describe('the access-token signing key', () => {
  it('is made once by racing containers, kept sealed, and shared by every container', async () => {
    const keys = ephemeralKeyManagement();
    const containers = Array.from({ length: 4 }, () => createCore(db(), { keys }));
    const macs = await Promise.all(containers.map((c) => c.options.tokenSigner.sign('same data')));
    expect(new Set(macs).size).toBe(1); // one key, whoever won the race
    const later = createCore(db(), { keys });
    expect(await later.options.tokenSigner.verify('same data', macs[0]!)).toBe(true);

    const { Items = [] } = await db().client.send(new ScanCommand({ TableName: db().tableName }));
    const stored = Items.filter((item) => item.sk?.S === 'SECRET#access-token-signing');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.pk?.S).toBe('OPERATOR');
    expect(JSON.stringify(stored[0])).not.toMatch(/"plaintext"|"key"/);

    // Another deployment's master key cannot open it: tokens then cannot be signed at all.
    const foreign = createCore(db(), { keys: ephemeralKeyManagement() });
    await expect(foreign.options.tokenSigner.sign('same data')).rejects.toThrow();
  });
});
