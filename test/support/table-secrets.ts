/**
 * Looking for a secret in a table the way someone with read access to it would: every item of a
 * raw Scan, every string in it, and every layer of base64 under it (a command body is base64 of a
 * plist whose `<data>` is base64 of a signed profile whose content is the XML in clear).
 */
import type { Database } from '@ade/core';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';

export type RawItem = Record<string, unknown>;

/** Every item of the table as DynamoDB holds it (attribute names as stored). */
export async function scanTable(db: Database): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.document.send(
      new ScanCommand({ TableName: db.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** `pk sk attribute` of every place `secret` can be read from, in clear or under base64. */
export function whereSecretIs(items: RawItem[], secret: string): string[] {
  const found: string[] = [];
  for (const item of items)
    for (const [name, value] of Object.entries(item))
      if (readable(value, 3).some((text) => text.includes(secret)))
        found.push(`${item.pk} ${item.sk} ${name}`);
  return found;
}

const BASE64_RUN = /[A-Za-z0-9+/=\r\n\t ]{24,}/g;

/** The texts a value holds, and those its base64 runs decode to, `depth` layers down. */
function readable(value: unknown, depth: number): string[] {
  if (typeof value === 'string') return [value, ...decodedRuns(value, depth)];
  if (value instanceof Uint8Array) return readable(Buffer.from(value).toString('latin1'), depth);
  if (Array.isArray(value)) return value.flatMap((v) => readable(v, depth));
  if (value && typeof value === 'object') return Object.values(value).flatMap((v) => readable(v, depth));
  return [];
}

function decodedRuns(text: string, depth: number): string[] {
  if (depth === 0) return [];
  return [...text.matchAll(BASE64_RUN)].flatMap(([run]) => {
    const decoded = Buffer.from(run.replace(/\s+/g, ''), 'base64').toString('latin1');
    return [decoded, ...decodedRuns(decoded, depth - 1)];
  });
}
