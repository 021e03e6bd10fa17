/**
 * Bundles Lambda functions the way they ship (esbuild, ESM, Node 22, minified, everything bundled
 * including the AWS SDK) and measures them: size, gzip size, what went in, and cold import time in a
 * fresh Node process. Used by `pnpm bench:bundle` and meant to be reused by tests that assert budgets:
 *
 *   const bundle = await bundleFunction('graphql');
 *   expect(bundle.bytes).toBeLessThan(budgetFor('graphql').maxBytes);
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type FunctionName, functions, routes } from '@ade/functions/routes';
import type { Metafile } from 'esbuild';
import * as esbuild from 'esbuild';
import { buildFunction, parseHandler } from '../../infra/bundle.ts';
import { explorerSize } from '../../packages/explorer/src/build.ts';
import { median, repoRoot, round } from './common.ts';

const execFileAsync = promisify(execFile);

export const bundlesDir = join(repoRoot, '.artifacts', 'bundles');

export interface Budget {
  /** Minified bundle size, bytes (1 MB = 1,000,000 bytes). */
  maxBytes: number;
  /** Median cold `import()` of the bundle in a fresh Node process, ms. */
  maxImportMs: number;
}

/**
 * Budgets: device-facing functions answer Apple's devices (discovery, enrollment, check-in) and
 * must start fast; GraphQL serves people and scripts. Sizes are the cold start (entry + static chunks).
 */
export const DEVICE_FACING_BUDGET: Budget = { maxBytes: 400_000, maxImportMs: 80 };
export const BUDGETS: Partial<Record<FunctionName, Budget>> = {
  graphql: { maxBytes: 2_000_000, maxImportMs: 350 },
};
export const DEFAULT_BUDGET: Budget = { maxBytes: 2_000_000, maxImportMs: 350 };

export function budgetFor(name: FunctionName): Budget {
  return BUDGETS[name] ?? (functions[name].deviceFacing ? DEVICE_FACING_BUDGET : DEFAULT_BUDGET);
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
  /** The entry chunk alone. */
  bytes: number;
  /** What a cold start loads: the entry and every chunk it imports statically (transitively). */
  coldStartBytes: number;
  coldStartChunks: number;
  /** All chunks, including those loaded on first use. */
  totalBytes: number;
  gzipBytes: number;
  inputCount: number;
  /** Largest contributors to the cold start (entry + static chunks), by package. */
  packages: { name: string; bytes: number }[];
  /** Inputs matching Apollo/graphql (see isApolloOrGraphqlInput); must be empty when deviceFacing. */
  apolloOrGraphqlInputs: string[];
  /** Distinct graphql-js copies bundled (two copies break at run time: "another module or realm"). */
  graphqlCopies: string[];
  /** Imports left external; only Node built-ins are acceptable in a Lambda bundle. */
  externalImports: string[];
  nonBuiltinExternals: string[];
  /** The GraphQL explorer's files shipped beside the bundle (read on a browser's first visit, not at cold start). */
  explorer?: { files: number; bytes: number; gzipBytes: number };
}

export { parseHandler };

/** Bundles one function of the route table into `.artifacts/bundles/<name>/index.mjs`, as it deploys. */
export async function bundleFunction(name: FunctionName): Promise<BundleResult> {
  const definition = functions[name];
  if (!definition) throw new Error(`no function "${name}" in packages/functions/src/routes.ts`);
  const dir = join(bundlesDir, name);
  const outfile = join(dir, 'index.mjs');
  const result = await buildFunction(esbuild, repoRoot, definition.handler, dir, {
    deviceFacing: definition.deviceFacing,
    explorer: 'explorer' in definition && definition.explorer,
  });
  const { entry, exportName } = result;
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
  const cold = coldStartOutputs(meta, relative(repoRoot, outfile));
  const byPackage = new Map<string, number>();
  for (const chunk of cold)
    for (const [path, { bytesInOutput }] of Object.entries(meta.outputs[chunk]!.inputs))
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
    coldStartBytes: cold.reduce((sum, chunk) => sum + meta.outputs[chunk]!.bytes, 0),
    coldStartChunks: cold.length,
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
    ...(result.explorer
      ? { explorer: { files: Object.keys(result.explorer.assets).length, ...explorerSize(result.explorer) } }
      : {}),
  };
}

