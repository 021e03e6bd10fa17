/**
 * The secret keys of a payload's settings (`secret: true` in the catalogue; secret-rule.ts says which
 * they are): finding their values to seal them, and listing where they may be for a masked view. Key
 * paths are lists of names and array indices (`["Passwords", 0, "Password"]`); `formatKeyPath` writes
 * them as the validator and `droppedKeys` do ("Passwords[0].Password").
 */
import { arrayItem, type DictSchema, declarationSchema, dictSchema, payloadSchema } from './lookup.ts';
import type { KeyDef } from './types.ts';
import { isDict } from './validate.ts';

export type KeyPath = (string | number)[];
export type SettingsKind = 'PROFILE' | 'DECLARATION';

/** One secret value and where it sits in the settings. */
export interface SecretValue {
  path: KeyPath;
  value: unknown;
}

function schemaOf(kind: SettingsKind, type: string): DictSchema | undefined {
  return kind === 'PROFILE' ? payloadSchema(type) : declarationSchema(type);
}

/** A secret key, or an array whose items are secrets (the array is then one secret). */
function isSecret(def: KeyDef): boolean {
  return def.secret === true || arrayItem(def)?.secret === true;
}

/**
 * The settings split by Apple's schema: `full` (what validation and the device see: everything, but a
 * secret key whose value is `null` left out — `null` is how an update clears a secret), `clear` (the
 * same without any secret value) and `secrets` (each secret value with its path). Keys the schema
 * does not know are kept as they are (refusing them is validation's job).
 */
export function separateSecrets(
  kind: SettingsKind,
  type: string,
  settings: Record<string, unknown>,
): { full: Record<string, unknown>; clear: Record<string, unknown>; secrets: SecretValue[] } {
  const schema = schemaOf(kind, type);
  const secrets: SecretValue[] = [];
  if (!schema) return { full: settings, clear: settings, secrets };
  const { full, clear } = splitDict(schema, settings, [], secrets);
  return { full, clear, secrets };
}

function splitDict(
  schema: DictSchema,
  dict: Record<string, unknown>,
  path: KeyPath,
  secrets: SecretValue[],
): { full: Record<string, unknown>; clear: Record<string, unknown> } {
  const full: Record<string, unknown> = {};
  const clear: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(dict)) {
    const def = schema.keys.get(name) ?? schema.any;
    if (def && isSecret(def)) {
      if (value === null || value === undefined) continue;
      full[name] = value;
      secrets.push({ path: [...path, name], value });
      continue;
    }
    const split = def ? splitValue(def, value, [...path, name], secrets) : { full: value, clear: value };
    full[name] = split.full;
    clear[name] = split.clear;
  }
  return { full, clear };
}

function splitValue(
  def: KeyDef,
  value: unknown,
  path: KeyPath,
  secrets: SecretValue[],
): { full: unknown; clear: unknown } {
  const dict = dictSchema(def);
  if (dict && isDict(value)) return splitDict(dict, value, path, secrets);
  const item = arrayItem(def);
  if (item && Array.isArray(value)) {
    const parts = value.map((v, i) => splitValue(item, v, [...path, i], secrets));
    return { full: parts.map((p) => p.full), clear: parts.map((p) => p.clear) };
  }
  return { full: value, clear: value };
}

/**
 * Where secrets can be in these settings: every secret key of each dictionary present (the top level,
 * and nested dictionaries and array items that are there), whether or not it has a value. A portal
 * shows these as write-only fields.
 */
export function secretKeyPaths(
  kind: SettingsKind,
  type: string,
  settings: Record<string, unknown>,
): KeyPath[] {
  const schema = schemaOf(kind, type);
  const out: KeyPath[] = [];
  if (schema) slotsInDict(schema, settings, [], out);
  return out;
}

function slotsInDict(schema: DictSchema, dict: Record<string, unknown>, path: KeyPath, out: KeyPath[]) {
  for (const def of schema.keys.values()) if (isSecret(def)) out.push([...path, def.name]);
  for (const [name, value] of Object.entries(dict)) {
    const known = schema.keys.get(name);
    const def = known ?? schema.any;
    if (!def) continue;
    if (isSecret(def)) {
      if (!known) out.push([...path, name]); // a free-form key whose every value is a secret
      continue;
    }
    slotsInValue(def, value, [...path, name], out);
  }
}

function slotsInValue(def: KeyDef, value: unknown, path: KeyPath, out: KeyPath[]) {
  const dict = dictSchema(def);
  if (dict && isDict(value)) slotsInDict(dict, value, path, out);
  const item = arrayItem(def);
  if (item && Array.isArray(value))
    for (const [i, v] of value.entries()) slotsInValue(item, v, [...path, i], out);
}

/**
 * Every secret key a payload or declaration type has, with `[]` for "any item of this array"
 * ("EAPClientConfiguration.UserPassword", "Passwords[].Password"); recursive key lists are followed once.
 */
export function secretKeysOfType(kind: SettingsKind, type: string): string[] {
  const schema = schemaOf(kind, type);
  const out: string[] = [];
  if (schema) keysOfDict(schema, '', out, new Set());
  return out;
}

function keysOfDict(schema: DictSchema, prefix: string, out: string[], seen: Set<DictSchema>) {
  if (seen.has(schema)) return;
  seen.add(schema);
  const defs = schema.any ? [...schema.keys.values(), schema.any] : [...schema.keys.values()];
  for (const def of defs) {
    const at = prefix ? `${prefix}.${def.name}` : def.name;
    if (isSecret(def)) out.push(at);
    else keysOfValue(def, at, out, seen);
  }
  seen.delete(schema);
}

function keysOfValue(def: KeyDef, at: string, out: string[], seen: Set<DictSchema>) {
  const dict = dictSchema(def);
  if (dict) keysOfDict(dict, at, out, seen);
  const item = arrayItem(def);
  if (item) keysOfValue(item, `${at}[]`, out, seen);
}

/** "Passwords[0].Password", as the validator and eligibility write key paths. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );
}
