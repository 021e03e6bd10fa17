/**
 * Checks configuration-profile payloads against Apple's own schema: the facts this project keeps from
 * the YAML files of https://github.com/apple/device-management (`mdm/profiles/<PayloadType>.yaml`),
 * committed as apple-schema.generated.json (facts.ts). The key list, types, `presence`, `rangelist`,
 * `range` and `format` all come from there — nothing here hard-codes a payload's keys. Payload keys =
 * the type's `payloadkeys` + CommonPayloadKeys.yaml (the type's own definition wins, e.g. PayloadContent
 * is <data> in com.apple.security.pkcs12); the profile itself is checked against TopLevel.yaml.
 * Development/test tool: deployed functions never load it (they use the catalogue).
 */
import { checkAccessRights } from '../enrollment-profile';
import { AppleProtocolError } from '../errors';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist';
import { type SchemaKey, schemaFacts } from './facts.ts';

export type { SchemaKey } from './facts.ts';

export interface ValidateOptions {
  /**
   * User Enrollment (BYOD): keys Apple marks `forbidden` or `ignored` there are reported too
   * (docs/protocol/profile.md#the-mdm-payload).
   */
  userEnrollment?: boolean;
}

/** `payloadkeys` of mdm/profiles/<name>.yaml. */
export function loadSchemaKeys(name: string): SchemaKey[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name)) throw violation(`"${name}" is not a payload type name`);
  const doc = schemaFacts().files.get(`mdm/profiles/${name}.yaml`);
  if (!doc)
    throw new AppleProtocolError('PROFILE_SCHEMA_VIOLATION', `No Apple schema for payload type ${name}.`);
  const keys = doc.payloadkeys;
  if (!Array.isArray(keys)) throw violation(`${name}.yaml has no payloadkeys`);
  return keys;
}

/** Schema for one payload dictionary inside PayloadContent. */
export function payloadSchema(payloadType: string): SchemaKey[] {
  const own = loadSchemaKeys(payloadType);
  const names = new Set(own.map((k) => k.key));
  return [...loadSchemaKeys('CommonPayloadKeys').filter((k) => !names.has(k.key)), ...own];
}

/** Problems with one payload (empty = valid); each message starts with the key path. */
export function validatePayload(payload: PlistDict, options: ValidateOptions = {}): string[] {
  const type = payload.PayloadType;
  if (typeof type !== 'string') return ['PayloadType: missing or not a string'];
  const issues = checkDict(payload, payloadSchema(type), type, options);
  // The AccessRights bit rules (never 0; bit 2 needs bit 1, bit 128 needs bit 64) are prose in Apple's
  // com.apple.mdm.yaml, not data the facts keep, so they are applied with the builder's check.
  const rights = payload.AccessRights;
  if (type === 'com.apple.mdm' && typeof rights === 'number') {
    try {
      checkAccessRights(rights);
    } catch (err) {
      issues.push(`${type}.AccessRights: ${(err as Error).message}`);
    }
  }
  return issues;
}

/** Problems with a whole `Configuration` profile: TopLevel.yaml, then every payload by its PayloadType. */
export function validateProfile(profile: PlistDict, options: ValidateOptions = {}): string[] {
  const issues = checkDict(profile, loadSchemaKeys('TopLevel'), 'Configuration', options);
  const content = profile.PayloadContent;
  for (const item of Array.isArray(content) ? content : []) {
    if (isPlistDict(item)) issues.push(...validatePayload(item, options));
  }
  return issues;
}

export function assertProfileMatchesSchema(profile: PlistDict, options: ValidateOptions = {}): void {
  const issues = validateProfile(profile, options);
  if (issues.length > 0) throw violation(issues.join('; '));
}

/**
 * Problems with any dictionary against a list of schema keys (`payloadkeys`, or a key's `subkeys`): the
 * same rules as for payloads, for the other shapes Apple's schemas describe (commands, declarations, DDM JSON).
 */
export function validateKeys(dict: PlistDict, keys: SchemaKey[], path: string): string[] {
  return checkDict(dict, keys, path, {});
}

function checkDict(dict: PlistDict, keys: SchemaKey[], path: string, options: ValidateOptions): string[] {
  const issues: string[] = [];
  // A single `ANY` subkey means free-form keys whose values follow that definition (e.g. ConsentText).
  const any = keys.length === 1 && keys[0]?.key === 'ANY' ? keys[0] : undefined;
  const byName = new Map(keys.map((k) => [k.key, k]));
  for (const [name, value] of Object.entries(dict)) {
    const def = any ?? byName.get(name);
    if (!def) issues.push(`${path}.${name}: not a key of ${path} in Apple's schema (misspelled?)`);
    else issues.push(...checkValue(value, def, `${path}.${name}`, options));
  }
  if (!any) {
    for (const def of keys) {
      if (def.presence === 'required' && !(def.key in dict))
        issues.push(`${path}.${def.key}: required but missing`);
    }
  }
  return issues;
}

function checkValue(value: PlistValue, def: SchemaKey, path: string, options: ValidateOptions): string[] {
  if (!hasType(value, def.type)) return [`${path}: must be ${def.type}, got ${describe(value)}`];
  const issues: string[] = [];
  if (options.userEnrollment) {
    const modes = Object.values(def.supportedOS ?? {}).map((os) => os?.userenrollment?.mode);
    const mode = modes.find((m) => m === 'forbidden' || m === 'ignored');
    if (mode) issues.push(`${path}: ${mode} in User Enrollment (leave it out of BYOD profiles)`);
  }
  if (def.rangelist && !def.rangelist.some((allowed) => allowed === value))
    issues.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(def.rangelist)}`);
  if (typeof value === 'number' && def.range) {
    const { min, max } = def.range;
    if ((min !== undefined && value < min) || (max !== undefined && value > max))
      issues.push(`${path}: ${value} is outside ${min ?? '-∞'}…${max ?? '∞'}`);
  }
  if (typeof value === 'string' && def.format && !safeRegExp(def.format)?.test(value))
    issues.push(`${path}: "${value}" does not match ${def.format}`);
  const sub = def.subkeys;
  if (sub && isPlistDict(value) && def.type === '<dictionary>')
    issues.push(...checkDict(value, sub, path, options));
  if (sub?.[0] && Array.isArray(value)) {
    const item = sub[0];
    value.forEach((element, i) => {
      issues.push(...checkValue(element, item, `${path}[${i}]`, { ...options, userEnrollment: false }));
    });
  }
  return issues;
}

function hasType(value: PlistValue, type: string): boolean {
  switch (type) {
    case '<string>':
      return typeof value === 'string';
    case '<integer>':
      return typeof value === 'number' && Number.isInteger(value);
    case '<real>':
      return typeof value === 'number';
    case '<boolean>':
      return typeof value === 'boolean';
    case '<date>':
      return value instanceof Date;
    case '<data>':
      return value instanceof Uint8Array;
    case '<array>':
      return Array.isArray(value);
    case '<dictionary>':
      return isPlistDict(value);
    default:
      return true; // <any>, or a type a newer schema adds: do not guess
  }
}

function describe(value: PlistValue): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'data';
  if (value instanceof Date) return 'a date';
  if (isPlistDict(value)) return 'a dictionary';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined; // a pattern JavaScript cannot compile is not held against the payload
  }
}

function violation(message: string): AppleProtocolError {
  return new AppleProtocolError(
    'PROFILE_SCHEMA_VIOLATION',
    `Profile payload does not match Apple's schema: ${message}.`,
  );
}
