/**
 * The device functions' own DynamoDB client (packages/core/src/db/wire.ts), proven against the
 * AWS SDK: the same DocumentClient calls give the same results and leave the same items on
 * DynamoDB Local; ElectroDB behaves the same on both; errors have the SDK's names; retries and
 * timeouts hold against a local fault server; and requests are signed exactly as SigV4 specifies,
 * checked by a verifier written here from the specification and first proven on the SDK's own
 * requests. Nothing is mocked: every request crosses a socket.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  createWireDatabase,
  type DynamoDBError,
  type WireDatabase,
  type WireRequest,
} from '@ade/core/db/wire';
import { createService } from '@ade/core/entities/service';
import { StoreUnavailableError, unavailableIn } from '@ade/core/errors';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { Entity, Service } from 'electrodb';
import * as esbuild from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { localEndpoint, useTestDatabase } from '../support/database.ts';

const db = useTestDatabase('wire');
let wire: WireDatabase;

beforeAll(() => {
  wire = createWireDatabase({ tableName: db().tableName, endpoint: localEndpoint() });
});
afterAll(() => wire?.close());
afterEach(() => {
  vi.unstubAllEnvs();
});

const table = () => db().tableName;
const sdk = () => db().document;

/** A result without `$metadata` (request ids and timings differ by nature). */
function body<T extends object>(result: T): Omit<T, '$metadata'> {
  const { $metadata: _metadata, ...rest } = result as T & { $metadata?: unknown };
  return rest;
}

async function viaSdk(command: object): Promise<any> {
  return body(await sdk().send(command as any));
}

async function viaWire<T extends object>(request: WireRequest<T>) {
  return body(await request.promise());
}

/** The rejection of `run`, which must reject. */
async function failure(run: () => Promise<unknown>): Promise<any> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * The same value with each client's partition token replaced by one token, so that what two
 * clients did to their own items can be compared (ElectroDB lower-cases keys: case-insensitive).
 */
function same(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/zz(wire|sdk)zz/gi, 'zzclientzz');
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  if (value instanceof Set) return new Set([...value].map(same));
  if (Array.isArray(value)) return value.map(same);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [same(k), same(v)]));
}

const CLIENTS = ['zzwirezz', 'zzsdkzz'] as const;

/** Everything DynamoDB stores, in all the shapes a DocumentClient marshalls. */
function richItem(pk: string, sk: string) {
  return {
    pk,
    sk,
    text: 'héllo ✓ "quoted" \\ \n\t end',
    empty: '',
    int: 42,
    negative: -7,
    float: Math.PI,
    maxSafe: Number.MAX_SAFE_INTEGER,
    zero: 0,
    yes: true,
    no: false,
    nothing: null,
    gone: undefined,
    list: [1, 'two', null, false, { deep: [new Uint8Array([0, 255]), undefined] }, [], {}],
    map: { a: { b: { c: 'd', removed: undefined, emptyMap: {}, emptyList: [] } } },
    bytes: new Uint8Array([0, 1, 2, 250, 255]),
    strings: new Set(['a', 'b', 'ç']),
    numbers: new Set([1, 2.5, -3]),
    binaries: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
  };
}

/** What a DocumentClient reads back: `undefined`s removed at every depth. */
function stored(item: ReturnType<typeof richItem>) {
  const { gone: _gone, ...rest } = item;
  return {
    ...rest,
    list: [1, 'two', null, false, { deep: [new Uint8Array([0, 255])] }, [], {}],
    map: { a: { b: { c: 'd', emptyMap: {}, emptyList: [] } } },
  };
}

