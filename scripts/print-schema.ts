/**
 * Prints the schema built by graphql/src (Pothos) to graphql/schema.graphql. A test fails when the
 * committed file differs from what the code builds; run `pnpm schema:print` after changing types.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schema } from '@ade/graphql';
import { printSchema } from 'graphql';

export const schemaPath = fileURLToPath(new URL('../graphql/schema.graphql', import.meta.url));

export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(schemaPath, printedSchema());
  console.log(`wrote ${schemaPath}`);
}
