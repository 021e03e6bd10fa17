/**
 * Writes packages/apple/src/catalog/catalog.generated.ts from the committed facts of Apple's schemas
 * (packages/apple/src/schema/apple-schema.generated.json). Needs nothing outside the repository; to
 * take a new release of Apple's schemas, run `pnpm apple:generate` (scripts/generate-apple-schema.ts),
 * which refreshes the facts and then this file. A test fails when the committed file differs from
 * what the facts yield.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateCatalogSource } from '@ade/apple/catalog/build-catalog';
import type { SchemaFacts } from '@ade/apple/schema/facts';

export const catalogPath = fileURLToPath(
  new URL('../packages/apple/src/catalog/catalog.generated.ts', import.meta.url),
);

/** Writes the catalogue for `facts` (by default the committed ones); returns its size in bytes. */
export function writeCatalog(facts?: SchemaFacts): number {
  const source = generateCatalogSource(facts);
  writeFileSync(catalogPath, source);
  return Buffer.byteLength(source);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${catalogPath} (${writeCatalog()} bytes)`);
}
