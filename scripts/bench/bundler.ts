/**
 * Bundles Lambda functions the way they ship (esbuild, ESM, Node 22, minified, everything bundled
 * including the AWS SDK) and measures them: size, gzip size, what went in, and cold import time in a
 * fresh Node process. Used by `pnpm bench:bundle` and meant to be reused by tests that assert budgets:
 *
 *   const bundle = await bundleFunction('graphql');
 *   expect(bundle.bytes).toBeLessThan(budgetFor('graphql').maxBytes);
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type FunctionName, functions, routes } from '@ade/functions/routes';
import { build, type Metafile } from 'esbuild';
import { median, repoRoot, round } from './common.ts';

const execFileAsync = promisify(execFile);

export const bundlesDir = join(repoRoot, '.artifacts', 'bundles');

export interface Budget {
  /** Minified bundle size, bytes (1 MB = 1,000,000 bytes). */
  maxBytes: number;
  /** Median cold `import()` of the bundle in a fresh Node process, ms. */
  maxImportMs: number;
}

/** Budgets per function; functions without their own get DEFAULT_BUDGET (set tighter ones for device routes). */
export const BUDGETS: Partial<Record<FunctionName, Budget>> = {
  graphql: { maxBytes: 2_000_000, maxImportMs: 350 },
};
export const DEFAULT_BUDGET: Budget = { maxBytes: 2_000_000, maxImportMs: 350 };

export function budgetFor(name: FunctionName): Budget {
  return BUDGETS[name] ?? DEFAULT_BUDGET;
}

export function functionNames(): FunctionName[] {
  return Object.keys(functions) as FunctionName[];
}

/**
 * Inputs a device-facing function must not contain: anything under `@apollo/`, graphql-js
 * (`node_modules/graphql/`), or our GraphQL workspace package (`graphql/src/`).
 */
export function isApolloOrGraphqlInput(path: string): boolean {
  return path.includes('@apollo/') || path.includes('/graphql/') || path.startsWith('graphql/');
}

/** The package an input path belongs to: `@scope/name`, `name`, or a workspace folder. */
export function packageOf(path: string): string {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (match) return match[1]!;
  const workspace = /^(packages\/[^/]+|graphql)\//.exec(path);
  return workspace ? workspace[1]! : path;
}

export interface BundleResult {
  name: FunctionName;
  handler: string;
  entry: string;
  exportName: string;
  deviceFacing: boolean;
  outfile: string;
  metafile: string;
  /** The entry chunk: what a cold start loads. */
  bytes: number;
  /** All chunks, including those loaded on first use. */
  totalBytes: number;
  gzipBytes: number;
  inputCount: number;
  /** Largest contributors to the output, by package. */
  packages: { name: string; bytes: number }[];
  /** Inputs matching Apollo/graphql (see isApolloOrGraphqlInput); must be empty when deviceFacing. */
  apolloOrGraphqlInputs: string[];
  /** Distinct graphql-js copies bundled (two copies break at run time: "another module or realm"). */
  graphqlCopies: string[];
  /** Imports left external; only Node built-ins are acceptable in a Lambda bundle. */
  externalImports: string[];
  nonBuiltinExternals: string[];
}

