/**
 * The typed client in graphql/client/ is generated from graphql/schema.graphql and
 * graphql/operations/*.graphql (`pnpm codegen`). This runs the same generator with the same config in
 * memory and fails when the committed files differ, are missing, or are left over.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../../codegen.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outputDir = 'graphql/client';

describe('generated GraphQL client', () => {
  it('matches what `pnpm codegen` generates from the schema and operations', async () => {
    const outputs: { filename: string; content: string }[] = await generate(
      { ...config, cwd: root, silent: true },
      false,
    );
    const generated = new Map(
      outputs.map((output) => [relative(root, resolve(root, output.filename)), output.content]),
    );
    expect(generated.has(`${outputDir}/graphql.ts`)).toBe(true);

    const committed = readdirSync(join(root, outputDir)).map((name) => `${outputDir}/${name}`);
    const stale = [...generated].filter(
      ([file, content]) => !committed.includes(file) || readFileSync(join(root, file), 'utf8') !== content,
    );
    const leftOver = committed.filter((file) => !generated.has(file));
    expect(
      { stale: stale.map(([file]) => file), leftOver },
      'graphql/client/ is out of date: run `pnpm codegen` and commit the result',
    ).toEqual({ stale: [], leftOver: [] });
  });
});