describe('parity with the AWS SDK DocumentClient on DynamoDB Local', () => {
  it('put and get: every attribute type, undefined removed, binaries as Uint8Array, sets as Set', async () => {
    const [w, s] = CLIENTS;
    const wireItem = richItem(`RICH#${w}`, 'item');
    const sdkItem = richItem(`RICH#${s}`, 'item');
    expect(await viaWire(wire.document.put({ TableName: table(), Item: wireItem }))).toEqual(
      await viaSdk(new PutCommand({ TableName: table(), Item: sdkItem })),
    );

    const reads = [];
    for (const pk of [wireItem.pk, sdkItem.pk]) {
      const Key = { pk, sk: 'item' };
      const bySdk = await viaSdk(new GetCommand({ TableName: table(), Key, ConsistentRead: true }));
      const byWire = await viaWire(wire.document.get({ TableName: table(), Key, ConsistentRead: true }));
      expect(byWire).toStrictEqual(bySdk);
      reads.push(same(byWire));
    }
    // Each client reads what the other wrote, identically, and it is the item minus its undefineds.
    expect(reads[0]).toStrictEqual(reads[1]);
    expect(reads[0]).toEqual({ Item: same(stored(wireItem)) });
    const read = reads[0] as { Item: Record<string, unknown> };
    expect(read.Item.bytes).toBeInstanceOf(Uint8Array);
    expect(read.Item.binaries).toBeInstanceOf(Set);

    // Byte for byte the same item in DynamoDB's own form.
    const raw = async (pk: string) =>
      (
        await db().client.send(
          new GetItemCommand({ TableName: table(), Key: { pk: { S: pk }, sk: { S: 'item' } } }),
        )
      ).Item;
    expect(same(await raw(wireItem.pk))).toEqual(same(await raw(sdkItem.pk)));

    const missing = { TableName: table(), Key: { pk: 'RICH#none', sk: 'item' } };
    expect(await viaWire(wire.document.get(missing))).toEqual(await viaSdk(new GetCommand(missing)));
    expect(await viaWire(wire.document.get(missing))).toEqual({});
  });

  it('update: SET, ADD, REMOVE, DELETE, conditions and every ReturnValues', async () => {
    const steps = (pk: string): UpdateCommandInput[] => [
      {
        TableName: table(),
        Key: { pk, sk: 'u' },
        UpdateExpression:
          'SET #m = :map, #c = if_not_exists(#c, :zero) + :one, #l = list_append(if_not_exists(#l, :empty), :more), #b = :bytes ADD #s :tags',
        ExpressionAttributeNames: { '#m': 'map', '#c': 'count', '#l': 'list', '#s': 'tags', '#b': 'bytes' },
        ExpressionAttributeValues: {
          ':map': { nested: { n: 1, gone: undefined }, flag: true },
          ':zero': 0,
          ':one': 1,
          ':empty': [],
          ':more': ['x', 2, null],
          ':tags': new Set(['red', 'green']),
          ':bytes': new Uint8Array([9, 8, 7]),
        },
        ReturnValues: 'ALL_NEW' as const,
      },
      {
        TableName: table(),
        Key: { pk, sk: 'u' },
        UpdateExpression: 'SET #m.nested.n = #m.nested.n + :two, #e = :empty ADD #c :two REMOVE #m.flag',
        ConditionExpression: '#c = :one AND attribute_exists(#m.nested)',
        ExpressionAttributeNames: { '#m': 'map', '#c': 'count', '#e': 'emptyText' },
        ExpressionAttributeValues: { ':two': 2, ':one': 1, ':empty': '' },
        ReturnValues: 'UPDATED_OLD' as const,
      },
      {
        TableName: table(),
        Key: { pk, sk: 'u' },
        UpdateExpression: 'DELETE #s :red REMOVE #l[0]',
        ExpressionAttributeNames: { '#s': 'tags', '#l': 'list' },
        ExpressionAttributeValues: { ':red': new Set(['red']) },
        ReturnValues: 'UPDATED_NEW' as const,
      },
      {
        TableName: table(),
        Key: { pk, sk: 'u' },
        UpdateExpression: 'SET #c = :n',
        ExpressionAttributeNames: { '#c': 'count' },
        ExpressionAttributeValues: { ':n': 10.5 },
        ReturnValues: 'ALL_OLD' as const,
      },
      {
        TableName: table(),
        Key: { pk, sk: 'u' },
        UpdateExpression: 'SET #c = :n',
        ExpressionAttributeNames: { '#c': 'count' },
        ExpressionAttributeValues: { ':n': -1 },
      },
    ];
    const [w, s] = CLIENTS;
    for (const [index, step] of steps(`UPD#${w}`).entries()) {
      const sdkStep = steps(`UPD#${s}`)[index]!;
      const byWire = await viaWire(wire.document.update(step));
      const bySdk = await viaSdk(new UpdateCommand(sdkStep));
      expect(same(byWire), `step ${index}`).toStrictEqual(same(bySdk));
    }
    const final = async (pk: string) =>
      same(await viaWire(wire.document.get({ TableName: table(), Key: { pk, sk: 'u' } })));
    expect(await final(`UPD#${w}`)).toStrictEqual(await final(`UPD#${s}`));
    expect(await final(`UPD#${w}`)).toEqual({
      Item: {
        pk: 'UPD#zzclientzz',
        sk: 'u',
        map: { nested: { n: 3 } },
        count: -1,
        list: [2, null],
        tags: new Set(['green']),
        bytes: new Uint8Array([9, 8, 7]),
        emptyText: '',
      },
    });

    // The condition that now fails, through both clients.
    const [failing] = steps(`UPD#${w}`).slice(1);
    const wireError = await failure(() => wire.document.update(failing!).promise());
    const sdkError = await failure(() => sdk().send(new UpdateCommand(steps(`UPD#${s}`)[1]!)));
    expect(wireError.name).toBe('ConditionalCheckFailedException');
    expect([wireError.name, wireError.message, wireError.$fault]).toEqual([
      sdkError.name,
      sdkError.message,
      sdkError.$fault,
    ]);
  });

  it('delete with ReturnValues and a condition', async () => {
    for (const client of CLIENTS) {
      await sdk().send(new PutCommand({ TableName: table(), Item: richItem(`DEL#${client}`, 'd') }));
    }
    const params = (pk: string) => ({
      TableName: table(),
      Key: { pk, sk: 'd' },
      ConditionExpression: '#y = :yes',
      ExpressionAttributeNames: { '#y': 'yes' },
      ExpressionAttributeValues: { ':yes': true },
      ReturnValues: 'ALL_OLD' as const,
    });
    const byWire = await viaWire(wire.document.delete(params('DEL#zzwirezz')));
    const bySdk = await viaSdk(new DeleteCommand(params('DEL#zzsdkzz')));
    expect(same(byWire)).toStrictEqual(same(bySdk));
    expect(same(byWire)).toEqual({ Attributes: same(stored(richItem('DEL#zzclientzz', 'd'))) });
    for (const pk of ['DEL#zzwirezz', 'DEL#zzsdkzz']) {
      expect(await viaSdk(new GetCommand({ TableName: table(), Key: { pk, sk: 'd' } }))).toEqual({});
    }
    const again = await failure(() => wire.document.delete(params('DEL#zzwirezz')).promise());
    expect(again.name).toBe('ConditionalCheckFailedException');
  });

  it('query: key conditions, begins_with, an index, filters and pages (Limit, ExclusiveStartKey)', async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({
      pk: 'QUERY',
      sk: `item#${i}`,
      gsi1pk: 'QUERY-BY-SIZE',
      gsi1sk: `size#${String(i % 3)}#${i}`,
      size: i % 3,
      blob: new Uint8Array([i]),
    }));
    await sdk().send(
      new BatchWriteCommand({
        RequestItems: {
          [table()]: [...items, { pk: 'QUERY', sk: 'other#1' }].map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
    const queries: QueryCommandInput[] = [
      {
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': 'QUERY', ':prefix': 'item#' },
        Limit: 3,
      },
      {
        TableName: table(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :from',
        FilterExpression: '#s <> :skip',
        ExpressionAttributeNames: { '#s': 'size' },
        ExpressionAttributeValues: { ':pk': 'QUERY-BY-SIZE', ':from': 'size#0', ':skip': 2 },
        ScanIndexForward: false,
        Limit: 2,
      },
      {
        TableName: table(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'QUERY' },
        ProjectionExpression: 'sk, #b',
        ExpressionAttributeNames: { '#b': 'blob' },
        Select: 'SPECIFIC_ATTRIBUTES',
      },
    ];
    for (const query of queries) {
      let start: Record<string, unknown> | undefined;
      const seen: unknown[] = [];
      let pages = 0;
      do {
        const page = { ...query, ExclusiveStartKey: start };
        const byWire = await viaWire(wire.document.query(page));
        const bySdk = await viaSdk(new QueryCommand(page));
        expect(byWire).toStrictEqual(bySdk);
        seen.push(...(byWire.Items ?? []));
        start = byWire.LastEvaluatedKey;
        pages++;
      } while (start);
      expect(pages).toBeGreaterThan(query.Limit ? 1 : 0);
      expect(seen.length).toBeGreaterThan(0);
    }
    const all = await viaWire(wire.document.query(queries[0]!));
    expect(all.Items?.map((item) => item.sk)).toEqual(['item#0', 'item#1', 'item#2']);
  });

  it('scan: a filter and pages', async () => {
    const scan = {
      TableName: table(),
      FilterExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': 'QUERY' },
      Limit: 4,
    };
    let start: Record<string, unknown> | undefined;
    let count = 0;
    do {
      const page = { ...scan, ExclusiveStartKey: start };
      const byWire = await viaWire(wire.document.scan(page));
      expect(byWire).toStrictEqual(await viaSdk(new ScanCommand(page)));
      count += byWire.Count ?? 0;
      start = byWire.LastEvaluatedKey;
    } while (start);
    expect(count).toBe(8);
  });

  it('batchWrite and batchGet', async () => {
    const writes = (client: string) => ({
      RequestItems: {
        [table()]: [
          { PutRequest: { Item: richItem(`BATCH#${client}`, 'a') } },
          { PutRequest: { Item: { pk: `BATCH#${client}`, sk: 'b', tags: new Set(['x']) } } },
          { PutRequest: { Item: { pk: `BATCH#${client}`, sk: 'c', gone: undefined } } },
          { DeleteRequest: { Key: { pk: `BATCH#${client}`, sk: 'never-there' } } },
        ],
      },
    });
    expect(await viaWire(wire.document.batchWrite(writes('zzwirezz')))).toEqual(
      await viaSdk(new BatchWriteCommand(writes('zzsdkzz'))),
    );
    await viaWire(
      wire.document.batchWrite({
        RequestItems: { [table()]: [{ DeleteRequest: { Key: { pk: 'BATCH#zzwirezz', sk: 'c' } } }] },
      }),
    );
    await viaSdk(
      new BatchWriteCommand({
        RequestItems: { [table()]: [{ DeleteRequest: { Key: { pk: 'BATCH#zzsdkzz', sk: 'c' } } }] },
      }),
    );

    const reads = (client: string) => ({
      RequestItems: {
        [table()]: {
          Keys: ['a', 'b', 'c', 'missing'].map((sk) => ({ pk: `BATCH#${client}`, sk })),
          ConsistentRead: true,
        },
      },
    });
    const sorted = (result: { Responses?: Record<string, Record<string, any>[]> }) => ({
      ...result,
      Responses: {
        [table()]: [...(result.Responses?.[table()] ?? [])].sort((a, b) => (a.sk < b.sk ? -1 : 1)),
      },
    });
    for (const client of CLIENTS) {
      const byWire = sorted(await viaWire(wire.document.batchGet(reads(client))));
      expect(byWire).toStrictEqual(sorted(await viaSdk(new BatchGetCommand(reads(client)))));
    }
    const wireRead = sorted(await viaWire(wire.document.batchGet(reads('zzwirezz'))));
    const sdkRead = sorted(await viaWire(wire.document.batchGet(reads('zzsdkzz'))));
    expect(same(wireRead)).toStrictEqual(same(sdkRead));
    expect(wireRead.Responses[table()]?.map((item) => item.sk)).toEqual(['a', 'b']);
    expect(wireRead).toMatchObject({ UnprocessedKeys: {} });
  });

  it('transactWrite and transactGet', async () => {
    for (const client of CLIENTS) {
      await sdk().send(
        new BatchWriteCommand({
          RequestItems: {
            [table()]: ['keep', 'bump', 'drop'].map((sk) => ({
              PutRequest: { Item: { pk: `TX#${client}`, sk, count: 1 } },
            })),
          },
        }),
      );
    }
    const transaction = (pk: string) => ({
      TransactItems: [
        {
          Put: {
            TableName: table(),
            Item: richItem(pk, 'new'),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: table(),
            Key: { pk, sk: 'bump' },
            UpdateExpression: 'ADD #c :n SET #t = :tags',
            ExpressionAttributeNames: { '#c': 'count', '#t': 'tags' },
            ExpressionAttributeValues: { ':n': 41, ':tags': new Set([1, 2]) },
          },
        },
        { Delete: { TableName: table(), Key: { pk, sk: 'drop' } } },
        {
          ConditionCheck: {
            TableName: table(),
            Key: { pk, sk: 'keep' },
            ConditionExpression: '#c = :one',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
    });
    expect(await viaWire(wire.document.transactWrite(transaction('TX#zzwirezz')))).toEqual(
      await viaSdk(new TransactWriteCommand(transaction('TX#zzsdkzz'))),
    );

    const gets = (pk: string) => ({
      TransactItems: ['new', 'bump', 'drop', 'keep'].map((sk) => ({
        Get: { TableName: table(), Key: { pk, sk } },
      })),
    });
    const reads: unknown[] = [];
    for (const client of CLIENTS) {
      const byWire = await viaWire(wire.document.transactGet(gets(`TX#${client}`)));
      expect(byWire).toStrictEqual(await viaSdk(new TransactGetCommand(gets(`TX#${client}`))));
      reads.push(same(byWire));
    }
    expect(reads[0]).toStrictEqual(reads[1]);
    expect(reads[0]).toEqual({
      Responses: [
        { Item: same(stored(richItem('TX#zzclientzz', 'new'))) },
        { Item: { pk: 'TX#zzclientzz', sk: 'bump', count: 42, tags: new Set([1, 2]) } },
        {},
        { Item: { pk: 'TX#zzclientzz', sk: 'keep', count: 1 } },
      ],
    });

    // Canceled: the same error, the same reasons (in DynamoDB's form, as the SDK leaves them).
    const wireError = await failure(() => wire.document.transactWrite(transaction('TX#zzwirezz')).promise());
    const sdkError = await failure(() => sdk().send(new TransactWriteCommand(transaction('TX#zzsdkzz'))));
    expect(wireError.name).toBe('TransactionCanceledException');
    expect([wireError.name, wireError.message, wireError.$fault]).toEqual([
      sdkError.name,
      sdkError.message,
      sdkError.$fault,
    ]);
    expect(wireError.CancellationReasons).toEqual(sdkError.CancellationReasons);
    expect(wireError.CancellationReasons.map((reason: { Code: string }) => reason.Code)).toEqual([
      'ConditionalCheckFailed',
      'None',
      'None',
      'None',
    ]);
  });

  it('counts one request per call, under the SDK command names', async () => {
    wire.requests.reset();
    const Key = { pk: 'COUNT', sk: 'c' };
    await wire.document.put({ TableName: table(), Item: Key }).promise();
    await wire.document.get({ TableName: table(), Key }).promise();
    await wire.document
      .query({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'COUNT' },
      })
      .promise();
    await wire.document.transactGet({ TransactItems: [{ Get: { TableName: table(), Key } }] }).promise();
    await failure(() =>
      wire.document
        .put({ TableName: table(), Item: Key, ConditionExpression: 'attribute_not_exists(pk)' })
        .promise(),
    );
    expect(wire.requests.byCommand).toEqual({
      PutItemCommand: 2,
      GetItemCommand: 1,
      QueryCommand: 1,
      TransactGetItemsCommand: 1,
    });
    expect(wire.requests.total()).toBe(5);
  });
});

describe('errors have the names the SDK gives them', () => {
  it('ConditionalCheckFailedException, with the old item when asked', async () => {
    const Item = { pk: 'ERR', sk: 'exists', bytes: new Uint8Array([1, 2]) };
    await sdk().send(new PutCommand({ TableName: table(), Item }));
    const put = {
      TableName: table(),
      Item,
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    const wireError = await failure(() => wire.document.put(put).promise());
    const sdkError = await failure(() => sdk().send(new PutCommand(put)));
    expect(wireError.constructor.name).toBe('DynamoDBError');
    expect(wireError).toBeInstanceOf(Error);
    expect(wireError.name).toBe('ConditionalCheckFailedException');
    expect(wireError.message).toBe(sdkError.message);
    expect(wireError.$fault).toBe('client');
    expect(wireError.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
    expect(wireError.$metadata.requestId).toEqual(expect.any(String));
    expect(wireError.Item).toEqual(sdkError.Item);
  });

  it('ResourceNotFoundException and ValidationException, with the same messages', async () => {
    const cases = [
      { TableName: 'no-such-table', Key: { pk: 'a', sk: 'b' } },
      { TableName: table(), Key: { pk: 'only-half-a-key' } },
      { TableName: table(), Key: { pk: 'a', sk: 'b' }, ProjectionExpression: 'a b c' },
    ];
    const names = [];
    for (const params of cases) {
      const wireError = await failure(() => wire.document.get(params).promise());
      const sdkError = await failure(() => sdk().send(new GetCommand(params)));
      expect([wireError.name, wireError.message, wireError.$fault]).toEqual([
        sdkError.name,
        sdkError.message,
        sdkError.$fault,
      ]);
      expect(wireError.$metadata.httpStatusCode).toBe(sdkError.$metadata.httpStatusCode);
      names.push(wireError.name);
    }
    expect(names).toEqual(['ResourceNotFoundException', 'ValidationException', 'ValidationException']);
  });

  it('rejects what the DocumentClient rejects before sending (class instances), counted as the SDK counts it', async () => {
    class Thing {
      value = 1;
    }
    const put = { TableName: table(), Item: { pk: 'ERR', sk: 'class', thing: new Thing() } };
    wire.requests.reset();
    db().requests.reset();
    const wireError = await failure(() => wire.document.put(put).promise());
    const sdkError = await failure(() => sdk().send(new PutCommand(put)));
    expect(wireError.message).toBe(sdkError.message);
    expect(wireError.message).toContain('convertClassInstanceToMap');
    expect(wire.requests.byCommand).toEqual({ PutItemCommand: 1 });
    expect(db().requests.byCommand).toEqual(wire.requests.byCommand);
  });
});

// ---------------------------------------------------------------------------------------------
// ElectroDB on both clients.

/** A small ElectroDB entity and service, on whichever document client is given. */
function electro(document: any) {
  const thing = new Entity(
    {
      model: { service: 'wiretest', entity: 'thing', version: '1' },
      attributes: {
        group: { type: 'string', required: true },
        id: { type: 'string', required: true },
        name: { type: 'string' },
        count: { type: 'number' },
        tags: { type: 'set', items: 'string' },
        data: { type: 'map', properties: { note: { type: 'string' }, level: { type: 'number' } } },
        notes: { type: 'list', items: { type: 'string' } },
        active: { type: 'boolean' },
      },
      indexes: {
        primary: {
          pk: { field: 'pk', composite: ['group'] },
          sk: { field: 'sk', composite: ['id'] },
        },
        byName: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: ['group'] },
          sk: { field: 'gsi1sk', composite: ['name'] },
        },
      },
    },
    { table: table(), client: document },
  );
  return { thing, service: new Service({ thing }, { table: table(), client: document }) };
}

describe('ElectroDB on the wire client', () => {
  const both = () => ({ wire: electro(wire.document), sdk: electro(sdk()) });

  it('put, get, create (a duplicate is refused) and patch with where, as on the SDK', async () => {
    const { wire: w, sdk: s } = both();
    const thing = (group: string) => ({
      group,
      id: 'one',
      name: 'first',
      count: 1,
      tags: ['a', 'b'],
      data: { note: 'n', level: 2 },
      notes: ['x', ''],
      active: false,
    });
    wire.requests.reset();
    const put = [await w.thing.put(thing('zzwirezz')).go(), await s.thing.put(thing('zzsdkzz')).go()];
    expect(wire.requests.byCommand).toEqual({ PutItemCommand: 1 });
    expect(same(put[0])).toEqual(same(put[1]));
    const got = [
      await w.thing.get({ group: 'zzwirezz', id: 'one' }).go(),
      await s.thing.get({ group: 'zzsdkzz', id: 'one' }).go(),
      await w.thing.get({ group: 'zzsdkzz', id: 'one' }).go(),
    ];
    expect(same(got[0])).toEqual(same(got[1]));
    expect(same(got[2])).toEqual(same(got[1]));
    expect(got[0]!.data).toEqual({ ...thing('zzwirezz'), tags: ['a', 'b'] });
    expect(await w.thing.get({ group: 'zzwirezz', id: 'none' }).go()).toEqual({ data: null });

    const duplicate = [
      await failure(() => w.thing.create(thing('zzwirezz')).go()),
      await failure(() => s.thing.create(thing('zzsdkzz')).go()),
    ];
    expect(duplicate[0].name).toBe('ElectroError');
    expect(duplicate[0].cause.name).toBe('ConditionalCheckFailedException');
    expect([duplicate[0].code, duplicate[0].message]).toEqual([duplicate[1].code, duplicate[1].message]);

    const patch = (e: typeof w, group: string, expected: number) =>
      e.thing
        .patch({ group, id: 'one' })
        .set({ name: 'renamed' })
        .add({ count: 5, tags: ['c'] })
        .where(({ count }, { eq }) => eq(count, expected))
        .go({ response: 'all_new' });
    const patched = [await patch(w, 'zzwirezz', 1), await patch(s, 'zzsdkzz', 1)];
    expect(same(patched[0])).toEqual(same(patched[1]));
    expect(patched[0]!.data).toMatchObject({ name: 'renamed', count: 6, tags: ['a', 'b', 'c'] });
    const refused = [
      await failure(() => patch(w, 'zzwirezz', 1)),
      await failure(() => patch(s, 'zzsdkzz', 1)),
    ];
    expect([refused[0].code, refused[0].message]).toEqual([refused[1].code, refused[1].message]);
    expect(refused[0].cause.name).toBe('ConditionalCheckFailedException');
  });

  it('queries page by page and batch-gets, as on the SDK', async () => {
    const { wire: w, sdk: s } = both();
    await s.thing
      .put(
        Array.from({ length: 5 }, (_, i) => ({
          group: 'pages',
          id: `p${i}`,
          name: `name-${4 - i}`,
          count: i,
        })),
      )
      .go();
    for (const query of [
      (e: typeof w, cursor: string | null) =>
        e.thing.query.primary({ group: 'pages' }).go({ limit: 2, cursor }),
      (e: typeof w, cursor: string | null) =>
        e.thing.query
          .byName({ group: 'pages' })
          .gte({ name: 'name-1' })
          .go({ limit: 2, cursor, order: 'desc' }),
    ]) {
      let cursor: string | null = null;
      let pages = 0;
      do {
        const byWire = await query(w, cursor);
        expect(byWire).toEqual(await query(s, cursor));
        cursor = byWire.cursor;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThan(1);
    }
    const keys = [
      { group: 'pages', id: 'p3' },
      { group: 'pages', id: 'nope' },
      { group: 'pages', id: 'p0' },
    ];
    const byWire = await w.thing.get(keys).go({ preserveBatchOrder: true });
    expect(byWire).toEqual(await s.thing.get(keys).go({ preserveBatchOrder: true }));
    expect(byWire.data.map((item) => item?.id ?? null)).toEqual(['p3', null, 'p0']);
  });

  it('a transaction canceled by a failed condition reports canceled and per-item codes, as on the SDK', async () => {
    const { wire: w, sdk: s } = both();
    await s.thing.put({ group: 'tx', id: 'taken', name: 'taken' }).go();
    const write = (e: typeof w) =>
      e.service.transaction
        .write(({ thing }) => [
          thing.create({ group: 'tx', id: 'taken', name: 'again' }).commit(),
          thing.put({ group: 'tx', id: 'fresh', name: 'fresh' }).commit(),
        ])
        .go();
    const byWire = await write(w);
    const bySdk = await write(s);
    expect(byWire).toEqual(bySdk);
    expect(byWire.canceled).toBe(true);
    expect(byWire.data.map((item) => [item.rejected, item.code])).toEqual([
      [true, 'ConditionalCheckFailed'],
      [false, 'None'],
    ]);
    expect((await w.thing.get({ group: 'tx', id: 'fresh' }).go()).data).toBeNull();

    const ok = (e: typeof w, group: string) =>
      e.service.transaction
        .write(({ thing }) => [
          thing.create({ group, id: 'a', name: 'a', tags: ['t'] }).commit(),
          thing.put({ group, id: 'b', name: 'b', count: 2 }).commit(),
        ])
        .go();
    expect(same(await ok(w, 'zzwirezz'))).toEqual(same(await ok(s, 'zzsdkzz')));
    const read = (e: typeof w, group: string) =>
      e.service.transaction
        .get(({ thing }) => [thing.get({ group, id: 'a' }).commit(), thing.get({ group, id: 'b' }).commit()])
        .go();
    const reads = [await read(w, 'zzwirezz'), await read(s, 'zzsdkzz'), await read(w, 'zzsdkzz')];
    expect(same(reads[0])).toEqual(same(reads[1]));
    expect(same(reads[2])).toEqual(same(reads[1]));
    expect(reads[0]!.data.map((item) => item.item?.name)).toEqual(['a', 'b']);
  });

  it("runs the project's service on a DocumentDatabase made by createWireDatabase", async () => {
    const service = createService(wire);
    wire.requests.reset();
    await service.entities.partner
      .create({ partnerId: 'wire-partner', name: 'Wire', createdBy: 'test' })
      .go();
    const got = await service.entities.partner.get({ partnerId: 'wire-partner' }).go();
    expect(got.data).toMatchObject({ partnerId: 'wire-partner', name: 'Wire' });
    const viaSdkService = await createService(db()).entities.partner.get({ partnerId: 'wire-partner' }).go();
    expect(viaSdkService).toEqual(got);
    expect(wire.requests.byCommand).toEqual({ PutItemCommand: 1, GetItemCommand: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Retries, timeouts and transport, against a local server that answers as told.

type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

interface LocalServer {
  url: string;
  /** Requests received, in order. */
  received: { headers: IncomingMessage['headers']; rawHeaders: string[]; url: string; body: Buffer }[];
  connections: number;
  close(): Promise<void>;
}

/** Answers the n-th request with `script[n]` (the last one thereafter). */
async function localServer(script: Handler[]): Promise<LocalServer> {
  const state: LocalServer = { url: '', received: [], connections: 0, close: async () => {} };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = state.received.length;
      state.received.push({
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        url: request.url!,
        body,
      });
      script[Math.min(index, script.length - 1)]!(request, response, body);
    });
  });
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

function answer(status: number, payload: unknown, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': `req-${status}`,
      ...headers,
    });
    response.end(text);
  };
}

const ok = answer(200, { Item: { pk: { S: 'a' }, bin: { B: 'AQI=' } } });
const serverError = answer(500, {
  __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
  message: 'Internal server error',
});
const throttled = answer(400, {
  __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
  message: 'Rate of requests exceeds the allowed throughput.',
});
const conditionFailed = answer(400, {
  __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
  message: 'The conditional request failed',
});
const silent: Handler = () => {};

/** A port nothing listens on (it was free a moment ago): connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
const GET = { TableName: 't', Key: { pk: 'a' } };

describe('retries and timeouts', () => {
  const servers: LocalServer[] = [];
  const clients: WireDatabase[] = [];
  async function setup(script: Handler[], options: { maxAttempts?: number; timeoutMs?: number } = {}) {
    const server = await localServer(script);
    const client = createWireDatabase({ tableName: 't', endpoint: server.url, ...options });
    servers.push(server);
    clients.push(client);
    return { server, client };
  }
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const server of servers) await server.close();
  });

  it('retries a 500, then succeeds: 2 attempts, 1 request counted', async () => {
    const { server, client } = await setup([serverError, ok]);
    const result = await client.document.get(GET).promise();
    expect(result.Item).toEqual({ pk: 'a', bin: new Uint8Array([1, 2]) });
    expect(result.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 2, requestId: 'req-200' });
    expect(server.received).toHaveLength(2);
    expect(client.requests.byCommand).toEqual({ GetItemCommand: 1 });
  });

  it('retries throttling twice, then succeeds on the third attempt', async () => {
    const { server, client } = await setup([throttled, throttled, ok]);
    const result = await client.document.get(GET).promise();
    expect(result.$metadata.attempts).toBe(3);
    expect(server.received).toHaveLength(3);
    expect(client.requests.total()).toBe(1);
  });

  it('gives up after maxAttempts with a typed error', async () => {
    const { server, client } = await setup([serverError], { maxAttempts: 3 });
    const error: DynamoDBError = await failure(() => client.document.get(GET).promise());
    expect(error.name).toBe('InternalServerError');
    expect(error.message).toBe('Internal server error');
    expect(error.$fault).toBe('server');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3, requestId: 'req-500' });
    expect(server.received).toHaveLength(3);
    expect(client.requests.byCommand).toEqual({ GetItemCommand: 1 });
  });

  it('never retries a failed condition, and tells extractError listeners first', async () => {
    const { server, client } = await setup([conditionFailed]);
    const error = await failure(() => client.document.put({ TableName: 't', Item: { pk: 'a' } }).promise());
    expect(error.name).toBe('ConditionalCheckFailedException');
    expect(error.$metadata.attempts).toBe(1);
    expect(server.received).toHaveLength(1);

    const canceled = {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      message:
        'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]',
      CancellationReasons: [{ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }],
    };
    const tx = await setup([answer(400, canceled)]);
    const events: string[] = [];
    const request = tx.client.document.transactWrite({
      TransactItems: [{ Put: { TableName: 't', Item: { pk: 'a' } } }],
    });
    request.on('extractError', (response) => {
      expect(Buffer.isBuffer(response.httpResponse.body)).toBe(true);
      expect(response.httpResponse.statusCode).toBe(400);
      events.push(JSON.parse(response.httpResponse.body.toString()).CancellationReasons[0].Code);
    });
    const txError = await failure(() => request.promise().finally(() => events.push('rejected')));
    expect(events).toEqual(['ConditionalCheckFailed', 'rejected']);
    expect(txError.name).toBe('TransactionCanceledException');
    expect(txError.CancellationReasons).toEqual(canceled.CancellationReasons);
    expect(tx.server.received).toHaveLength(1);
  });

  it('times out a server that never answers, within the configured timeout, and retries it', async () => {
    const once = await setup([silent], { maxAttempts: 1, timeoutMs: 300 });
    const started = performance.now();
    const error = await failure(() => once.client.document.get(GET).promise());
    const elapsed = performance.now() - started;
    // A database that does not answer is, to the domain, unavailable (db/unavailable.ts).
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.cause.name).toBe('TimeoutError');
    expect(error.cause.message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);

    const twice = await setup([silent], { maxAttempts: 2, timeoutMs: 200 });
    const again = (await failure(() => twice.client.document.get(GET).promise())).cause;
    expect(again.name).toBe('TimeoutError');
    expect(again.$metadata.attempts).toBe(2);
    expect(twice.server.received).toHaveLength(2);
    expect(twice.client.requests.total()).toBe(1);
  });

  it('retries a connection reset, and reuses one keep-alive connection', async () => {
    const reset: Handler = (request) => request.socket.destroy();
    const { server, client } = await setup([reset, ok]);
    const result = await client.document.get(GET).promise();
    expect(result.$metadata.attempts).toBe(2);
    expect(server.connections).toBe(2);
    for (let i = 0; i < 3; i++) await client.document.get(GET).promise();
    expect(server.connections).toBe(2); // the three later calls shared the second connection
    client.close();
    expect((await client.document.get(GET).promise()).Item).toEqual({ pk: 'a', bin: new Uint8Array([1, 2]) });
    expect(server.connections).toBe(3); // close() ended it; the next call had to connect again
  });

  it('reports a refused connection and a 503, once retried, as StoreUnavailableError', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const refusing = createWireDatabase({ tableName: 't', endpoint: closed });
    clients.push(refusing);
    const refused = await failure(() => refusing.document.get(GET).promise());
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(refused.code).toBe('SERVICE_UNAVAILABLE');
    expect(refused.cause.code).toBe('ECONNREFUSED');
    expect(refused.cause.$metadata.attempts).toBe(3); // retried first, like any network error

    const unavailable = answer(503, {
      __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
      message: 'Service unavailable',
    });
    const busy = await setup([unavailable], { maxAttempts: 2 });
    const gone = await failure(() => busy.client.document.get(GET).promise());
    expect(gone).toBeInstanceOf(StoreUnavailableError);
    expect([gone.cause.name, gone.cause.$metadata.attempts]).toEqual(['ServiceUnavailable', 2]);
    expect(busy.server.received).toHaveLength(2);

    // Through ElectroDB, as core sees it: wrapped in its own error, found by unavailableIn().
    const things = new Entity(
      {
        model: { entity: 'thing', version: '1', service: 'wire' },
        attributes: { id: { type: 'string', required: true } },
        indexes: { byId: { pk: { field: 'pk', composite: ['id'] }, sk: { field: 'sk', composite: [] } } },
      },
      { client: refusing.document, table: 't' },
    );
    const wrapped = await failure(() => things.get({ id: 'x' }).go());
    expect(wrapped).not.toBeInstanceOf(StoreUnavailableError);
    expect(unavailableIn(wrapped)).toBeInstanceOf(StoreUnavailableError);
    expect(unavailableIn(wrapped)?.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('explains a body that is not JSON', async () => {
    const html = answer(200, '<html><body>Gateway says hi</body></html>', { 'content-type': 'text/html' });
    const { client } = await setup([html]);
    const error = await failure(() => client.document.get(GET).promise());
    expect(error.name).toBe('DeserializationError');
    expect(error.message).toContain('not a JSON object');
    expect(error.message).toContain('Gateway says hi');

    const badGateway = answer(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' });
    const proxy = await setup([badGateway]);
    const proxyError = await failure(() => proxy.client.document.get(GET).promise());
    expect(proxyError.message).toContain('HTTP 502');
    expect(proxyError.message).toContain('Bad Gateway');
    expect(proxyError.$fault).toBe('server');
    expect(proxy.server.received).toHaveLength(3); // a 502 is transient
  });

  it("checks DynamoDB's x-amz-crc32 and retries a mismatch", async () => {
    const payload = JSON.stringify({ Item: { pk: { S: 'a' } } });
    const right = answer(200, payload, { 'x-amz-crc32': String(crc32(payload)) });
    const wrong = answer(200, payload, { 'x-amz-crc32': String((crc32(payload) + 1) >>> 0) });
    const { server, client } = await setup([wrong, right]);
    const result = await client.document.get(GET).promise();
    expect(result.Item).toEqual({ pk: 'a' });
    expect(result.$metadata.attempts).toBe(2);
    expect(server.received).toHaveLength(2);
    const always = await setup([wrong]);
    expect((await failure(() => always.client.document.get(GET).promise())).name).toBe('CRC32CheckFailed');
  });

  it('abort() ends a request in flight', async () => {
    const { client } = await setup([silent], { timeoutMs: 5000 });
    const request = client.document.get(GET);
    const pending = failure(() => request.promise());
    setTimeout(() => request.abort(), 50);
    const started = performance.now();
    const error = await pending;
    expect(error.name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

// ---------------------------------------------------------------------------------------------
// SigV4, checked by a verifier written from the specification:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html

interface SignedRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Why `request` is not validly signed with `secret`, or undefined when it is. */
function sigV4Problem(request: SignedRequest, secret: string): string | undefined {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), request.rawHeaders[i + 1]!]);
  }
  const header = (name: string) => headers.get(name)?.join(',');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      header('authorization') ?? '',
    );
  if (!match) return 'no AWS4-HMAC-SHA256 Authorization header';
  const [, , day, region, service, signedHeaderList, signature] = match as unknown as string[];
  const signed = signedHeaderList!.split(';');
  if (signed.join(';') !== [...signed].sort().join(';')) return 'signed headers are not sorted';
  if (!signed.includes('host')) return 'host is not signed';
  const amzDate = header('x-amz-date');
  if (!amzDate || !signed.includes('x-amz-date')) return 'x-amz-date is missing or not signed';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day)
    return 'x-amz-date does not match the scope';
  if (signed.some((name) => !headers.has(name))) return 'a signed header was not sent';

  // 1. The canonical request.
  const [path, query = ''] = request.url.split('?') as [string, string?];
  const canonicalUri = path
    .split('/')
    .map((segment) => rfc3986(rfc3986(decodeURIComponent(segment))))
    .join('/');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((part) => rfc3986(decodeURIComponent(part ?? ''))))
    .sort(([a, x], [b, y]) => (a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1))
    .map(([name, value = '']) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signed
    .map(
      (name) =>
        `${name}:${headers
          .get(name)!
          .map((v) => v.trim().replace(/ +/g, ' '))
          .join(',')}\n`,
    )
    .join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const declaredHash = header('x-amz-content-sha256');
  if (declaredHash && declaredHash !== payloadHash) return 'x-amz-content-sha256 does not match the body';
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n');
  // 2. The string to sign.
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  // 3. The signing key, 4. the signature.
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request');
  const expected = hmac(key, stringToSign);
  return timingSafeEqual(expected, Buffer.from(signature!, 'hex')) ? undefined : 'signature mismatch';
}

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SDK_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: SECRET,
  sessionToken: 'sdk-session/token+=',
};
/** An empty success for every operation (batch operations list nothing left unprocessed). */
const capture: Handler = (request, response) => {
  const target = String(request.headers['x-amz-target']);
  const payload = target.endsWith('.BatchWriteItem')
    ? { UnprocessedItems: {} }
    : target.endsWith('.BatchGetItem')
      ? { Responses: {}, UnprocessedKeys: {} }
      : {};
  answer(200, payload)(request, response, Buffer.alloc(0));
};

