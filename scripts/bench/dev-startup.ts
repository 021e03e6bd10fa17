/**
 * `pnpm bench:dev`: `pnpm dev` from command to ready, on a warm install.
 *
 * Each run spawns `pnpm dev` (in its own process group, on a free port, with ADE_DATA_DIR in a temp
 * folder so a developer's <repo>/.data is never touched), times the "Ctrl-C to stop" line, checks a
 * GraphQL request answers with the printed tenant key, sends SIGINT to the group (what Ctrl-C does),
 * waits for the exit, and checks that the DynamoDB Local java process it started is gone.
 * Variants: --in-memory, and persistent (the same temp data folder for all its runs: the first run
 * creates and seeds the database, later runs reuse it).
 *
 * Options: --runs N (default 3). Result: .artifacts/bench/dev-startup.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ade/local/dynamodb-local';
import {
  environment,
  median,
  repoRoot,
  round,
  sleep,
  table,
  verdict,
  wholeNumberOption,
  writeResult,
} from './common.ts';

const TARGET_READY_MS = 15_000;
const READY_TIMEOUT_MS = 120_000;
const EXIT_TIMEOUT_MS = 30_000;

const runs = wholeNumberOption('runs', 3);

/** Process groups we started and have not seen exit: killed if this script dies early. */
const liveGroups = new Set<number>();
function killLiveGroups() {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killLiveGroups);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killLiveGroups();
    process.exit(130);
  });
}

interface ProcessRow {
  pid: number;
  pgid: number;
  args: string;
}

function processes(): ProcessRow[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid=,args='], { stdio: 'pipe' })
    .toString()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[3]! }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function exited(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: string | null } | null> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

interface RunResult {
  variant: 'in-memory' | 'persistent';
  run: number;
  freshData: boolean;
  ok: boolean;
  readyMs: number | null;
  /** What dev.ts itself prints ("ready in N ms"), i.e. without pnpm and tsx start-up. */
  devReportedMs: number | null;
  firstGraphqlMs: number | null;
  graphqlAnswer: string | null;
  stopMs: number | null;
  /** dev.ts printed "SIGINT: stopping…", i.e. its own shutdown ran. */
  gracefulStop: boolean;
  exit: { code: number | null; signal: string | null } | null;
  dynamoJava: { pid: number; port: string | null }[];
  leftoverPids: number[];
  error?: string;
}

