/**
 * The generator on a small, made-up copy of apple/device-management (written here, so the test needs
 * nothing outside the repository): what it keeps, what it drops, how shared and recursive key lists
 * survive, where the commit comes from, and the command's message without a copy.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { contentHash, resolveFacts } from './facts.ts';
import { readSchemaFacts, renderSchemaFacts, SCHEMA_DIRS } from './generate-facts.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const LAYOUT = `title: Home Screen Layout
description: Long prose that must not be kept.
payload:
  payloadtype: com.example.layout
  supportedOS:
    iOS:
      introduced: '9.3'
      supervised: true
      accessrights: 4
      userenrollment:
        mode: forbidden
        behavior: not kept
    macOS:
      introduced: n/a
  content: More prose.
payloadkeys:
- key: Pages
  title: Pages
  type: <array>
  presence: required
  content: Prose.
  default: []
  subkeys:
  - key: Page
    type: <array>
    subkeys: &id001
    - key: Type
      type: <string>
      presence: required
      rangelist:
      - App
      - Folder
    - key: Pages
      type: <array>
      subkeys:
      - key: Page
        type: <array>
        subkeys: *id001
- key: Port
  type: <integer>
  range:
    min: 1
    max: 65535
  supportedOS:
    iOS:
      introduced: '11.0'
      allowed-enrollments:
      - supervised
      - device
- key: URL
  type: <string>
  format: ^https://
`;

function makeCopy(source?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'ade-apple-dm-'));
  roots.push(root);
  for (const dir of SCHEMA_DIRS) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'mdm/profiles/com.example.layout.yaml'), LAYOUT);
  writeFileSync(
    join(root, 'mdm/commands/device.lock.yaml'),
    "title: Lock\npayload:\n  requesttype: DeviceLock\n  supportedOS:\n    iOS:\n      introduced: '4.0'\n",
  );
  writeFileSync(join(root, 'README.md'), '| OS | Version |\n|---|---|\n| iOS | 18.2 |\n| macOS | 15.2 |\n');
  writeFileSync(
    join(root, 'LICENSE.txt'),
    'Copyright © 2024 Example Inc.\n\nPermission is hereby granted…\n',
  );
  if (source !== undefined) writeFileSync(join(root, 'SOURCE.md'), source);
  return root;
}

describe('readSchemaFacts', () => {
  it('keeps the facts and drops the prose', () => {
    const facts = readSchemaFacts(makeCopy(`Apple's schemas, branch \`seed_x\`, commit ${COMMIT}.`));
    expect(facts.upstream).toEqual({
      repository: 'https://github.com/apple/device-management',
      branch: 'seed_x',
      commit: COMMIT,
      release: 'iOS 18.2, macOS 15.2',
    });
    expect(facts.licence).toBe(
      "Facts from Apple's schemas, MIT licence, Copyright © 2024 Example Inc.: APPLE-LICENSE.txt",
    );
    expect(Object.keys(facts.files)).toEqual([
      'mdm/commands/device.lock.yaml',
      'mdm/profiles/com.example.layout.yaml',
    ]);
    const layout = facts.files['mdm/profiles/com.example.layout.yaml']!;
    expect(layout.payload).toEqual({
      payloadtype: 'com.example.layout',
      supportedOS: {
        iOS: { introduced: '9.3', supervised: true, userenrollment: { mode: 'forbidden' } },
        macOS: { introduced: 'n/a' },
      },
    });
    const [, port, url] = layout.payloadkeys!;
    expect(port).toEqual({
      key: 'Port',
      type: '<integer>',
      range: { min: 1, max: 65535 },
      supportedOS: { iOS: { introduced: '11.0', 'allowed-enrollments': ['supervised', 'device'] } },
    });
    expect(url).toEqual({ key: 'URL', type: '<string>', format: '^https://' });
    const text = renderSchemaFacts(facts);
    for (const prose of ['prose', 'Prose', 'Home Screen Layout', 'behavior', 'accessrights', 'default'])
      expect(text).not.toContain(prose);
    expect(facts.sha256).toBe(contentHash(facts.lists, facts.files));
  });

  it('stores a list the YAML shares once, and restores it as one (recursive) array', () => {
    const stored = readSchemaFacts(makeCopy(`commit ${COMMIT}`));
    expect(stored.lists).toHaveLength(1);
    const pages = stored.files['mdm/profiles/com.example.layout.yaml']!.payloadkeys![0]!;
    expect(pages.subkeys).toEqual([{ key: 'Page', type: '<array>', subkeys: 0 }]);
    expect(stored.lists[0]![1]).toEqual({
      key: 'Pages',
      type: '<array>',
      subkeys: [{ key: 'Page', type: '<array>', subkeys: 0 }],
    });

    const facts = resolveFacts(stored);
    const page = facts.files.get('mdm/profiles/com.example.layout.yaml')!.payloadkeys![0]!.subkeys![0]!;
    const folderPage = page.subkeys![1]!.subkeys![0]!;
    expect(folderPage.subkeys).toBe(page.subkeys); // the same array, as the YAML alias made it
    expect(page.subkeys![0]!.rangelist).toEqual(['App', 'Folder']);
  });

  it('refuses a copy it cannot date, and a folder that is not a copy', () => {
    expect(() => readSchemaFacts(makeCopy())).toThrow(/SOURCE\.md naming its commit/);
    const empty = mkdtempSync(join(tmpdir(), 'ade-apple-dm-'));
    roots.push(empty);
    expect(() => readSchemaFacts(empty)).toThrow(/does not look like apple\/device-management/);
  });
});

describe('pnpm apple:generate', () => {
  it('says in one line what it needs when APPLE_DEVICE_MANAGEMENT is not set, and writes nothing', () => {
    const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
    const env = { ...process.env };
    delete env.APPLE_DEVICE_MANAGEMENT;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(repo, 'scripts/generate-apple-schema.ts')],
      { cwd: repo, env, encoding: 'utf8' },
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      "apple:generate needs a local copy of Apple's device-management repository: " +
        'APPLE_DEVICE_MANAGEMENT=/path/to/device-management pnpm apple:generate',
    ]);
  });
});
