/**
 * Settings arrive as JSON, where Apple's `<data>` is base64 text and `<date>` an ISO 8601 string (the
 * validator accepts them so). A profile must carry them as plist `<data>` and `<date>`: this turns a
 * payload's (already validated, already pruned) settings into those values, by Apple's key types.
 */
import { arrayItem, type DictSchema, dictSchema, payloadSchema } from './lookup.ts';
import type { KeyDef } from './types.ts';
import { isDict } from './validate.ts';

export function toPlistValues(
  payloadType: string,
  settings: Record<string, unknown>,
): Record<string, unknown> {
  const schema = payloadSchema(payloadType);
  return schema ? convertDict(settings, schema) : settings;
}

function convertDict(value: Record<string, unknown>, schema: DictSchema): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const def = schema.keys.get(key) ?? schema.any;
      return [key, def ? convert(v, def) : v];
    }),
  );
}

function convert(value: unknown, def: KeyDef): unknown {
  switch (def.type) {
    case 'data':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : value;
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : value;
    case 'array': {
      const item = arrayItem(def);
      return Array.isArray(value) && item ? value.map((v) => convert(v, item)) : value;
    }
    case 'dictionary': {
      const schema = dictSchema(def);
      return isDict(value) && schema ? convertDict(value, schema) : value;
    }
    default:
      return value;
  }
}
