/**
 * The tiers of vitest.config.ts: every test file is run by exactly one of them (a file outside both
 * globs would silently never run), and the unit tier holds no test that needs more than Node — no
 * DynamoDB Local, Chromium, workerd or SST platform — so `pnpm test:unit` works on a bare machine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UNIT_TESTS } from '../../vitest.config.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const testFiles = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.test.ts'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter(Boolean);

const INTEGRATION_TESTS = ['test/**/*.test.ts', 'infra/**/*.test.ts'];
const matches = (globs: string[], file: string) => globs.some((glob) => matchesGlob(glob, file));

/** What a Node-only test must not reach for: the database, a browser, workerd, SST's platform. */
const NEEDS_MORE_THAN_NODE =
  /test\/support\/(database|core|handlers|graphql|enroll-device|chromium)\.ts|startDynamoLocal|superviseDynamoLocal|inject\('dynamoEndpoint'\)|playwright|miniflare|sst-mocks|\.sst\/platform/;

describe('test tiers', () => {
  it('runs every test file in exactly one tier', () => {
    const unrun = testFiles.filter((f) => !matches(UNIT_TESTS, f) && !matches(INTEGRATION_TESTS, f));
    expect(unrun).toEqual([]);
    expect(testFiles.length).toBeGreaterThan(50);
  });

  it('keeps the unit tier to tests that need only Node', () => {
    // This file names what it looks for, so it is the one unit test exempt from the look.
    const unit = testFiles.filter((f) => matches(UNIT_TESTS, f) && f !== 'test/repo/test-tiers.test.ts');
    const heavy = unit.filter((f) => NEEDS_MORE_THAN_NODE.test(readFileSync(`${root}/${f}`, 'utf8')));
    expect(heavy).toEqual([]);
    expect(unit.length).toBeGreaterThan(30);
  });
});

/** `**` any folders, `*` within one path segment: the subset of glob syntax the tiers use. */
function matchesGlob(glob: string, file: string): boolean {
  const pattern = glob
    .split('/')
    .map((part) =>
      part === '**'
        ? '(?:[^/]+/)*'
        : `${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`,
    )
    .join('');
  return new RegExp(`^${pattern.slice(0, -1)}$`).test(file);
}
