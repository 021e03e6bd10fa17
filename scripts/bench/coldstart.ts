/**
 * `pnpm bench:coldstart [--runs N]`: every function of the route table bundled exactly as it
 * deploys (infra/bundle.ts), with its minified cold-start size (the entry and the chunks it imports
 * statically; lazily loaded chunks apart) and its cold import time: the median of N fresh Node
 * processes (default 7) importing the bundle from outside the repository. Against the budgets in
 * bundler.ts: device-facing < 400 KB and < 80 ms, GraphQL < 2 MB and < 350 ms.
 * Result: .artifacts/bench/coldstart.json. `pnpm bench:bundle` adds gzip sizes and a smoke call.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { budgetFor, bundleFunction, functionNames, measureColdImport } from './bundler.ts';
import { environment, table, verdict, writeResult } from './common.ts';

/** Decimal, like the budgets (1 KB = 1,000 bytes). */
const kb = (bytes: number) => `${Math.round(bytes / 1000)} KB`;

const index = process.argv.indexOf('--runs');
const runs = index >= 0 ? Number(process.argv[index + 1]) : 7;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');

const results = [];
for (const name of functionNames()) {
  const bundle = await bundleFunction(name);
  const coldImport = await measureColdImport(bundle.outfile, bundle.exportName, runs);
  const budget = budgetFor(name);
  results.push({
    name,
    deviceFacing: bundle.deviceFacing,
    coldStartBytes: bundle.coldStartBytes,
    coldStartChunks: bundle.coldStartChunks,
    entryBytes: bundle.bytes,
    allChunksBytes: bundle.totalBytes,
    importMs: coldImport.medianMs,
    importRunsMs: coldImport.runs,
    processMs: coldImport.medianProcessMs,
    largest: bundle.packages.slice(0, 8),
    apolloOrGraphqlInputs: bundle.apolloOrGraphqlInputs.length,
    budget,
    withinBudget: {
      bytes: bundle.coldStartBytes < budget.maxBytes,
      importMs: coldImport.medianMs < budget.maxImportMs,
    },
  });
}

const file = writeResult('coldstart', { name: 'coldstart', environment: environment(), runs, results });
console.log(
  table(
    ['function', 'device', 'cold start', 'chunks', 'all chunks', 'import p50', 'runs (ms)', 'size', 'import'],
    results.map((r) => [
      r.name,
      r.deviceFacing ? 'yes' : 'no',
      kb(r.coldStartBytes),
      r.coldStartChunks,
      kb(r.allChunksBytes),
      `${r.importMs} ms`,
      r.importRunsMs.join(' '),
      `${verdict(r.withinBudget.bytes)} (< ${kb(r.budget.maxBytes)})`,
      `${verdict(r.withinBudget.importMs)} (< ${r.budget.maxImportMs} ms)`,
    ]),
  ),
);
for (const r of results)
  console.log(`${r.name}: ${r.largest.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')}`);
console.log(`\n${file}`);
