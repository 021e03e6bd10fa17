/**
 * How a Lambda function is built — the one definition shared by the deploy (infra/functions.ts),
 * the bundle budgets (infra/bundle.test.ts) and the benchmarks (scripts/bench/bundler.ts), so what
 * is measured is what ships.
 *
 * esbuild, ESM, Node 22, minified, everything bundled including the AWS SDK: the SDK copy in the
 * Lambda runtime is older than ours, slower to import and breaks ElectroDB's lib-dynamodb use
 * (docs/toolchain.md#lambda-bundles). Modules reached only through `import()` become chunks that load
 * on first use, not at cold start. Packages' ES module builds are preferred to their CommonJS ones
 * (`mainFields`): the AWS SDK's ESM builds load credential providers and protocol pieces with
 * `import()` and let unused commands be dropped, which takes about a quarter off every function's
 * cold start (scripts/bench/coldstart.ts); arrow functions are lowered (see `supported` below) for
 * another fifth. This file imports nothing but Node built-ins and the explorer's builder (which
 * imports nothing else either): SST bundles sst.config.ts with every package left external, so
 * esbuild is passed in (see infra/routes.ts, repoEsbuild).
 *
 * A function with `explorer` in routes.ts (GraphQL) also gets the GraphQL explorer's built files in
 * `explorer/` beside index.mjs: its handler reads them from there on a browser's first visit, so
 * they are in the package but not in the cold start.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, BuildResult, Metafile } from 'esbuild';
import { type ExplorerManifest, ensureExplorer } from '../packages/explorer/src/build.ts';

export type Esbuild = typeof import('esbuild');

/** CJS dependencies call `require`; ESM bundles have none unless the banner defines it. */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __adeCreateRequire}from'node:module';const require=__adeCreateRequire(import.meta.url);";

export const LAMBDA_RUNTIME = 'nodejs22.x';

/** Splits `packages/functions/src/graphql.handler` into its file (with .ts) and export. */
export function parseHandler(handler: string): { entry: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler "${handler}" is not file.export`);
  return { entry: `${handler.slice(0, dot)}.ts`, exportName: handler.slice(dot + 1) };
}

/**
 * Device-facing functions run ElectroDB over core/db/wire.ts, never over the AWS SDK's
 * DocumentClient; ElectroDB still `require`s `@aws-sdk/lib-dynamodb` when it loads, which would bring
 * the whole SDK DynamoDB client (≈ 220 KB, ≈ 50 ms of cold start) into their bundles. There it is
 * replaced by a module whose commands throw if anything ever constructs one.
 */
export const DEVICE_FACING_ALIASES = {
  '@aws-sdk/lib-dynamodb': 'packages/core/src/db/no-sdk-document-client.ts',
} as const;

export interface FunctionBuild {
  /** Answers Apple's devices: built with DEVICE_FACING_ALIASES. */
  deviceFacing: boolean;
  /** Ships the GraphQL explorer in `explorer/` (packages/explorer/src/build.ts). */
  explorer?: boolean;
}

/** The folder of the function package that holds the explorer (graphql.ts `explorerDir`). */
export const EXPLORER_FOLDER = 'explorer';

/**
 * graphql 16 has no `exports` map, so a deep import without an extension (graphql-armor's max-tokens
 * plugin imports `graphql/language/parser`) resolves to the CommonJS file while everything else gets
 * the `.mjs` one: two copies of graphql-js in one bundle (infra/bundle.test.ts counts them).
 */
const GRAPHQL_ESM_SUBPATHS: Record<string, string> = {
  'graphql/language/parser': 'graphql/language/parser.mjs',
};

export function lambdaBuildOptions(
  root: string,
  entry: string,
  outdir: string,
  { deviceFacing }: FunctionBuild,
): BuildOptions {
  return {
    alias: {
      ...GRAPHQL_ESM_SUBPATHS,
      ...(deviceFacing
        ? Object.fromEntries(
            Object.entries(DEVICE_FACING_ALIASES).map(([name, path]) => [name, join(root, path)]),
          )
        : {}),
    },
    absWorkingDir: root,
    entryPoints: { index: join(root, entry) },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // Arrow functions are written as `function` expressions. esbuild wraps each CommonJS module
    // (ElectroDB, jsonschema, plist…) in a factory passed to a call, and all of them run at import. V8
    // compiles a `function` expression written directly inside parentheses with the code around it,
    // expecting it to be called at once; an arrow there is only pre-parsed, then parsed again when it
    // runs. Measured with `pnpm bench:coldstart`: a fifth to a quarter off every function's import
    // (ElectroDB alone 31 → 20 ms), for 2% more bytes.
    supported: { arrow: false },
    mainFields: ['module', 'main'],
    minify: true,
    metafile: true,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'silent',
  };
}

export interface BuiltFunction {
  /** The folder to zip: index.mjs and chunks/. */
  dir: string;
  /** Lambda's handler setting for it: `index.<export>`. */
  handler: string;
  entry: string;
  exportName: string;
  metafile: Metafile;
  warnings: BuildResult['warnings'];
  /** What `explorer/` holds, for a function that ships it. */
  explorer?: ExplorerManifest;
}

/** Builds `handler` (routes.ts form, `file.export`) into an empty `outdir`. */
export async function buildFunction(
  esbuild: Esbuild,
  root: string,
  handler: string,
  outdir: string,
  build: FunctionBuild,
): Promise<BuiltFunction> {
  const { entry, exportName } = parseHandler(handler);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build(lambdaBuildOptions(root, entry, outdir, build));
  const metafile = result.metafile!;
  const index = Object.entries(metafile.outputs).find(([path]) => /(^|\/)index\.mjs$/.test(path));
  if (!index?.[1].exports.includes(exportName))
    throw new Error(`${entry} does not export "${exportName}" (exports: ${index?.[1].exports.join(', ')})`);
  let explorer: ExplorerManifest | undefined;
  if (build.explorer) {
    const built = await ensureExplorer(esbuild, root);
    cpSync(built.dir, join(outdir, EXPLORER_FOLDER), { recursive: true });
    explorer = built.manifest;
  }
  return {
    dir: outdir,
    handler: `index.${exportName}`,
    entry,
    exportName,
    metafile,
    warnings: result.warnings,
    ...(explorer ? { explorer } : {}),
  };
}
