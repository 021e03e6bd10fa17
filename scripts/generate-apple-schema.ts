/**
 * `pnpm apple:generate`: refreshes the facts this project keeps from Apple's device-management schemas
 * (packages/apple/src/schema/apple-schema.generated.json) from a local copy of
 * https://github.com/apple/device-management, then the eligibility catalogue built from them
 * (catalog.generated.ts), with Apple's licence notice beside the facts (APPLE-LICENSE.txt). The copy is
 * given explicitly — there is no default location:
 *
 *   APPLE_DEVICE_MANAGEMENT=/path/to/device-management pnpm apple:generate
 *
 * A git clone records its branch and commit; a plain copy needs a SOURCE.md naming them.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FACTS_PATH, LICENCE_PATH, resolveFacts } from '@ade/apple/schema/facts';
import { readLicence, readSchemaFacts, renderSchemaFacts } from '@ade/apple/schema/generate-facts';
import { catalogPath, writeCatalog } from './generate-catalog.ts';

export const NO_SOURCE_MESSAGE =
  "apple:generate needs a local copy of Apple's device-management repository: " +
  'APPLE_DEVICE_MANAGEMENT=/path/to/device-management pnpm apple:generate';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.env.APPLE_DEVICE_MANAGEMENT;
  if (!root) {
    console.error(NO_SOURCE_MESSAGE);
    process.exit(2);
  }
  let facts: ReturnType<typeof readSchemaFacts>;
  let licence: string;
  try {
    facts = readSchemaFacts(resolve(root));
    licence = readLicence(resolve(root));
  } catch (error) {
    console.error(`apple:generate: ${(error as Error).message}`);
    process.exit(1);
  }
  const text = renderSchemaFacts(facts);
  writeFileSync(FACTS_PATH, text);
  writeFileSync(LICENCE_PATH, licence);
  console.log(`wrote ${FACTS_PATH} (${Buffer.byteLength(text)} bytes; ${facts.upstream.commit})`);
  console.log(`wrote ${catalogPath} (${writeCatalog(resolveFacts(facts))} bytes)`);
}
