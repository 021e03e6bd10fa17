/**
 * `pnpm bench`: the benchmarks one after another, each in its own process (each starts and
 * stops what it needs), then one summary from their results. Extra arguments are not forwarded;
 * run a single benchmark for options. Result: .artifacts/bench/run-all.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { benchDir, environment, kb, mb, repoRoot, round, table, verdict, writeResult } from './common.ts';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');

const steps = [
  { name: 'policy-tree', script: 'scripts/bench/policy-tree.ts' },
  { name: 'bundle', script: 'scripts/bench/bundle.ts' },
  { name: 'ade-setup', script: 'scripts/bench/ade-setup.ts' },
  { name: 'dev-startup', script: 'scripts/bench/dev-startup.ts' },
  { name: 'enrollment', script: 'scripts/bench/enrollment.ts' },
  { name: 'delivery', script: 'scripts/bench/delivery.ts' },
  { name: 'checkin', script: 'scripts/bench/checkin.ts' },
] as const;

function runStep(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsxCli, script], { cwd: repoRoot, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The step's JSON, if it was written by this run. */
function readResult<T>(name: string, since: number): T | undefined {
  const file = join(benchDir, `${name}.json`);
  if (!existsSync(file)) return undefined;
  const result = JSON.parse(readFileSync(file, 'utf8')) as T & { environment?: { at?: string } };
  return Date.parse(result.environment?.at ?? '') >= since - 1000 ? result : undefined;
}

interface PolicyTreeResult {
  treeBuild: { created: number; seconds: number; retries: number };
  results: {
    variant: string;
    requestsPerPage: { min: number; max: number; mean: number };
    latencyMs: { p50: number; p95: number };
    withinTarget: boolean;
    target: number;
  }[];
}
interface DeliveryResult {
  fleet: number;
  summary: Record<string, number | boolean> & { withinTarget: boolean };
  commandRound: { steps: { step: string; requests: number }[]; target: number; withinTarget: boolean };
  fanOut: {
    interruptedAt: { processed: number };
    total: { ms: number; requests: number };
    check: {
      deployments: number;
      commandsQueued: number;
      oneDeploymentPerDevice: boolean;
      oneCommandPerPendingDeployment: boolean;
      countersMatch: boolean;
    };
  };
}
interface BundleResult {
  results: {
    name: string;
    bytes: number;
    coldStartBytes: number;
    gzipBytes: number;
    coldImport: { medianMs: number };
    budget: { maxBytes: number; maxImportMs: number };
    withinBudget: { bytes: boolean; importMs: boolean };
    deviceFacing: boolean;
    deviceFacingCheck: { clean: boolean } | null;
    smoke: { ok: boolean; statusCode: number | null };
  }[];
}
interface EnrollmentResult {
  discovery: {
    targets: { key: string; requestsPerSecond: number; latencyMs: { p50: number; p99: number } }[];
    ratio: number;
    target: number;
    withinTarget: boolean;
  };
  dynamodb: {
    discoveryUncached: { max: number; target: number; withinTarget: boolean };
    discoveryCached: { max: number; target: number; withinTarget: boolean };
    checkin: { authenticateMax: number; tokenUpdateMax: number; target: number; withinTarget: boolean };
    flows: { name: string; totalRequests: number; steps: { step: string; requests: number }[] }[];
  };
  load: {
    enrollments: number;
    concurrency: number;
    mix: { iphones: number; macs: number };
    seconds: number;
    enrollmentsPerSecond: number;
    errors: number;
    inventory: { devices: number };
    withinTarget: boolean;
  };
}
interface CheckinResult {
  verify: { fastUs: number; referenceUs: number };
  dynamodb: { idle: { max: number; target: number; withinTarget: boolean } };
  load: {
    target: number;
    phases: {
      phase: string;
      requestsPerSecond: number;
      latencyMs: { p50: number; p99: number };
      dynamodb: { perMessage: number };
      serverCpuMsPerMessage: number;
      errors: number;
      withinTarget: boolean;
    }[];
  };
}
interface DevStartupResult {
  summary: {
    variant: string;
    medianReadyMs: number | null;
    ok: boolean;
    javaLeftBehind: boolean;
    withinTarget: boolean;
  }[];
}

const started = Date.now();
const outcomes: { name: string; exitCode: number; seconds: number; fresh: boolean }[] = [];
const rows: (string | number)[][] = [];
let allWithinTargets = true;

