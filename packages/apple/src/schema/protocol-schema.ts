/**
 * Apple's schemas for what is not a profile payload: MDM commands (`mdm/commands`, by `requesttype`),
 * check-in messages (`mdm/checkin`), declarations (`declarative/declarations`, by `declarationtype`), the
 * DDM protocol JSON (`declarative/protocol`) and status items (`declarative/status`, by `statusitemtype`),
 * from the committed facts (facts.ts). Checked with the same rules as payloads (payload-schema.ts
 * `validateKeys`). Like payload-schema.ts, a development/test tool.
 */
import { AppleProtocolError } from '../errors.ts';
import type { PlistDict } from '../plist.ts';
import { type SchemaDoc, type SchemaKey, schemaFacts, schemaPaths } from './facts.ts';
import { validateKeys } from './payload-schema.ts';

const indexes = new Map<string, Map<string, SchemaKey[]>>();

/** One schema file, by its path inside apple/device-management (e.g. `declarative/protocol/tokensresponse.yaml`). */
export function loadSchemaFile(relativePath: string): SchemaDoc {
  const file = schemaFacts().files.get(relativePath);
  if (!file)
    throw new AppleProtocolError('PROFILE_SCHEMA_VIOLATION', `No Apple schema file ${relativePath}.`);
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

/** Keys of a declaration's `Payload` for its Type; undefined if the schemas do not know the type. */
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

/** Maps a `payload.<field>` value to the file's payloadkeys, for every schema file under `dir`. */
function index(
  dir: string,
  field: 'requesttype' | 'declarationtype' | 'statusitemtype',
): Map<string, SchemaKey[]> {
  const cacheKey = `${dir}#${field}`;
  let map = indexes.get(cacheKey);
  if (!map) {
    map = new Map();
    const facts = schemaFacts();
    for (const path of schemaPaths(facts, dir)) {
      const file = facts.files.get(path)!;
      const type = file.payload?.[field];
      if (type && !map.has(type)) map.set(type, file.payloadkeys ?? []);
    }
    indexes.set(cacheKey, map);
  }
  return map;
}
