/**
 * The committed schema is what the code builds, and every example operation in graphql/operations
 * parses and validates against it (and is executed in examples.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema, schemaPath } from '../../scripts/print-schema.ts';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `pnpm schema:print` after changing types)', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(printedSchema());
  });
});