async function runOnce(variant: RunResult['variant'], run: number, dataDir: string): Promise<RunResult> {
  const port = await freePort();
  const freshData = variant === 'in-memory' || !existsSync(join(dataDir, 'dynamodb'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ADE_')) env[key] = value;
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', ADE_DATA_DIR: dataDir, FORCE_COLOR: '0' });

  const result: RunResult = {
    variant,
    run,
    freshData,
    ok: false,
    readyMs: null,
    devReportedMs: null,
    firstGraphqlMs: null,
    graphqlAnswer: null,
    stopMs: null,
    gracefulStop: false,
    exit: null,
    dynamoJava: [],
    leftoverPids: [],
  };
  const started = performance.now();
  const child = spawn('pnpm', ['dev', ...(variant === 'in-memory' ? ['--in-memory'] : [])], {
    cwd: repoRoot,
    env,
    detached: true, // its own process group, like a terminal job: SIGINT to the group = Ctrl-C
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid!;
  liveGroups.add(pgid);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Ctrl-C to stop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`pnpm dev exited (${code ?? signal}) before it was ready`));
      });
    });
    result.readyMs = Math.round(performance.now() - started);
    result.devReportedMs = Number(/ready in (\d+) ms/.exec(stdout)?.[1] ?? Number.NaN) || null;

    // Ask GraphQL with the key it printed, on 127.0.0.1.
    const graphqlUrl = /GraphQL\s+(\S+)/.exec(stdout)?.[1]?.replace('//localhost:', '//127.0.0.1:');
    const tenantKey = /Tenant\s+(\S+)/.exec(stdout)?.[1];
    if (!graphqlUrl?.startsWith(`http://127.0.0.1:${port}/`) || !tenantKey)
      throw new Error(`could not read the GraphQL URL and tenant key from:\n${stdout}`);
    const askedAt = performance.now();
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { tenant { name policyCount } } }' }),
    });
    const body = (await response.json()) as {
      data?: { viewer?: { tenant?: { name: string; policyCount: number } } };
    };
    result.firstGraphqlMs = Math.round(performance.now() - askedAt);
    const tenant = body.data?.viewer?.tenant;
    if (response.status !== 200 || !tenant)
      throw new Error(`GraphQL answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
    result.graphqlAnswer = `${tenant.name} (${tenant.policyCount} policies)`;

    // The DynamoDB Local it started: a java process in its process group.
    result.dynamoJava = processes()
      .filter((p) => p.pgid === pgid && p.args.includes('DynamoDBLocal.jar') && /(^|\/)java\s/.test(p.args))
      .map((p) => ({ pid: p.pid, port: /-port\s+(\d+)/.exec(p.args)?.[1] ?? null }));
    if (result.dynamoJava.length !== 1)
      throw new Error(
        `expected one DynamoDBLocal java process in group ${pgid}, found ${result.dynamoJava.length}`,
      );

    const stopAt = performance.now();
    process.kill(-pgid, 'SIGINT');
    result.exit = await exited(child, EXIT_TIMEOUT_MS);
    if (!result.exit) throw new Error(`pnpm dev did not exit within ${EXIT_TIMEOUT_MS} ms of SIGINT`);
    result.stopMs = Math.round(performance.now() - stopAt);
    result.gracefulStop = stdout.includes('SIGINT: stopping');

    // Give stragglers a moment, then record whatever of the group (java included) is still there.
    const deadline = performance.now() + 5_000;
    const leftovers = () => [
      ...new Set([
        ...result.dynamoJava.map((j) => j.pid).filter(alive),
        ...processes()
          .filter((p) => p.pgid === pgid)
          .map((p) => p.pid),
      ]),
    ];
    while (leftovers().length > 0 && performance.now() < deadline) await sleep(100);
    result.leftoverPids = leftovers();
    if (result.leftoverPids.length > 0)
      throw new Error(`processes left behind: ${result.leftoverPids.join(', ')}`);
    result.ok = true;
  } catch (error) {
    result.error = `${(error as Error).message}\n--- stdout ---\n${stdout.slice(-2000)}\n--- stderr ---\n${stderr.slice(-2000)}`;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
      await exited(child, 5_000);
    }
    for (const { pid } of result.dynamoJava) {
      if (alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    liveGroups.delete(pgid);
  }
  return result;
}

const repoCredentials = join(repoRoot, '.data', 'dev-credentials.json');
const repoCredentialsBefore = existsSync(repoCredentials) ? statSync(repoCredentials).mtimeMs : null;
const tempDirs: string[] = [];
const all: RunResult[] = [];
try {
  for (const variant of ['in-memory', 'persistent'] as const) {
    // One data folder per variant: persistent runs after the first reuse the database.
    const dataDir = mkdtempSync(join(tmpdir(), `ade-bench-dev-${variant}-`));
    tempDirs.push(dataDir);
    for (let run = 1; run <= runs; run++) {
      const result = await runOnce(variant, run, dataDir);
      all.push(result);
      console.log(
        `${variant} #${run}: ${result.ok ? `ready in ${result.readyMs} ms (dev.ts says ${result.devReportedMs} ms), GraphQL ${result.firstGraphqlMs} ms, stopped in ${result.stopMs} ms` : `FAILED: ${result.error}`}`,
      );
    }
  }
} finally {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
const repoCredentialsAfter = existsSync(repoCredentials) ? statSync(repoCredentials).mtimeMs : null;

const summary = (['in-memory', 'persistent'] as const).map((variant) => {
  const rows = all.filter((r) => r.variant === variant);
  const ready = rows.filter((r) => r.ok).map((r) => r.readyMs!);
  const medianReadyMs = ready.length ? Math.round(median(ready)) : null;
  return {
    variant,
    runs: rows.length,
    ok: rows.every((r) => r.ok),
    readyMs: rows.map((r) => r.readyMs),
    medianReadyMs,
    medianDevReportedMs: Math.round(median(rows.filter((r) => r.devReportedMs).map((r) => r.devReportedMs!))),
    medianFirstGraphqlMs: Math.round(
      median(rows.filter((r) => r.firstGraphqlMs).map((r) => r.firstGraphqlMs!)),
    ),
    medianStopMs: Math.round(median(rows.filter((r) => r.stopMs).map((r) => r.stopMs!))),
    javaLeftBehind: rows.some((r) => r.leftoverPids.length > 0),
    withinTarget: medianReadyMs !== null && medianReadyMs < TARGET_READY_MS,
  };
});

const file = writeResult('dev-startup', {
  name: 'dev-startup',
  environment: environment(),
  config: { runs, command: 'pnpm dev [--in-memory]', readyLine: 'Ctrl-C to stop' },
  targets: { maxReadyMs: TARGET_READY_MS },
  repoDataUntouched: repoCredentialsBefore === repoCredentialsAfter,
  summary,
  runs: all,
});

console.log(
  `\n${table(
    [
      'variant',
      'runs',
      'ready (each, ms)',
      'median',
      'dev.ts says',
      '1st GraphQL',
      'stop',
      'cleanup',
      `< ${TARGET_READY_MS / 1000} s`,
    ],
    summary.map((s) => [
      s.variant,
      s.runs,
      s.readyMs.map((ms) => ms ?? 'failed').join(' '),
      s.medianReadyMs === null ? 'n/a' : `${round(s.medianReadyMs / 1000, 2)} s`,
      `${round(s.medianDevReportedMs / 1000, 2)} s`,
      `${s.medianFirstGraphqlMs} ms`,
      `${s.medianStopMs} ms`,
      s.ok && !s.javaLeftBehind ? 'clean' : 'PROBLEM',
      verdict(s.withinTarget),
    ]),
  )}`,
);
console.log(
  `\n<repo>/.data/dev-credentials.json ${repoCredentialsBefore === repoCredentialsAfter ? 'untouched' : 'CHANGED'}\n${file}`,
);
if (!summary.every((s) => s.ok)) process.exitCode = 1;
