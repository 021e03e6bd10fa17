/**
 * The facts of Apple's schemas and the catalogue are committed generated files. Without a copy of Apple's
 * repository this checks that each is consistent with what it was made from (the recorded hash, the
 * catalogue built from the facts); with `APPLE_DEVICE_MANAGEMENT=<path>` it also regenerates the facts
 * from Apple's YAML and fails on any difference (run `pnpm apple:generate` to take it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCatalog, generateCatalogSource } from '../catalog/build-catalog.ts';
import { renderCatalog } from '../catalog/render-catalog.ts';
import { contentHash, FACTS_PATH, LICENCE_PATH, readStoredFacts, resolveFacts } from './facts.ts';
import { readLicence, readSchemaFacts, renderSchemaFacts } from './generate-facts.ts';

const CATALOG_PATH = new URL('../catalog/catalog.generated.ts', import.meta.url);

describe('apple-schema.generated.json', () => {
  const stored = readStoredFacts();

  it('records the hash of its content (regenerate with pnpm apple:generate instead of editing it)', () => {
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(stored.lists, stored.files), 'edited by hand?').toBe(stored.sha256);
  });

  it("names its source and carries Apple's licence notice beside it", () => {
    expect(stored.upstream.repository).toBe('https://github.com/apple/device-management');
    expect(stored.upstream.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(stored.upstream.release).toMatch(/^iOS \d/);
    const licence = readFileSync(LICENCE_PATH, 'utf8');
    expect(licence).toMatch(/^Copyright © [\d-]+ Apple Inc\./);
    expect(licence).toContain('Permission is hereby granted, free of charge');
    expect(stored.licence).toContain(licence.split('\n')[0]);
  });

  it('is written exactly as the generator renders it', () => {
    expect(renderSchemaFacts(stored) === readFileSync(FACTS_PATH, 'utf8'), 'run pnpm apple:generate').toBe(
      true,
    );
  });

  it('holds facts only: no titles, descriptions, notes or defaults from Apple', () => {
    const text = readFileSync(FACTS_PATH, 'utf8');
    for (const prose of ['"title"', '"description"', '"content"', '"notes"', '"default"'])
      expect(text).not.toContain(`${prose}:`);
  });
});

describe('catalog.generated.ts', () => {
  it('is what the committed facts yield (run `pnpm catalog:generate`)', () => {
    const committed = readFileSync(CATALOG_PATH, 'utf8');
    expect(generateCatalogSource() === committed, 'stale: run pnpm catalog:generate').toBe(true);
  });
});

describe("drift from Apple's schemas", () => {
  it('the committed facts and catalogue are what APPLE_DEVICE_MANAGEMENT yields, when it is set', () => {
    const root = process.env.APPLE_DEVICE_MANAGEMENT;
    const stored = readStoredFacts();
    if (!root) {
      console.log(
        'apple schema drift: not checked (set APPLE_DEVICE_MANAGEMENT=<path to apple/device-management> to check)',
      );
      // What can still be checked without Apple's copy: the facts are the ones their hash was taken of.
      expect(contentHash(stored.lists, stored.files)).toBe(stored.sha256);
      return;
    }
    const fresh = readSchemaFacts(root);
    console.log(`apple schema drift: checked against ${root} (${fresh.upstream.commit})`);
    expect(fresh.sha256, "Apple's schemas differ from the facts: run pnpm apple:generate").toBe(
      stored.sha256,
    );
    expect(fresh.upstream, 'a different release or commit: run pnpm apple:generate').toEqual(stored.upstream);
    expect(renderSchemaFacts(fresh) === readFileSync(FACTS_PATH, 'utf8'), 'run pnpm apple:generate').toBe(
      true,
    );
    expect(
      readLicence(root) === readFileSync(LICENCE_PATH, 'utf8'),
      "Apple's notice changed: run pnpm apple:generate",
    ).toBe(true);
    const { data, labels } = buildCatalog(resolveFacts(fresh));
    expect(
      renderCatalog(data, labels) === readFileSync(CATALOG_PATH, 'utf8'),
      'run pnpm apple:generate',
    ).toBe(true);
  });
});
