/**
 * `pnpm bench:coldstart [--runs N]`: every function of the route table bundled exactly as it
 * deploys (infra/bundle.ts), with its minified cold-start size (the entry and the chunks it imports
 * statically; lazily loaded chunks apart) and its cold import time: the median of N fresh Node
 * processes (default 7) importing the bundle from outside the repository. Against the budgets in
 * bundler.ts: device-facing < 400 KB and < 80 ms, GraphQL < 2 MB and < 350 ms.
 * The cold start is not all a first request pays: code reached through `import()` loads when first
 * used. For the functions whose every request needs such code, the same process then imports those
 * chunks and the time is printed apart ("first request +"; FIRST_REQUEST below).
 * The GraphQL function also ships the explorer's files, which it reads from disk only for a browser:
 * their size is printed apart. Result: .artifacts/bench/coldstart.json. `pnpm bench:bundle` adds gzip
 * sizes and a smoke call.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { FunctionName } from '@ade/functions/routes';
import { budgetFor, bundleFunction, firstUseChunks, functionNames, measureColdImport } from './bundler.ts';
import { environment, repoRoot, table, verdict, writeResult } from './common.ts';

/**
 * Modules every request of a function loads on first use: Apple's protocol code (packages/core/src/apple.ts:
 * the whole package for the enrollment request; for check-in and the command channel only the signature
 * and message readers, device-messages.ts) and, for the command channel, its operations
 * (packages/core/src/device-core.ts). Payload delivery, the payload catalogue, APNs and KMS load only for
 * the requests that need them, and are not counted.
 */
const FIRST_REQUEST: Partial<Record<FunctionName, string[]>> = {
  enroll: ['packages/apple/src/index.ts'],
  checkin: ['packages/apple/src/device-messages.ts'],
  connect: ['packages/apple/src/device-messages.ts', 'packages/core/src/payloads/commands.ts'],
};

/** Decimal, like the budgets (1 KB = 1,000 bytes). */
const kb = (bytes: number) => `${Math.round(bytes / 1000)} KB`;

const index = process.argv.indexOf('--runs');
const runs = index >= 0 ? Number(process.argv[index + 1]) : 7;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');

const results = [];
for (const name of functionNames()) {
  const bundle = await bundleFunction(name);
  const firstUse = firstUseChunks(
    JSON.parse(readFileSync(bundle.metafile, 'utf8')),
    relative(repoRoot, bundle.outfile),
    FIRST_REQUEST[name] ?? [],
  );
  const coldImport = await measureColdImport(bundle.outfile, bundle.exportName, runs, firstUse.chunks);
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
    firstRequest: {
      modules: FIRST_REQUEST[name] ?? [],
      bytes: firstUse.bytes,
      importMs: coldImport.medianThenMs,
    },
    processMs: coldImport.medianProcessMs,
    largest: bundle.packages.slice(0, 8),
    apolloOrGraphqlInputs: bundle.apolloOrGraphqlInputs.length,
    explorer: bundle.explorer,
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
    [
      'function',
      'device',
      'cold start',
      'chunks',
      'all chunks',
      'import p50',
      'runs (ms)',
      'size',
      'import',
      'first request +',
    ],
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
      r.firstRequest.bytes ? `${kb(r.firstRequest.bytes)}, ${r.firstRequest.importMs} ms` : '–',
    ]),
  ),
);
for (const r of results)
  console.log(`${r.name}: ${r.largest.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')}`);
for (const r of results)
  if (r.explorer)
    console.log(
      `${r.name} also ships the GraphQL explorer in explorer/ (read on a browser's first visit, not at cold start): ` +
        `${r.explorer.files} files, ${kb(r.explorer.bytes)} (${kb(r.explorer.gzipBytes)} gzipped, as served)`,
    );
console.log(`\n${file}`);
