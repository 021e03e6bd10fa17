/**
 * `pnpm bench:bundle`: bundles every function of the route table (see bundler.ts) and reports
 * minified and gzip size, cold import time (median of --runs fresh Node processes, default 5), a
 * smoke invocation, and — for device-facing functions — whether Apollo or graphql got in.
 * Result: .artifacts/bench/bundle.json; bundles in .artifacts/bundles/<name>/index.mjs.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { relative } from 'node:path';
import { budgetFor, bundleFunction, functionNames, measureColdImport, smokeInvoke } from './bundler.ts';
import { environment, kb, mb, repoRoot, table, verdict, wholeNumberOption, writeResult } from './common.ts';

const runs = wholeNumberOption('runs', 5);

const results = [];
for (const name of functionNames()) {
  const started = performance.now();
  const bundle = await bundleFunction(name);
  const buildMs = performance.now() - started;
  const coldImport = await measureColdImport(bundle.outfile, bundle.exportName, runs);
  const smoke = await smokeInvoke(name, bundle.outfile, bundle.exportName);
  const budget = budgetFor(name);
  const deviceCheck = bundle.deviceFacing
    ? {
        clean: bundle.apolloOrGraphqlInputs.length === 0,
        offending: bundle.apolloOrGraphqlInputs.slice(0, 20),
      }
    : null;
  results.push({
    name,
    handler: bundle.handler,
    entry: bundle.entry,
    deviceFacing: bundle.deviceFacing,
    outfile: relative(repoRoot, bundle.outfile),
    metafile: relative(repoRoot, bundle.metafile),
    buildMs: Math.round(buildMs),
    bytes: bundle.bytes,
    coldStartBytes: bundle.coldStartBytes,
    totalBytes: bundle.totalBytes,
    gzipBytes: bundle.gzipBytes,
    inputCount: bundle.inputCount,
    topPackages: bundle.packages.slice(0, 12),
    apolloOrGraphqlInputCount: bundle.apolloOrGraphqlInputs.length,
    deviceFacingCheck: deviceCheck,
    graphqlCopies: bundle.graphqlCopies,
    externalImports: bundle.externalImports,
    nonBuiltinExternals: bundle.nonBuiltinExternals,
    coldImport,
    smoke,
    budget,
    withinBudget: {
      bytes: bundle.coldStartBytes < budget.maxBytes,
      importMs: coldImport.medianMs < budget.maxImportMs,
    },
    importsWithoutEnv: coldImport.handlerIsFunction,
  });
}

const file = writeResult('bundle', {
  name: 'bundle',
  environment: environment(),
  config: { runs, esbuild: { format: 'esm', platform: 'node', target: 'node22', minify: true } },
  results,
});

console.log(
  table(
    [
      'function',
      'device',
      'cold start',
      'entry',
      'all chunks',
      'gzip',
      'import p50',
      'process p50',
      'runs (ms)',
      'smoke',
      'size',
      'import',
    ],
    results.map((r) => [
      r.name,
      r.deviceFacing ? 'yes' : 'no',
      mb(r.coldStartBytes),
      mb(r.bytes),
      mb(r.totalBytes),
      kb(r.gzipBytes),
      `${r.coldImport.medianMs} ms`,
      `${r.coldImport.medianProcessMs} ms`,
      r.coldImport.runs.join(' '),
      r.smoke.ok ? `${r.smoke.statusCode ?? '-'}` : `FAILED ${r.smoke.statusCode ?? ''}`,
      `${verdict(r.withinBudget.bytes)} (< ${mb(r.budget.maxBytes)})`,
      `${verdict(r.withinBudget.importMs)} (< ${r.budget.maxImportMs} ms)`,
    ]),
  ),
);
for (const r of results) {
  console.log(
    `\n${r.name}: ${r.inputCount} inputs; largest: ${r.topPackages
      .slice(0, 6)
      .map((p) => `${p.name} ${kb(p.bytes)}`)
      .join(', ')}`,
  );
  if (r.graphqlCopies.length > 1)
    console.log(`  WARNING: ${r.graphqlCopies.length} copies of graphql bundled`);
  if (r.nonBuiltinExternals.length)
    console.log(`  WARNING: external imports ${r.nonBuiltinExternals.join(', ')}`);
  if (!r.importsWithoutEnv) console.log('  WARNING: the handler export is missing or importing needed env');
  if (r.smoke.error) console.log(`  smoke failed: ${r.smoke.error.split('\n').slice(0, 5).join('\n  ')}`);
}
const deviceFacing = results.filter((r) => r.deviceFacing);
console.log(
  deviceFacing.length === 0
    ? '\nDevice-facing functions: none in the route table yet.'
    : `\nDevice-facing functions without Apollo/graphql: ${deviceFacing
        .map(
          (r) =>
            `${r.name} ${r.deviceFacingCheck?.clean ? 'clean' : `CONTAINS ${r.apolloOrGraphqlInputCount} Apollo/graphql inputs`}`,
        )
        .join(', ')}`,
);
console.log(`\n${file}`);
