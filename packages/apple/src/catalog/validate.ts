/**
 * Checks an administrator's payload settings against Apple's schema (types, `rangelist`, `range`,
 * `format`, `presence`, unknown keys), recursively, one problem per problem with its key path
 * ("Accounts[0].Host"). Settings arrive as JSON, so a `<date>` may be an ISO 8601 string and `<data>`
 * a base64 string (Date and Uint8Array are accepted too, for values read from a plist).
 */
import {
  arrayItem,
  type DictSchema,
  declarationSchema,
  dictSchema,
  payloadSchema,
  SERVER_FILLED_KEYS,
} from './lookup.ts';
import type { KeyDef, KeyType } from './types.ts';

export interface PayloadProblem {
  code: 'UNKNOWN_PAYLOAD_TYPE' | 'UNKNOWN_KEY' | 'WRONG_TYPE' | 'MISSING_REQUIRED_KEY' | 'VALUE_NOT_ALLOWED';
  path: string;
  message: string;
}

export function validatePayloadSettings(
  payloadType: string,
  settings: Record<string, unknown>,
): PayloadProblem[] {
  const schema = payloadSchema(payloadType);
  if (!schema) {
    return [
      {
        code: 'UNKNOWN_PAYLOAD_TYPE',
        path: '',
        message: `${payloadType} is not a payload type in Apple's schema`,
      },
    ];
  }
  const problems: PayloadProblem[] = [];
  checkDict(schema, settings, '', payloadType, SERVER_FILLED_KEYS, problems);
  const type = settings.PayloadType;
  if (typeof type === 'string' && type !== payloadType) {
    problems.push({
      code: 'VALUE_NOT_ALLOWED',
      path: 'PayloadType',
      message: `PayloadType is ${JSON.stringify(type)} but the payload is ${payloadType}; leave it out (the server sets it)`,
    });
  }
  return problems;
}

/**
 * The same checks over a declaration's `Payload` dictionary (Apple's `payloadkeys` for that Type).
 * `settings` is the Payload object only: Type, Identifier and ServerToken are the envelope's, filled
 * by the server, and are unknown keys here. An unknown Type is reported as UNKNOWN_PAYLOAD_TYPE.
 */
export function validateDeclarationSettings(
  declarationType: string,
  settings: Record<string, unknown>,
): PayloadProblem[] {
  const schema = declarationSchema(declarationType);
  if (!schema) {
    return [
      {
        code: 'UNKNOWN_PAYLOAD_TYPE',
        path: '',
        message: `${declarationType} is not a declaration type in Apple's schema`,
      },
    ];
  }
  const problems: PayloadProblem[] = [];
  checkDict(schema, settings, '', declarationType, NONE, problems);
  return problems;
}

const NONE: ReadonlySet<string> = new Set();

export function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function checkDict(
  schema: DictSchema,
  dict: Record<string, unknown>,
  path: string,
  owner: string,
  /** Top-level required keys the server fills, so the settings may leave them out. */
  serverFilled: ReadonlySet<string>,
  problems: PayloadProblem[],
): void {
  for (const [name, value] of Object.entries(dict)) {
    const at = joinPath(path, name);
    const def = schema.keys.get(name) ?? schema.any;
    if (def) checkValue(def, value, at, problems);
    else
      problems.push({
        code: 'UNKNOWN_KEY',
        path: at,
        message: `${at} is not a key of ${owner} in Apple's schema`,
      });
  }
  for (const def of schema.keys.values()) {
    if (!def.required || Object.hasOwn(dict, def.name)) continue;
    if (path === '' && serverFilled.has(def.name)) continue;
    const at = joinPath(path, def.name);
    problems.push({ code: 'MISSING_REQUIRED_KEY', path: at, message: `${at} is required` });
  }
}

function checkValue(def: KeyDef, value: unknown, path: string, problems: PayloadProblem[]): void {
  if (!hasType(value, def.type)) {
    // A secret's value is never repeated back, not even to the one who sent it.
    const given = def.secret ? '' : `, not ${describe(value)}`;
    problems.push({ code: 'WRONG_TYPE', path, message: `${path} must be ${TYPE_NAME[def.type]}${given}` });
    return;
  }
  const notAllowed = valueProblem(def, value);
  if (notAllowed) problems.push({ code: 'VALUE_NOT_ALLOWED', path, message: `${path} ${notAllowed}` });
  const dict = dictSchema(def);
  if (dict && isDict(value)) checkDict(dict, value, path, path, NONE, problems);
  const item = arrayItem(def);
  if (item && Array.isArray(value)) {
    value.forEach((element, i) => {
      checkValue(item, element, `${path}[${i}]`, problems);
    });
  }
}

function valueProblem(def: KeyDef, value: unknown): string | null {
  const not = (shown: string) => (def.secret ? '' : `, not ${shown}`);
  if (def.values && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
    if (!def.values.includes(value))
      return `must be one of ${def.values.map((v) => JSON.stringify(v)).join(', ')}${not(JSON.stringify(value))}`;
  }
  if (typeof value === 'number') {
    if (def.min !== undefined && value < def.min) return `must be at least ${def.min}${not(String(value))}`;
    if (def.max !== undefined && value > def.max) return `must be at most ${def.max}${not(String(value))}`;
  }
  if (typeof value === 'string' && def.pattern && !pattern(def.pattern).test(value))
    return `must match ${def.pattern}${not(JSON.stringify(value))}`;
  return null;
}

const patterns = new Map<string, RegExp>();

/** Apple's `format` patterns, compiled once (the generator keeps only those JavaScript compiles). */
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source);
    patterns.set(source, re);
  }
  return re;
}

const TYPE_NAME: Record<KeyType, string> = {
  string: 'a string',
  integer: 'an integer',
  real: 'a number',
  boolean: 'true or false',
  date: 'a date (ISO 8601 string)',
  data: 'data (base64 string)',
  array: 'an array',
  dictionary: 'a dictionary (object)',
  any: 'any value',
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function hasType(value: unknown, type: KeyType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'real':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      if (value instanceof Date) return !Number.isNaN(value.getTime());
      return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
    case 'data':
      // Base64 as pasted from a PEM body or a terminal may be wrapped; whitespace is ignored.
      return (
        value instanceof Uint8Array || (typeof value === 'string' && BASE64.test(value.replace(/\s+/g, '')))
      );
    case 'array':
      return Array.isArray(value);
    case 'dictionary':
      return isDict(value);
    case 'any':
      return value !== undefined;
  }
}

export function isDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  if (value instanceof Uint8Array) return 'binary data';
  if (isDict(value)) return 'a dictionary';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}