/** Splits `packages/functions/src/graphql.handler` into its file (with .ts) and export. */
export function parseHandler(handler: string): { entry: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler "${handler}" is not file.export`);
  return { entry: `${handler.slice(0, dot)}.ts`, exportName: handler.slice(dot + 1) };
}

const BANNER =
  "import{createRequire as __adeCreateRequire}from'node:module';const require=__adeCreateRequire(import.meta.url);";

/** Bundles one function of the route table into `.artifacts/bundles/<name>/index.mjs`. */
export async function bundleFunction(name: FunctionName): Promise<BundleResult> {
  const definition = functions[name];
  if (!definition) throw new Error(`no function "${name}" in packages/functions/src/routes.ts`);
  const { entry, exportName } = parseHandler(definition.handler);
  const dir = join(bundlesDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  const result = await build({
    absWorkingDir: repoRoot,
    // Modules reached only through dynamic import() (Apple's crypto, Apollo's optional plugins)
    // become chunks loaded on first use, not at cold start.
    entryPoints: { index: join(repoRoot, entry) },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    metafile: true,
    banner: { js: BANNER },
    logLevel: 'silent',
  });
  for (const warning of result.warnings) console.warn(`esbuild (${name}): ${warning.text}`);
  const meta: Metafile = result.metafile;
  const metafile = join(dir, 'meta.json');
  writeFileSync(metafile, JSON.stringify(meta));

  const output = meta.outputs[relative(repoRoot, outfile)];
  if (!output) throw new Error(`esbuild metafile has no output for ${outfile}`);
  if (!output.exports.includes(exportName))
    throw new Error(`${entry} does not export "${exportName}" (exports: ${output.exports.join(', ')})`);

  const code = readFileSync(outfile);
  const totalBytes = Object.entries(meta.outputs)
    .filter(([path]) => path.endsWith('.mjs'))
    .reduce((sum, [, o]) => sum + o.bytes, 0);
  const inputs = Object.keys(meta.inputs);
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs))
    byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + bytesInOutput);
  const externalImports = [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort();
  const builtins = new Set(builtinModules);
  return {
    name,
    handler: definition.handler,
    entry,
    exportName,
    deviceFacing: definition.deviceFacing,
    outfile,
    metafile,
    bytes: code.byteLength,
    totalBytes,
    gzipBytes: gzipSync(code).byteLength,
    inputCount: inputs.length,
    packages: [...byPackage].map(([pkg, bytes]) => ({ name: pkg, bytes })).sort((a, b) => b.bytes - a.bytes),
    apolloOrGraphqlInputs: inputs.filter(isApolloOrGraphqlInput),
    graphqlCopies: [
      ...new Set(
        inputs
          .map((path) => /^(.*node_modules\/graphql)\/.*?\.(m?js)$/.exec(path))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => `${m[1]} (.${m[2]})`),
      ),
    ],
    externalImports,
    nonBuiltinExternals: externalImports.filter((path) => !path.startsWith('node:') && !builtins.has(path)),
  };
}

/** The environment of a fresh Lambda-like process: none of the deployment's ADE_* variables. */
function importEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('ADE_') && key !== 'NODE_OPTIONS') env[key] = value;
  return { ...env, ...extra };
}

const IMPORT_SCRIPT = `
const started = performance.now();
const mod = await import(process.argv[1]);
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, processMs: performance.now(), exports: Object.keys(mod), handlerType: typeof mod[process.argv[2]] }));
`;

export interface ColdImport {
  runs: number[];
  medianMs: number;
  /** Median time from Node start to the end of the import (bootstrap + import). */
  medianProcessMs: number;
  exports: string[];
  handlerIsFunction: boolean;
}

/**
 * Imports a bundle in `runs` fresh Node processes, one after another, without ADE_* variables (a
 * handler must not need its configuration at import time), from a copy outside the repository (so
 * nothing can resolve from node_modules).
 */
export async function measureColdImport(file: string, exportName = 'handler', runs = 5): Promise<ColdImport> {
  const dir = mkdtempSync(join(tmpdir(), 'ade-bench-import-'));
  try {
    const copy = join(dir, 'index.mjs');
    // The entry and its chunks (loaded on first use), as they would sit in the Lambda package.
    cpSync(dirname(file), dir, { recursive: true, filter: (source) => !source.endsWith('meta.json') });
    const samples: { ms: number; processMs: number; exports: string[]; handlerType: string }[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(copy).href, exportName],
        { cwd: dir, env: importEnv(), timeout: 60_000 },
      ).catch((error: Error & { stderr?: string }) => {
        throw new Error(`importing ${file} failed: ${error.stderr?.trim() || error.message}`);
      });
      samples.push(JSON.parse(stdout.trim().split('\n').at(-1)!));
    }
    return {
      runs: samples.map((s) => round(s.ms, 1)),
      medianMs: round(median(samples.map((s) => s.ms)), 1),
      medianProcessMs: round(median(samples.map((s) => s.processMs)), 1),
      exports: samples[0]?.exports ?? [],
      handlerIsFunction: samples.every((s) => s.handlerType === 'function'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SMOKE_SCRIPT = `
const mod = await import(process.argv[1]);
const event = JSON.parse(process.argv[3]);
const context = { awsRequestId: 'bench-smoke', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
const result = await mod[process.argv[2]](event, context);
console.log(JSON.stringify({ statusCode: result.statusCode, body: String(result.body ?? '').slice(0, 300) }));
`;

export interface SmokeResult {
  route: string;
  statusCode: number | null;
  body: string;
  ok: boolean;
  error?: string;
}

/**
 * Calls the bundled handler once in a fresh process with an unauthenticated request on its first
 * route. The table endpoint points at a closed port on 127.0.0.1, so nothing leaves the machine;
 * any answer below 500 shows the bundle loads and runs (e.g. the GraphQL handler answers 401).
 */
export async function smokeInvoke(
  name: FunctionName,
  file: string,
  exportName = 'handler',
): Promise<SmokeResult> {
  const route = routes.find((r) => r.function === name);
  if (!route) return { route: '(none)', statusCode: null, body: '', ok: true };
  const [method, rawPath] = route.key.split(' ') as [string, string];
  const path = rawPath.replace(/\{[^}]+\}/g, 'bench');
  const event = {
    version: '2.0',
    routeKey: route.key,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: '127.0.0.1' },
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench-smoke',
      routeKey: route.key,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: method === 'GET' ? undefined : '{}',
    isBase64Encoded: false,
  };
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        SMOKE_SCRIPT,
        pathToFileURL(file).href,
        exportName,
        JSON.stringify(event),
      ],
      {
        cwd: tmpdir(),
        env: importEnv({
          ADE_TABLE_NAME: 'bench-smoke',
          ADE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
          ADE_PUBLIC_URL: 'https://mdm.bench.example',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        }),
        timeout: 60_000,
      },
    );
    const { statusCode, body } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    return { route: route.key, statusCode, body, ok: statusCode < 500 };
  } catch (error) {
    const e = error as Error & { stderr?: string };
    return { route: route.key, statusCode: null, body: '', ok: false, error: e.stderr?.trim() || e.message };
  }
}
