/**
 * Builds the GraphQL explorer (GraphiQL 5 from npm, our page around it, the example operations of
 * graphql/operations/) into a folder of static files that the GraphQL function serves from disk:
 *
 *   <outdir>/page.html        the page GET /graphql answers to a browser (links assets/ relatively)
 *   <outdir>/assets/*         scripts, styles and Monaco's web workers, named by content hash, each
 *                             with a .gz twin (API Gateway's HTTP APIs do not compress)
 *   <outdir>/manifest.json    what is there (ExplorerManifest), and the stamp of the inputs
 *
 * `pnpm dev` and the tests use ensureExplorer (built once per change of the inputs, in
 * .artifacts/explorer/<stamp>); a Lambda package gets a copy of it (infra/bundle.ts).
 *
 * Nothing of it is imported by the function: the Lambda ships the folder beside its bundle
 * (infra/bundle.ts) and reads it on the first GET, so the cold start of POST /graphql is unchanged.
 *
 * Two esbuild runs: Monaco's three workers as classic scripts (a worker cannot share the page's
 * chunks), then the page's module with code splitting, so Monaco and Prettier load after the first
 * paint, as GraphiQL imports them. Like infra/bundle.ts this file imports nothing but Node built-ins
 * (SST bundles infra/ with packages left external): esbuild is passed in.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BuildOptions, Plugin } from 'esbuild';

export type Esbuild = typeof import('esbuild');

/** Where the page's sources are, relative to the repository root. */
export const EXPLORER_APP = 'packages/explorer/app';
/** The example operations offered as starting points. */
export const OPERATIONS_DIR = 'graphql/operations';
/** Where builds are kept, one folder per stamp (ensureExplorer). */
export const LOCAL_EXPLORER_DIR = '.artifacts/explorer';

export const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
};

export interface ExplorerAsset {
  contentType: string;
  bytes: number;
  /** Size of the `.gz` twin. */
  gzipBytes: number;
}

export interface ExplorerManifest {
  /** Hash of every input (sources, operations, lockfile, this builder): same stamp, same output. */
  stamp: string;
  page: 'page.html';
  /** File names under assets/ (one path segment each, content-hashed). */
  assets: Record<string, ExplorerAsset>;
}

export interface ExampleOperation {
  /** The file name without `.graphql`, e.g. `create-policy`. */
  name: string;
  document: string;
}

/** The example operations, in file-name order, as they are compiled into the page. */
export function readOperations(root: string): ExampleOperation[] {
  const dir = join(root, OPERATIONS_DIR);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => ({ name: basename(file, '.graphql'), document: readFileSync(join(dir, file), 'utf8') }));
}

/** `import operations from 'ade:operations'` in the page: the files of graphql/operations/, at build time. */
function operationsPlugin(root: string): Plugin {
  return {
    name: 'ade-operations',
    setup(build) {
      build.onResolve({ filter: /^ade:operations$/ }, () => ({ path: 'operations', namespace: 'ade' }));
      build.onLoad({ filter: /.*/, namespace: 'ade' }, () => {
        const operations = readOperations(root);
        return {
          contents: JSON.stringify(operations),
          loader: 'json',
          watchFiles: operations.map((o) => join(root, OPERATIONS_DIR, `${o.name}.graphql`)),
        };
      });
    },
  };
}

/**
 * Monaco's modules import their own CSS from JavaScript; GraphiQL's style.css already holds all of
 * it (650 KB), so those imports load nothing instead of emitting a second, unused copy per chunk.
 */
const monacoCssFromJs: Plugin = {
  name: 'monaco-css-from-js',
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) =>
      args.kind === 'import-statement' && /[\\/]monaco-editor[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'empty-css' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'empty-css' }, () => ({ contents: '', loader: 'js' }));
  },
};

/** Hash of what the output depends on: `pnpm dev` rebuilds only when it changes. */
export function explorerStamp(root: string): string {
  const hash = createHash('sha256');
  const files = [
    ...readdirSync(join(root, EXPLORER_APP)).map((f) => join(EXPLORER_APP, f)),
    'packages/explorer/src/build.ts',
    'packages/explorer/package.json',
    'pnpm-lock.yaml',
  ].sort();
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(root, file)))
      .update('\0');
  for (const op of readOperations(root)) hash.update(op.name).update('\0').update(op.document).update('\0');
  return hash.digest('hex').slice(0, 16);
}

const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

function browserOptions(root: string, outdir: string): BuildOptions {
  return {
    absWorkingDir: join(root, 'packages/explorer'),
    outdir,
    bundle: true,
    minify: true,
    metafile: true,
    target: ['chrome120', 'firefox120', 'safari17'],
    platform: 'browser',
    jsx: 'automatic',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.ttf': 'file', '.woff2': 'file' },
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'silent',
  };
}

