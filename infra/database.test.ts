import { createTableInput } from '@ade/core';
import { describe, expect, it } from 'vitest';
import { tableArgs } from './database.ts';

describe('infra table', () => {
  it('declares exactly the keys and indexes the local and test tables are created with', () => {
    const local = createTableInput('t');
    const args = tableArgs('dev');
    expect(Object.keys(args.fields).sort()).toEqual(
      local.AttributeDefinitions!.map((a) => a.AttributeName).sort(),
    );
    expect(args.primaryIndex).toEqual({
      hashKey: local.KeySchema!.find((k) => k.KeyType === 'HASH')!.AttributeName,
      rangeKey: local.KeySchema!.find((k) => k.KeyType === 'RANGE')!.AttributeName,
    });
    const localIndexes = Object.fromEntries(
      local.GlobalSecondaryIndexes!.map((index) => [
        index.IndexName,
        {
          hashKey: index.KeySchema![0]!.AttributeName,
          rangeKey: index.KeySchema![1]!.AttributeName,
          projection: 'all',
        },
      ]),
    );
    expect(args.globalIndexes).toEqual(localIndexes);
    expect(args.ttl).toBe('expiresAt');
  });

  it('protects the production table from deletion', () => {
    expect(tableArgs('production').deletionProtection).toBe(true);
    expect(tableArgs('alice').deletionProtection).toBe(false);
  });
});
