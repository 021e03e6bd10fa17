/**
 * Writes packages/apple/src/catalog/catalog.generated.ts from Apple's device-management YAML in
 * `shared/apple-device-management` beside the repository (ADE_SHARED_DIR overrides). A test fails when
 * the committed file differs from what the YAML yields; run `pnpm catalog:generate` after updating it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCatalogSource } from '@ade/apple/catalog/build-catalog';
import { sharedDir } from '@ade/apple/schema/payload-schema';

export const catalogPath = fileURLToPath(
  new URL('../packages/apple/src/catalog/catalog.generated.ts', import.meta.url),
);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const source = generateCatalogSource(join(sharedDir(), 'apple-device-management'));
  writeFileSync(catalogPath, source);
  console.log(`wrote ${catalogPath} (${Buffer.byteLength(source)} bytes)`);
}