for (const step of steps) {
  console.log(`\n===== ${step.name} (${step.script}) =====\n`);
  const stepStarted = Date.now();
  const exitCode = await runStep(step.script);
  const seconds = round((Date.now() - stepStarted) / 1000, 1);
  const fresh = readResult(step.name, stepStarted) !== undefined;
  outcomes.push({ name: step.name, exitCode, seconds, fresh });
  if (exitCode !== 0 || !fresh) {
    allWithinTargets = false;
    rows.push([step.name, '-', `FAILED (exit ${exitCode}${fresh ? '' : ', no result written'})`, '-', '']);
    continue;
  }
  if (step.name === 'policy-tree') {
    const result = readResult<PolicyTreeResult>(step.name, stepStarted)!;
    for (const r of result.results) {
      allWithinTargets &&= r.withinTarget;
      rows.push([
        'policy-tree',
        r.variant,
        `req/page ${r.requestsPerPage.min}–${r.requestsPerPage.max} (mean ${r.requestsPerPage.mean}); p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms`,
        `≤ ${r.target} req/page`,
        verdict(r.withinTarget),
      ]);
    }
  } else if (step.name === 'bundle') {
    const result = readResult<BundleResult>(step.name, stepStarted)!;
    for (const r of result.results) {
      const ok =
        r.withinBudget.bytes && r.withinBudget.importMs && r.smoke.ok && (r.deviceFacingCheck?.clean ?? true);
      allWithinTargets &&= ok;
      rows.push([
        'bundle',
        r.name,
        `${mb(r.coldStartBytes)} cold start (${kb(r.gzipBytes)} gzip entry); cold import ${r.coldImport.medianMs} ms${r.deviceFacing ? `; Apollo/graphql ${r.deviceFacingCheck?.clean ? 'absent' : 'PRESENT'}` : ''}`,
        `< ${mb(r.budget.maxBytes)}, < ${r.budget.maxImportMs} ms`,
        verdict(ok),
      ]);
    }
  } else if (step.name === 'ade-setup') {
    const result = readResult<{
      results: { label: string; total: number; byCommand: Record<string, number> }[];
    }>(step.name, stepStarted)!;
    for (const r of result.results) {
      const commands = Object.entries(r.byCommand).map(([c, n]) => `${c.replace(/Command$/, '')}×${n}`);
      rows.push([
        'ade-setup',
        r.label,
        `${r.total} DynamoDB requests (${commands.join(' + ')})`,
        '1 write transaction + needed reads',
        '',
      ]);
    }
  } else if (step.name === 'enrollment') {
    const result = readResult<EnrollmentResult>(step.name, stepStarted)!;
    const { discovery, dynamodb, load } = result;
    const [runtime, bare] = [
      discovery.targets.find((t) => t.key === 'runtime')!,
      discovery.targets.find((t) => t.key === 'bare')!,
    ];
    const d = dynamodb;
    for (const [label, measured, target, ok] of [
      [
        'discovery: local runtime / bare node:http',
        `${runtime.requestsPerSecond} / ${bare.requestsPerSecond} req/s = ${discovery.ratio}; p50 ${runtime.latencyMs.p50} / ${bare.latencyMs.p50} ms, p99 ${runtime.latencyMs.p99} / ${bare.latencyMs.p99} ms`,
        `≥ ${discovery.target}`,
        discovery.withinTarget,
      ],
      [
        'DynamoDB requests per discovery',
        `uncached ${d.discoveryUncached.max}, cached ${d.discoveryCached.max}`,
        `≤ ${d.discoveryUncached.target}, ${d.discoveryCached.target}`,
        d.discoveryUncached.withinTarget && d.discoveryCached.withinTarget,
      ],
      [
        'DynamoDB requests per check-in',
        `Authenticate ${d.checkin.authenticateMax}, TokenUpdate ${d.checkin.tokenUpdateMax}`,
        `≤ ${d.checkin.target} each`,
        d.checkin.withinTarget,
      ],
      ...d.flows.map(
        (f) =>
          [
            `DynamoDB requests per enrollment: ${f.name}`,
            `${f.totalRequests} (${f.steps.map((s) => s.requests).join(' + ')})`,
            'reported',
            true,
          ] as const,
      ),
      [
        `${load.enrollments} enrollments, ${load.concurrency} at a time (${load.mix.iphones} iPhones, ${load.mix.macs} Macs)`,
        `${load.enrollmentsPerSecond}/s (${load.seconds} s), ${load.errors} errors, ${load.inventory.devices} devices in GraphQL`,
        `0 errors, ${load.enrollments} devices`,
        load.withinTarget,
      ],
    ] as const) {
      allWithinTargets &&= ok;
      rows.push(['enrollment', label, measured, target, target === 'reported' ? '' : verdict(ok)]);
    }
  } else if (step.name === 'delivery') {
    const result = readResult<DeliveryResult>(step.name, stepStarted)!;
    const { fanOut, summary, commandRound } = result;
    const sizes = Object.entries(summary).filter(([k]) => k.startsWith('requestsWith'));
    const lossless =
      fanOut.check.oneDeploymentPerDevice &&
      fanOut.check.oneCommandPerPendingDeployment &&
      fanOut.check.countersMatch;
    for (const [label, measured, target, ok] of [
      [
        'DynamoDB requests per command-channel step',
        commandRound.steps.map((s) => `${s.step}: ${s.requests}`).join('; '),
        `≤ ${commandRound.target} each`,
        commandRound.withinTarget,
      ],
      [
        "DynamoDB requests for a policy's deployment summary",
        sizes.map(([k, v]) => `${k.replace('requestsWith', '')}: ${v}`).join('; '),
        '1 at any size',
        summary.withinTarget,
      ],
      [
        `one payload change fanned out to ${result.fleet} devices, stopped at ${fanOut.interruptedAt.processed} and resumed twice at once`,
        `${round(fanOut.total.ms / 1000, 1)} s, ${fanOut.total.requests} DynamoDB requests, ${fanOut.check.deployments} deployments, ${fanOut.check.commandsQueued} commands`,
        'nothing lost or doubled',
        lossless,
      ],
    ] as const) {
      allWithinTargets &&= ok;
      rows.push(['delivery', label, measured, target, verdict(ok)]);
    }
  } else if (step.name === 'checkin') {
    const result = readResult<CheckinResult>(step.name, stepStarted)!;
    const { idle } = result.dynamodb;
    allWithinTargets &&= idle.withinTarget;
    rows.push([
      'checkin',
      'verifyMdmSignature alone; DynamoDB requests per Idle, empty queue',
      `${result.verify.fastUs} µs (pkijs ${result.verify.referenceUs} µs); ${idle.max} requests`,
      `≤ ${idle.target} requests`,
      verdict(idle.withinTarget),
    ]);
    for (const p of result.load.phases) {
      allWithinTargets &&= p.withinTarget;
      rows.push([
        'checkin',
        `load: ${p.phase}`,
        `${p.requestsPerSecond} req/s, p50 ${p.latencyMs.p50} ms, p99 ${p.latencyMs.p99} ms; ${p.dynamodb.perMessage} DynamoDB/msg; server CPU ${p.serverCpuMsPerMessage} ms/msg; ${p.errors} errors`,
        `≥ ${result.load.target} req/s`,
        verdict(p.withinTarget),
      ]);
    }
  } else {
    const result = readResult<DevStartupResult>(step.name, stepStarted)!;
    for (const s of result.summary) {
      const ok = s.withinTarget && s.ok && !s.javaLeftBehind;
      allWithinTargets &&= ok;
      rows.push([
        'dev-startup',
        s.variant,
        `median ready ${s.medianReadyMs === null ? 'n/a' : `${round(s.medianReadyMs / 1000, 2)} s`}; cleanup ${s.ok && !s.javaLeftBehind ? 'clean' : 'PROBLEM'}`,
        '< 15 s',
        verdict(ok),
      ]);
    }
  }
}

const file = writeResult('run-all', {
  name: 'run-all',
  environment: environment(),
  seconds: round((Date.now() - started) / 1000, 1),
  steps: outcomes,
  allWithinTargets,
  results: Object.fromEntries(outcomes.map((o) => [o.name, readResult(o.name, started) ?? null])),
});

console.log(`\n===== summary (${round((Date.now() - started) / 1000, 1)} s) =====\n`);
console.log(table(['benchmark', 'case', 'measured', 'target', ''], rows));
console.log(
  `\n${allWithinTargets ? 'All within targets.' : 'Some results are over target or failed (see above).'}\n${file}`,
);
if (outcomes.some((o) => o.exitCode !== 0 || !o.fresh)) process.exitCode = 1;
