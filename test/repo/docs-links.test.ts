import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  anchorsOf,
  checkReference,
  type Reference,
  referencesIn,
  repositoryTextFiles,
  staleFormsIn,
} from '../support/docs-links.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The checker and its own tests hold examples of broken references on purpose. */
const CHECKER_FILES = new Set(['test/repo/docs-links.test.ts', 'test/support/docs-links.ts']);

describe("the repository's references to its documentation", () => {
  const files = repositoryTextFiles(ROOT);
  const texts = new Map(files.map((file) => [file, readFileSync(`${ROOT}/${file}`, 'utf8')]));

  it('every docs/… file and #anchor cited in code, tests, scripts, config and Markdown exists', () => {
    const refs: Reference[] = [...texts]
      .filter(([file]) => !CHECKER_FILES.has(file))
      .flatMap(([file, text]) => referencesIn(ROOT, file, text));
    const cache = new Map<string, Set<string>>();
    const problems = refs.map((ref) => checkReference(ROOT, ref, cache)).filter(Boolean);
    expect(problems).toEqual([]);
    // Not vacuous: the code cites the protocol pages by anchor in many places.
    const cited = refs.filter((r) => r.text.startsWith('docs/protocol/') && r.anchor);
    expect(cited.length).toBeGreaterThan(40);
    expect(new Set(cited.map((r) => r.file)).size).toBeGreaterThan(25);
  });

  it('no "docs §N" citations or paths outside the repository remain', () => {
    const problems = [...texts]
      .filter(([file]) => !CHECKER_FILES.has(file))
      .flatMap(([file, text]) => staleFormsIn(file, text));
    expect(problems).toEqual([]);
  });
});

describe('the checker', () => {
  const root = '/repo';
  const refs = (file: string, text: string) => referencesIn(root, file, text).map((r) => [r.text, r.anchor]);

  it('finds repository-relative docs paths, not other projects’ or URLs', () => {
    const text = [
      '// see docs/protocol/mdm.md#check-in-messages and (docs/README.md).',
      '// https://github.com/apple/device-management/blob/x/docs/schema.md',
      '// fleetdm/fleet/docs/Contributing/x.md',
    ].join('\n');
    expect(refs('a.ts', text)).toEqual([
      ['docs/protocol/mdm.md#check-in-messages', 'check-in-messages'],
      ['docs/README.md', undefined],
    ]);
  });

  it('finds relative Markdown links and reference definitions, and leaves URLs alone', () => {
    const text =
      'See [mdm](mdm.md#the-command-channel), [here](#top), [web](https://x.y).\n\n[ref]: ../README.md\n';
    expect(refs('docs/protocol/a.md', text)).toEqual([
      ['mdm.md#the-command-channel', 'the-command-channel'],
      ['#top', 'top'],
      ['../README.md', undefined],
    ]);
    expect(referencesIn(root, 'docs/protocol/a.md', text)[2]!.target).toBe('/repo/docs/README.md');
  });

  it('slugs headings as GitHub does, outside code blocks, duplicates numbered', () => {
    const anchors = anchorsOf(
      [
        '# Title',
        '## GetToken and `com.apple.maid`',
        '### TV-8: second request, BYOD',
        '## Sessions with Apple’s service',
        '```',
        '## not a heading',
        '```',
        '## Title',
        '## A [link](x.md) in it',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'title',
      'gettoken-and-comapplemaid',
      'tv-8-second-request-byod',
      'sessions-with-apples-service',
      'title-1',
      'a-link-in-it',
    ]);
  });

  it('reports a missing file, a missing anchor and a path that leaves the repository', () => {
    const docsRoot = ROOT.replace(/\/$/, '');
    const check = (text: string) =>
      referencesIn(docsRoot, 'x.ts', text).map((r) => checkReference(docsRoot, r) ?? 'ok');
    expect(check('docs/protocol/mdm.md#check-in-messages')).toEqual(['ok']);
    expect(check('docs/protocol/mdm.md#no-such-heading')).toEqual([
      'x.ts:1: docs/protocol/mdm.md#no-such-heading: no heading with anchor #no-such-heading',
    ]);
    expect(check('docs/protocol/nope.md')).toEqual([
      'x.ts:1: docs/protocol/nope.md: no such file docs/protocol/nope.md',
    ]);
    const outside = referencesIn(docsRoot, 'docs/a.md', '[x](../../elsewhere.md)');
    expect(checkReference(docsRoot, outside[0]!)).toMatch(/points outside the repository/);
  });

  it('reports the old citation forms', () => {
    const outside = ['..', 'shared', 'docs', 'toolchain.md'].join('/');
    expect(staleFormsIn('a.ts', `x\n// (docs §3.1)\n// ${outside}`)).toEqual([
      'a.ts:2: "docs §" is a "docs §N" citation: cite docs/<file>.md#<anchor>',
      `a.ts:3: "${['..', 'shared', ''].join('/')}" is a path outside the repository`,
    ]);
  });
});