function renderPage(script: string, stylesheet: string): string {
  // Relative URLs: the page is GET /graphql, its assets GET /graphql/explorer/{asset}. No inline
  // script or style, so the CSP needs no hash or nonce for them (packages/functions/src/web/explorer.ts).
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ADE Cloud — GraphQL explorer</title>
<link rel="stylesheet" href="graphql/explorer/${stylesheet}">
<script type="module" src="graphql/explorer/${script}"></script>
</head>
<body>
<div id="root"><noscript>The GraphQL explorer needs JavaScript. Scripts can POST to this URL with an API key instead.</noscript></div>
</body>
</html>
`;
}

/**
 * Builds the explorer into `outdir` (replaced), returning its manifest. 5–10 s on two cores; see
 * ensureExplorer for the cached form.
 */
export async function buildExplorer(
  esbuild: Esbuild,
  root: string,
  outdir: string,
): Promise<ExplorerManifest> {
  const stamp = explorerStamp(root);
  const staging = `${outdir}.building-${process.pid}`;
  const assetsDir = join(staging, 'assets');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(assetsDir, { recursive: true });
  try {
    const workers = await esbuild.build({
      ...browserOptions(root, assetsDir),
      entryPoints: Object.fromEntries(
        Object.entries(WORKERS).map(([label, path]) => [`${label}.worker`, path]),
      ),
      format: 'iife',
    });
    const workerFiles: Record<string, string> = {};
    for (const [file, output] of Object.entries(workers.metafile!.outputs)) {
      const label = Object.entries(WORKERS).find(([, path]) => output.entryPoint?.endsWith(path))?.[0];
      if (label) workerFiles[label] = basename(file);
    }
    if (Object.keys(workerFiles).length !== Object.keys(WORKERS).length)
      throw new Error(`explorer: workers not all built (${Object.keys(workerFiles).join(', ')})`);

    const page = await esbuild.build({
      ...browserOptions(root, assetsDir),
      entryPoints: { main: join(root, EXPLORER_APP, 'main.tsx') },
      format: 'esm',
      splitting: true,
      plugins: [operationsPlugin(root), monacoCssFromJs],
      // The page finds Monaco's workers beside its own script (app/workers.ts).
      define: {
        ...browserOptions(root, assetsDir).define,
        __ADE_EXPLORER_WORKERS__: JSON.stringify(workerFiles),
      },
    });
    const entry = Object.entries(page.metafile!.outputs).find(([, o]) => o.entryPoint?.endsWith('main.tsx'));
    if (!entry?.[1].cssBundle) throw new Error('explorer: the page has no script or stylesheet');

    const assets: Record<string, ExplorerAsset> = {};
    for (const file of readdirSync(assetsDir)) {
      const contentType = CONTENT_TYPES[extname(file)];
      if (!contentType) throw new Error(`explorer: no content type for ${file}`);
      const content = readFileSync(join(assetsDir, file));
      const gzipped = gzipSync(content, { level: 9 });
      writeFileSync(join(assetsDir, `${file}.gz`), gzipped);
      assets[file] = { contentType, bytes: content.byteLength, gzipBytes: gzipped.byteLength };
    }
    writeFileSync(join(staging, 'page.html'), renderPage(basename(entry[0]), basename(entry[1].cssBundle)));
    const manifest: ExplorerManifest = { stamp, page: 'page.html', assets };
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Another process (a parallel test file) may have built the same inputs meanwhile: keep its copy,
    // which someone may be reading.
    if (readManifest(outdir)?.stamp === stamp) {
      rmSync(staging, { recursive: true, force: true });
      return manifest;
    }
    rmSync(outdir, { recursive: true, force: true });
    renameSync(staging, outdir);
    return manifest;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

export function readManifest(dir: string): ExplorerManifest | undefined {
  const file = join(dir, 'manifest.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ExplorerManifest) : undefined;
}

/**
 * The explorer for the current inputs, built once into `<cacheDir>/<stamp>/` and reused until an
 * input changes (`pnpm dev`, the tests and the Lambda packages all start here). Builds of older
 * stamps are removed.
 */
export async function ensureExplorer(
  esbuild: Esbuild,
  root: string,
  cacheDir = join(root, LOCAL_EXPLORER_DIR),
): Promise<{ dir: string; manifest: ExplorerManifest }> {
  const stamp = explorerStamp(root);
  const dir = join(cacheDir, stamp);
  const built = readManifest(dir);
  if (built) return { dir, manifest: built };
  const manifest = await buildExplorer(esbuild, root, dir);
  for (const entry of readdirSync(cacheDir))
    if (/^[0-9a-f]{16}$/.test(entry) && entry !== stamp)
      rmSync(join(cacheDir, entry), { recursive: true, force: true });
  return { dir, manifest };
}

/** Total size of the assets, plain and gzipped. */
export function explorerSize(manifest: ExplorerManifest): { bytes: number; gzipBytes: number } {
  let bytes = 0;
  let gzipBytes = 0;
  for (const asset of Object.values(manifest.assets)) {
    bytes += asset.bytes;
    gzipBytes += asset.gzipBytes;
  }
  return { bytes, gzipBytes };
}
