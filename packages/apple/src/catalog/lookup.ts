/**
 * Lookups into the generated catalogue. The per-list maps are built on first use and kept: they are
 * derived from constant data, so they are safe to share across requests and tenants.
 */
import { CATALOG } from './catalog.generated.ts';
import type { DeclarationEntry, KeyDef, Platforms, ProfileEntry } from './types.ts';

/** The keys allowed in one dictionary. `any`: a lone `ANY` key = free-form keys, each matching it. */
export interface DictSchema {
  keys: ReadonlyMap<string, KeyDef>;
  any?: KeyDef;
}

/**
 * Common keys our server fills in every payload (enrollment-profile.ts and the policy payload builder),
 * so an administrator's settings never have to carry them.
 */
export const SERVER_FILLED_KEYS: ReadonlySet<string> = new Set([
  'PayloadIdentifier',
  'PayloadUUID',
  'PayloadType',
  'PayloadVersion',
]);

export function profileEntry(payloadType: string): ProfileEntry | undefined {
  return Object.hasOwn(CATALOG.profiles, payloadType) ? CATALOG.profiles[payloadType] : undefined;
}

export function commandEntry(requestType: string): Platforms | undefined {
  return Object.hasOwn(CATALOG.commands, requestType) ? CATALOG.commands[requestType] : undefined;
}

export function declarationEntry(type: string): DeclarationEntry | undefined {
  return Object.hasOwn(CATALOG.declarations, type) ? CATALOG.declarations[type] : undefined;
}

/** A declaration's `Payload` keys (Apple's `payloadkeys`); Type, Identifier and ServerToken are not among them. */
export function declarationSchema(type: string): DictSchema | undefined {
  const entry = declarationEntry(type);
  return entry ? listSchema(entry.keys) : undefined;
}

/** The item definition of an array key (Apple's `subkeys` of an `<array>` hold exactly one). */
export function arrayItem(def: KeyDef): KeyDef | undefined {
  return def.type === 'array' && def.sub !== undefined ? CATALOG.keyLists[def.sub]?.[0] : undefined;
}

const dictCache = new Map<number, DictSchema>();

/** Schema of a `<dictionary>` key's value; undefined when Apple leaves its content open. */
export function dictSchema(def: KeyDef): DictSchema | undefined {
  return def.type === 'dictionary' && def.sub !== undefined ? listSchema(def.sub) : undefined;
}

function listSchema(id: number): DictSchema {
  const cached = dictCache.get(id);
  if (cached) return cached;
  const list = CATALOG.keyLists[id] ?? [];
  const only = list.length === 1 ? list[0] : undefined;
  const schema: DictSchema =
    only?.name === 'ANY' ? { keys: new Map(), any: only } : { keys: new Map(list.map((k) => [k.name, k])) };
  dictCache.set(id, schema);
  return schema;
}

const payloadCache = new Map<string, DictSchema>();

/**
 * A payload's top-level keys: its own plus CommonPayloadKeys (its own definition wins, e.g.
 * PayloadContent is <data> in com.apple.security.pkcs12), as payload-schema.ts does.
 */
export function payloadSchema(payloadType: string): DictSchema | undefined {
  const cached = payloadCache.get(payloadType);
  if (cached) return cached;
  const entry = profileEntry(payloadType);
  if (!entry) return undefined;
  const own = listSchema(entry.keys);
  const keys = new Map(listSchema(CATALOG.commonKeys).keys);
  for (const [name, def] of own.keys) keys.set(name, def);
  const schema: DictSchema = own.any ? { keys, any: own.any } : { keys };
  payloadCache.set(payloadType, schema);
  return schema;
}
