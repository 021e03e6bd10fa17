/**
 * docs/payload-secrets.md lists, by hand, every key the catalogue seals as a secret. The table and
 * the catalogue must agree: a regenerated catalogue that adds or drops a secret key fails here until
 * someone has read the new key and updated the page.
 */
import { readFileSync } from 'node:fs';
import { CATALOG } from '@ade/apple/catalog/catalog.generated';
import { secretKeysOfType } from '@ade/apple/catalog/index';
import { describe, expect, it } from 'vitest';

const DOC = new URL('../../docs/payload-secrets.md', import.meta.url);

/** `kind type: key, key` for every row of the page's table of secret keys. */
function documentedSecretKeys(markdown: string): string[] {
  const section = markdown.split('### The reviewed list')[1]?.split(/\n## /)[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^\|\s*(profile|declaration)\s*\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(
      ([, kind, type, keys]) =>
        `${kind} ${type}: ${[...keys!.matchAll(/`([^`]+)`/g)].map((k) => k[1]).join(', ')}`,
    );
}

function catalogueSecretKeys(): string[] {
  const rows = (kind: 'profile' | 'declaration', types: string[]) =>
    types
      .sort()
      .map((type) => ({ type, keys: secretKeysOfType(kind === 'profile' ? 'PROFILE' : 'DECLARATION', type) }))
      .filter(({ keys }) => keys.length > 0)
      .map(({ type, keys }) => `${kind} ${type}: ${keys.join(', ')}`);
  return [
    ...rows('profile', Object.keys(CATALOG.profiles)),
    ...rows('declaration', Object.keys(CATALOG.declarations)),
  ];
}

describe('docs/payload-secrets.md', () => {
  it("lists exactly the catalogue's secret keys, type by type", () => {
    const documented = documentedSecretKeys(readFileSync(DOC, 'utf8'));
    expect(documented.length).toBeGreaterThan(20); // the table was found and read
    expect(documented).toEqual(catalogueSecretKeys());
  });
});