function captured(
  server: LocalServer,
  index: number,
): SignedRequest & { headers: IncomingMessage['headers'] } {
  const request = server.received[index]!;
  return { method: 'POST', ...request };
}

/** The request with one bit of its body flipped (and a declared body hash updated to match). */
function tamperedBody(request: SignedRequest): SignedRequest {
  const body = Buffer.from(request.body);
  body[body.length - 2] = body[body.length - 2]! ^ 1;
  const hash = createHash('sha256').update(body).digest('hex');
  const rawHeaders = request.rawHeaders.map((value, i) =>
    i % 2 === 1 && request.rawHeaders[i - 1]!.toLowerCase() === 'x-amz-content-sha256' ? hash : value,
  );
  return { ...request, body, rawHeaders };
}

/** DocumentClient calls of every operation, for the signature and body checks. */
const getParams = {
  TableName: 't',
  Key: { pk: 'a', sk: 'b' },
  ConsistentRead: true,
  ProjectionExpression: 'x',
};
const putParams = {
  TableName: 't',
  Item: richItem('p', 's'),
  ConditionExpression: 'attribute_not_exists(pk)',
  ReturnValues: 'ALL_OLD' as const,
  ReturnConsumedCapacity: 'TOTAL' as const,
};
const updateParams = {
  TableName: 't',
  Key: { pk: 'u', sk: 'v' },
  UpdateExpression: 'SET #a = :a ADD #s :s',
  ExpressionAttributeNames: { '#a': 'a', '#s': 's' },
  ExpressionAttributeValues: { ':a': { deep: [1, new Uint8Array([7]), undefined] }, ':s': new Set(['x']) },
  ReturnValues: 'ALL_NEW' as const,
};
const deleteParams = { TableName: 't', Key: { pk: 'd', sk: 'e' }, ReturnValues: 'ALL_OLD' as const };
const queryParams = {
  TableName: 't',
  IndexName: 'gsi1',
  KeyConditionExpression: 'gsi1pk = :p',
  ExpressionAttributeValues: { ':p': 'q' },
  ExclusiveStartKey: { pk: 'x', sk: 'y', gsi1pk: 'q', gsi1sk: 'z' },
  Limit: 3,
  ScanIndexForward: false,
};
const scanParams = {
  TableName: 't',
  Limit: 1,
  ExclusiveStartKey: { pk: 'x', sk: 'y' },
  Segment: 0,
  TotalSegments: 2,
};
const batchGetParams = {
  RequestItems: {
    t: {
      Keys: [
        { pk: 'a', sk: 'b' },
        { pk: 'c', sk: 'd' },
      ],
      ProjectionExpression: 'pk',
    },
  },
};
const batchWriteParams = {
  RequestItems: {
    t: [{ PutRequest: { Item: richItem('b', 'w') } }, { DeleteRequest: { Key: { pk: 'b', sk: 'x' } } }],
  },
};
const transactWriteParams = {
  TransactItems: [
    {
      Put: {
        TableName: 't',
        Item: { pk: 'n', sk: 'm', n: 1 },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: 't',
        Key: { pk: 'n', sk: 'o' },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': new Set([1, 2]) },
      },
    },
    { Delete: { TableName: 't', Key: { pk: 'n', sk: 'p' } } },
    {
      ConditionCheck: {
        TableName: 't',
        Key: { pk: 'n', sk: 'q' },
        ConditionExpression: 'x = :x',
        ExpressionAttributeValues: { ':x': null },
      },
    },
  ],
};
const transactGetParams = { TransactItems: [{ Get: { TableName: 't', Key: { pk: 'g', sk: 'h' } } }] };
// The legacy (pre-expression) parameters lib-dynamodb still marshalls.
const legacyQueryParams = {
  TableName: 't',
  KeyConditions: {
    pk: { ComparisonOperator: 'EQ' as const, AttributeValueList: ['a'] },
    sk: { ComparisonOperator: 'BETWEEN' as const, AttributeValueList: ['b', 'c'] },
  },
  QueryFilter: {
    n: { ComparisonOperator: 'IN' as const, AttributeValueList: [1, new Uint8Array([2]), null] },
  },
};
const legacyPutParams = {
  TableName: 't',
  Item: { pk: 'a', sk: 'b' },
  Expected: {
    n: { Value: 5, ComparisonOperator: 'GT' as const },
    s: { ComparisonOperator: 'CONTAINS' as const, AttributeValueList: [new Set(['x'])] },
  },
};
const legacyUpdateParams = {
  TableName: 't',
  Key: { pk: 'a', sk: 'b' },
  AttributeUpdates: {
    m: { Value: { deep: [1, undefined] }, Action: 'PUT' as const },
    gone: { Action: 'DELETE' as const },
  },
};

