/**
 * Apple's YAML for what is not a profile payload: MDM commands (`mdm/commands`, by `requesttype`),
 * declarations (`declarative/declarations`, by `declarationtype`), the DDM protocol JSON
 * (`declarative/protocol`) and status items (`declarative/status`, by `statusitemtype`). Checked with the
 * same rules as payloads (payload-schema.ts `validateKeys`). Like payload-schema.ts, a development/test
 * tool: it reads `shared/` beside the repository.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AppleProtocolError } from '../errors.ts';
import type { PlistDict } from '../plist.ts';
import { type SchemaKey, sharedDir, validateKeys } from './payload-schema.ts';

interface SchemaFile {
  payload?: { requesttype?: string; declarationtype?: string; statusitemtype?: string };
  payloadkeys?: SchemaKey[];
}

const files = new Map<string, SchemaFile>();
const indexes = new Map<string, Map<string, SchemaKey[]>>();

function root(): string {
  return join(sharedDir(), 'apple-device-management');
}

/** One YAML file, by its path inside apple-device-management (e.g. `declarative/protocol/tokensresponse.yaml`). */
export function loadSchemaFile(relativePath: string): SchemaFile {
  if (relativePath.split('/').includes('..')) throw missing(relativePath);
  let file = files.get(relativePath);
  if (!file) {
    try {
      file = parse(readFileSync(join(root(), relativePath), 'utf8')) as SchemaFile;
    } catch (cause) {
      throw missing(relativePath, cause);
    }
    files.set(relativePath, file);
  }
  return file;
}

/** `payloadkeys` of one file. */
export function schemaKeys(relativePath: string): SchemaKey[] {
  return loadSchemaFile(relativePath).payloadkeys ?? [];
}

/** Keys of `Command` (without RequestType) for a RequestType, e.g. `InstallProfile`; undefined if unknown. */
export function commandKeys(requestType: string): SchemaKey[] | undefined {
  return index('mdm/commands', 'requesttype').get(requestType);
}

/** Keys of a declaration's `Payload` for its Type; undefined if the YAML does not know the type. */
export function declarationKeys(type: string): SchemaKey[] | undefined {
  return index('declarative/declarations', 'declarationtype').get(type);
}

/** Keys of one status item (e.g. `management.declarations`: its single key holds the item's value). */
export function statusItemKeys(name: string): SchemaKey[] | undefined {
  return index('declarative/status', 'statusitemtype').get(name);
}

/** Problems with `value` against `keys` (empty = valid). JSON objects are checked like plist dictionaries. */
export function validateShape(value: unknown, keys: SchemaKey[], path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${path}: not a dictionary`];
  return validateKeys(value as PlistDict, keys, path);
}

/** Maps a `payload.<field>` value to the file's payloadkeys, for every YAML file under `dir`. */
function index(
  dir: string,
  field: 'requesttype' | 'declarationtype' | 'statusitemtype',
): Map<string, SchemaKey[]> {
  const cacheKey = `${dir}#${field}`;
  let map = indexes.get(cacheKey);
  if (!map) {
    map = new Map();
    const names = readdirSync(join(root(), dir), { recursive: true, encoding: 'utf8' });
    for (const name of names.filter((n) => n.endsWith('.yaml')).sort()) {
      const file = loadSchemaFile(`${dir}/${name}`);
      const type = file.payload?.[field];
      if (type && !map.has(type)) map.set(type, file.payloadkeys ?? []);
    }
    indexes.set(cacheKey, map);
  }
  return map;
}

function missing(relativePath: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError('PROFILE_SCHEMA_VIOLATION', `No Apple schema file ${relativePath}.`, {
    cause,
  });
}