/** The output files a cold start loads: `entry` and the chunks it imports statically, transitively. */
export function coldStartOutputs(meta: Metafile, entry: string): string[] {
  const seen = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    for (const imported of meta.outputs[queue.shift()!]?.imports ?? []) {
      if (imported.kind !== 'import-statement' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return [...seen];
}

/**
 * The chunks that load when `modules` (source paths, e.g. `packages/apple/src/index.ts`, each
 * reached through `import()`) are first used, beyond what the cold start already loaded: each
 * module's chunk and the chunks it imports statically. Paths relative to the entry's folder.
 */
export function firstUseChunks(
  meta: Metafile,
  entry: string,
  modules: string[],
): { chunks: string[]; bytes: number } {
  const cold = new Set(coldStartOutputs(meta, entry));
  const loaded = new Set<string>();
  for (const module of modules) {
    const output = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === module)?.[0];
    if (!output) throw new Error(`${entry}: no chunk is loaded on first use of ${module}`);
    for (const chunk of coldStartOutputs(meta, output)) if (!cold.has(chunk)) loaded.add(chunk);
  }
  const chunks = [...loaded];
  return {
    chunks: chunks.map((chunk) => `./${relative(dirname(entry), chunk)}`),
    bytes: chunks.reduce((sum, chunk) => sum + meta.outputs[chunk]!.bytes, 0),
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
const processMs = performance.now();
const then = JSON.parse(process.argv[3] ?? '[]');
const before = performance.now();
for (const chunk of then) await import(new URL(chunk, process.argv[1]).href);
const thenMs = performance.now() - before;
console.log(JSON.stringify({ ms, processMs, thenMs, exports: Object.keys(mod), handlerType: typeof mod[process.argv[2]] }));
`;

export interface ColdImport {
  runs: number[];
  medianMs: number;
  /** Median time to import `then` (chunks loaded on first use) after the entry, in the same process. */
  medianThenMs: number;
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
export async function measureColdImport(
  file: string,
  exportName = 'handler',
  runs = 5,
  /** Chunks (paths relative to `file`) to import after it, timed apart: what a first request loads. */
  then: string[] = [],
): Promise<ColdImport> {
  const dir = mkdtempSync(join(tmpdir(), 'ade-bench-import-'));
  try {
    const copy = join(dir, 'index.mjs');
    // The entry and its chunks (loaded on first use), as they would sit in the Lambda package.
    cpSync(dirname(file), dir, { recursive: true, filter: (source) => !source.endsWith('meta.json') });
    const samples: {
      ms: number;
      processMs: number;
      thenMs: number;
      exports: string[];
      handlerType: string;
    }[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await execFileAsync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          IMPORT_SCRIPT,
          pathToFileURL(copy).href,
          exportName,
          JSON.stringify(then),
        ],
        { cwd: dir, env: importEnv(), timeout: 60_000 },
      ).catch((error: Error & { stderr?: string }) => {
        throw new Error(`importing ${file} failed: ${error.stderr?.trim() || error.message}`);
      });
      samples.push(JSON.parse(stdout.trim().split('\n').at(-1)!));
    }
    return {
      runs: samples.map((s) => round(s.ms, 1)),
      medianMs: round(median(samples.map((s) => s.ms)), 1),
      medianThenMs: round(median(samples.map((s) => s.thenMs)), 1),
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
console.log(JSON.stringify({ statusCode: result.statusCode, headers: result.headers ?? {}, body: String(result.body ?? '').slice(0, 2000) }));
`;

export interface SmokeResult {
  route: string;
  statusCode: number | null;
  headers: Record<string, string>;
  /** The first 2,000 characters. */
  body: string;
  ok: boolean;
  error?: string;
}

/**
 * Calls the bundled handler once in a fresh process with an unauthenticated request on its first
 * route (or `request.route`, with `request.headers`). The table endpoint points at a closed port on 127.0.0.1 unless `env` names another local
 * one, so nothing leaves the machine; any answer below 500 shows the bundle loads and runs (e.g.
 * the GraphQL handler answers 401).
 */
export async function smokeInvoke(
  name: FunctionName,
  file: string,
  exportName = 'handler',
  env: Record<string, string> = {},
  /** The route's path parameters (each `{name}` in the path), `bench` for any not given. */
  pathParameters: Record<string, string> = {},
  rawQueryString = '',
  request: { route?: string; headers?: Record<string, string> } = {},
): Promise<SmokeResult> {
  const route = routes.find((r) => r.function === name && (!request.route || r.key === request.route));
  if (!route) return { route: '(none)', statusCode: null, headers: {}, body: '', ok: true };
  const [method, rawPath] = route.key.split(' ') as [string, string];
  const parameters: Record<string, string> = {};
  const path = rawPath.replace(/\{([^}+]+)\+?\}/g, (_, key: string) => {
    parameters[key] = pathParameters[key] ?? 'bench';
    return parameters[key];
  });
  const event = {
    version: '2.0',
    routeKey: route.key,
    rawPath: path,
    rawQueryString,
    pathParameters: parameters,
    headers: { 'content-type': 'application/json', host: '127.0.0.1', ...request.headers },
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
          ...env,
        }),
        timeout: 60_000,
      },
    );
    const { statusCode, headers, body } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    return { route: route.key, statusCode, headers, body, ok: statusCode < 500 };
  } catch (error) {
    const e = error as Error & { stderr?: string };
    return {
      route: route.key,
      statusCode: null,
      headers: {},
      body: '',
      ok: false,
      error: e.stderr?.trim() || e.message,
    };
  }
}