describe('SigV4', () => {
  let server: LocalServer;
  let sdkClient: DynamoDBClient;
  let sdkDocument: DynamoDBDocumentClient;
  beforeAll(async () => {
    server = await localServer([capture]);
    sdkClient = new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: SDK_CREDENTIALS,
      maxAttempts: 1,
    });
    sdkDocument = DynamoDBDocumentClient.from(sdkClient, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  });
  afterAll(async () => {
    sdkClient?.destroy();
    await server?.close();
  });

  it('the verifier reproduces AWS\'s published example ("get-vanilla")', () => {
    const example: SignedRequest = {
      method: 'GET',
      url: '/',
      rawHeaders: [
        'Host',
        'example.amazonaws.com',
        'X-Amz-Date',
        '20150830T123600Z',
        'Authorization',
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      ],
      body: Buffer.alloc(0),
    };
    expect(sigV4Problem(example, SECRET)).toBeUndefined();
    expect(sigV4Problem({ ...example, url: '/other' }, SECRET)).toBe('signature mismatch');
  });

  it("the verifier accepts the AWS SDK's own request, and rejects it once a byte changes", async () => {
    await sdkClient.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
    const request = captured(server, server.received.length - 1);
    expect(request.headers['x-amz-security-token']).toBe(SDK_CREDENTIALS.sessionToken);
    expect(request.headers.authorization).toContain('/eu-west-1/dynamodb/aws4_request');
    expect(sigV4Problem(request, SECRET)).toBeUndefined();
    expect(sigV4Problem(tamperedBody(request), SECRET)).toBe('signature mismatch');
    expect(sigV4Problem(request, `${SECRET}x`)).toBe('signature mismatch');
    const otherTarget = request.rawHeaders.map((v) =>
      v.replace('DynamoDB_20120810.GetItem', 'DynamoDB_20120810.PutItem'),
    );
    expect(sigV4Problem({ ...request, rawHeaders: otherTarget }, SECRET)).toBe('signature mismatch');
  });

  /** Each DocumentClient call, sent by the SDK and by the wire client to the capture server. */
  const calls: [string, (client: WireDatabase['document']) => WireRequest<object>, () => object][] = [
    ['GetItem', (c) => c.get(getParams), () => new GetCommand(getParams)],
    ['PutItem', (c) => c.put(putParams), () => new PutCommand(putParams)],
    ['UpdateItem', (c) => c.update(updateParams), () => new UpdateCommand(updateParams)],
    ['DeleteItem', (c) => c.delete(deleteParams), () => new DeleteCommand(deleteParams)],
    ['Query', (c) => c.query(queryParams), () => new QueryCommand(queryParams)],
    ['Scan', (c) => c.scan(scanParams), () => new ScanCommand(scanParams)],
    ['BatchGetItem', (c) => c.batchGet(batchGetParams), () => new BatchGetCommand(batchGetParams)],
    ['BatchWriteItem', (c) => c.batchWrite(batchWriteParams), () => new BatchWriteCommand(batchWriteParams)],
    [
      'TransactWriteItems',
      (c) => c.transactWrite(transactWriteParams),
      () => new TransactWriteCommand(transactWriteParams),
    ],
    [
      'TransactGetItems',
      (c) => c.transactGet(transactGetParams),
      () => new TransactGetCommand(transactGetParams),
    ],
    ['Query', (c) => c.query(legacyQueryParams), () => new QueryCommand(legacyQueryParams)],
    ['PutItem', (c) => c.put(legacyPutParams), () => new PutCommand(legacyPutParams)],
    ['UpdateItem', (c) => c.update(legacyUpdateParams), () => new UpdateCommand(legacyUpdateParams)],
  ];

  it('signs every operation with the credentials in the environment, read at each request', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDWIRE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
    vi.stubEnv('AWS_SESSION_TOKEN', 'wire-session/token+=');
    const client = createWireDatabase({
      tableName: 't',
      endpoint: server.url,
      region: 'eu-west-1',
      credentials: 'environment',
    });
    try {
      const host = new URL(server.url).host;
      for (const [operation, call] of calls) {
        const before = server.received.length;
        await call(client.document).promise();
        expect(server.received.length, operation).toBe(before + 1);
        const request = captured(server, before);
        expect(sigV4Problem(request, SECRET), operation).toBeUndefined();
        expect(sigV4Problem(tamperedBody(request), SECRET), operation).toBe('signature mismatch');
        expect(request.headers).toMatchObject({
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          'content-type': 'application/x-amz-json-1.0',
          host,
          'x-amz-security-token': 'wire-session/token+=',
          'content-length': String(request.body.length),
        });
        expect(request.headers.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDWIRE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /,
        );
        expect(request.url).toBe('/');
      }

      // Rotated credentials (a new Lambda sandbox role session) are used from the next request on.
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDROTATED');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', `${SECRET}2`);
      vi.stubEnv('AWS_SESSION_TOKEN', '');
      await client.document.get(getParams).promise();
      const rotated = captured(server, server.received.length - 1);
      expect(rotated.headers.authorization).toContain('Credential=AKIDROTATED/');
      expect(rotated.headers['x-amz-security-token']).toBeUndefined();
      expect(sigV4Problem(rotated, `${SECRET}2`)).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it('signs with local/local for an endpoint, never the environment, in AWS_REGION', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDREAL');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
    vi.stubEnv('AWS_SESSION_TOKEN', 'real-token');
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    const client = createWireDatabase({ tableName: 't', endpoint: server.url });
    try {
      await client.document.get(getParams).promise();
      const request = captured(server, server.received.length - 1);
      expect(request.headers.authorization).toMatch(/Credential=local\/\d{8}\/ap-southeast-2\/dynamodb\//);
      expect(request.headers['x-amz-security-token']).toBeUndefined();
      expect(sigV4Problem(request, 'local')).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it('sends, for the same DocumentClient call, the JSON body the SDK sends', async () => {
    const client = createWireDatabase({ tableName: 't', endpoint: server.url, region: 'eu-west-1' });
    try {
      for (const [operation, call, command] of calls) {
        await sdkDocument.send(command() as never);
        const bySdk = captured(server, server.received.length - 1);
        await call(client.document).promise();
        const byWire = captured(server, server.received.length - 1);
        expect(byWire.headers['x-amz-target']).toBe(bySdk.headers['x-amz-target']);
        expect(byWire.headers['content-type']).toBe(bySdk.headers['content-type']);
        const sdkJson = JSON.parse(bySdk.body.toString());
        const wireJson = JSON.parse(byWire.body.toString());
        if (operation === 'TransactWriteItems') {
          // Both fill the idempotency token (a fresh UUID per call), so that a retry is applied once.
          const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
          expect(sdkJson.ClientRequestToken).toMatch(uuid);
          expect(wireJson.ClientRequestToken).toMatch(uuid);
          delete sdkJson.ClientRequestToken;
          delete wireJson.ClientRequestToken;
        }
        expect(wireJson, operation).toEqual(sdkJson);
      }
    } finally {
      client.close();
    }
  });

  it('sends, for the same ElectroDB operation, the JSON body the SDK sends', async () => {
    const client = createWireDatabase({ tableName: 't', endpoint: server.url, region: 'eu-west-1' });
    const operations: [string, (e: ReturnType<typeof electro>) => Promise<unknown>][] = [
      ['get', (e) => e.thing.get({ group: 'g', id: 'i' }).go()],
      [
        'put',
        (e) =>
          e.thing
            .put({ group: 'g', id: 'i', tags: ['a'], data: { note: 'n' }, notes: ['x'], active: true })
            .go(),
      ],
      ['create', (e) => e.thing.create({ group: 'g', id: 'i', name: 'n' }).go()],
      [
        'patch',
        (e) =>
          e.thing
            .patch({ group: 'g', id: 'i' })
            .set({ name: 'm' })
            .add({ count: 1, tags: ['b'] })
            .remove(['notes'])
            .where(({ count }, { eq }) => eq(count, 1))
            .go({ response: 'all_new' }),
      ],
      ['delete', (e) => e.thing.delete({ group: 'g', id: 'i' }).go()],
      ['query', (e) => e.thing.query.byName({ group: 'g' }).begins({ name: 'a' }).go({ limit: 2 })],
      [
        'batch get',
        (e) =>
          e.thing
            .get([
              { group: 'g', id: 'i' },
              { group: 'g', id: 'j' },
            ])
            .go(),
      ],
      [
        'batch put',
        (e) =>
          e.thing
            .put([
              { group: 'g', id: 'i' },
              { group: 'g', id: 'j', count: 2 },
            ])
            .go(),
      ],
      [
        'transaction',
        (e) =>
          e.service.transaction
            .write(({ thing }) => [
              thing.create({ group: 'g', id: 'k', tags: ['t'] }).commit(),
              thing
                .check({ group: 'g', id: 'i' })
                .where(({ count }, { gt }) => gt(count, 0))
                .commit(),
            ])
            .go({ token: 'fixed-token' }),
      ],
    ];
    try {
      for (const [name, operation] of operations) {
        const before = server.received.length;
        await operation(electro(sdkDocument));
        await operation(electro(client.document));
        const requests = server.received.slice(before);
        expect(requests, name).toHaveLength(2);
        const [bySdk, byWire] = requests.map((request) => JSON.parse(request.body.toString()));
        expect(byWire, name).toEqual(bySdk);
        expect(requests[1]!.headers['x-amz-target'], name).toBe(requests[0]!.headers['x-amz-target']);
      }
    } finally {
      client.close();
    }
  });
});

describe('bundle', () => {
  it("is small and holds none of the AWS SDK's client code", async () => {
    const result = await esbuild.build({
      stdin: {
        contents: "export { createWireDatabase } from './packages/core/src/db/wire.ts';",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      minify: true,
      mainFields: ['module', 'main'],
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    const packages = new Set(
      inputs.map((path) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]).filter(Boolean),
    );
    expect([...packages]).toEqual(['@aws-sdk/util-dynamodb']);
    expect(result.outputFiles[0]!.contents.length).toBeLessThan(30_000);
  });
});
