/**
 * The README names GraphQL fields, arguments and types in backticks; each must exist in the committed
 * schema, so a reader who types one finds it. Backticked camelCase names that are not GraphQL (the
 * dev credentials file's keys, code) are listed here with where they belong.
 */
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const schema = buildSchema(readFileSync(new URL('graphql/schema.graphql', root), 'utf8'));
const readme = readFileSync(new URL('README.md', root), 'utf8');

const NOT_GRAPHQL = new Set([
  // .data/dev-credentials.json, written by `pnpm dev`
  'graphqlUrl',
  'operatorKey',
  'partnerKey',
  'tenantKey',
  'tenantReadOnlyKey',
  'tableName',
  'dynamoEndpoint',
  // code: packages/core/src/tenancy.ts, device-core.ts
  'useTenantId',
  'inTenant',
  'discoveryPart',
  'enrollmentPart',
  'mdmPart',
  // code: packages/apple/src/mdm-signature.ts
  'verifyMdmSignature',
  // an output of `sst deploy`
  'domainTarget',
  // Apple's model family
  'iPhone',
  // the browser's storage areas (the explorer keeps the API key in one of them)
  'sessionStorage',
  'localStorage',
]);

function fieldsOf(type: GraphQLNamedType): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      const args: readonly { name: string }[] = 'args' in field ? field.args : [];
      fields.set(
        field.name,
        args.map((arg) => arg.name),
      );
    }
  }
  return fields;
}

/** Every name the schema has: types, fields, arguments, input fields, enum values. */
const schemaNames = new Set<string>();
for (const type of Object.values(schema.getTypeMap())) {
  schemaNames.add(type.name);
  for (const [field, args] of fieldsOf(type)) {
    schemaNames.add(field);
    for (const arg of args) schemaNames.add(arg);
  }
  if (isEnumType(type)) for (const value of type.getValues()) schemaNames.add(value.name);
}

const spans = [...readme.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
const identifiers = (text: string) => [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => m[0]);

describe('the README speaks the schema', () => {
  it('names only fields, arguments and types that exist (camelCase names)', () => {
    const unknown = new Set<string>();
    for (const span of spans)
      for (const word of identifiers(span))
        if (/^[a-z]+[A-Z]/.test(word) && !schemaNames.has(word) && !NOT_GRAPHQL.has(word)) unknown.add(word);
    expect([...unknown]).toEqual([]);
  });

  it('writes `Type.field` only for fields of that type', () => {
    const wrong: string[] = [];
    for (const span of spans) {
      for (const [, typeName, field] of span.matchAll(/\b([A-Z][A-Za-z]+)\.([a-z][A-Za-z]*)\b/g)) {
        const type = schema.getType(typeName!);
        if (type && !fieldsOf(type).has(field!)) wrong.push(`${typeName}.${field}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('writes selections (`field { a b { c } }`) with names that exist', () => {
    const selections = spans.filter((span) => /^[a-z]\w*\s*[({]/.test(span) && span.includes('{'));
    expect(selections.length).toBeGreaterThan(2);
    const unknown = selections.flatMap((span) =>
      identifiers(span).filter((word) => /^[a-z]/.test(word) && !schemaNames.has(word)),
    );
    expect(unknown).toEqual([]);
  });

  it("lists the audit event's fields by their schema names", () => {
    const audit = /- \*\*Audit\*\*:[^\n]*\n(?: {2}[^\n]*\n)*/.exec(readme)?.[0] ?? '';
    const named = identifiers(audit.split(')')[0]!.split('(')[1] ?? '');
    expect(named.length).toBeGreaterThan(3);
    const auditFields = fieldsOf(schema.getType('AuditEvent')!);
    expect(named.filter((name) => !auditFields.has(name))).toEqual([]);
    expect(named).toEqual(expect.arrayContaining(['actorId', 'targetId']));
  });
});
