/**
 * Shared bits of the benchmark scripts: where results go, machine facts, small statistics and a
 * plain-text table.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const benchDir = join(repoRoot, '.artifacts', 'bench');

/** Machine and revision the numbers were taken on, stored with every result. */
export function environment() {
  let commit: string | null = null;
  let dirty: boolean | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, stdio: 'pipe' }).toString().trim();
    dirty =
      execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, stdio: 'pipe' }).toString().trim() !==
      '';
  } catch {
    // not a git checkout: leave null
  }
  return {
    at: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    /** 1/5/15-minute load when the run started: other work on the machine skews timings. */
    loadAverage: loadavg().map((x) => round(x, 2)),
    commit,
    dirty,
  };
}

/** Writes `.artifacts/bench/<name>.json` and returns its path. */
export function writeResult(name: string, result: unknown): string {
  mkdirSync(benchDir, { recursive: true });
  const file = join(benchDir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Linear-interpolated percentile (p in 0–100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function summarize(samples: readonly number[]) {
  return {
    n: samples.length,
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
    mean: samples.length ? samples.reduce((sum, x) => sum + x, 0) / samples.length : Number.NaN,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** A fixed-width text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[], raw: (string | number)[] | undefined) =>
    row
      .map((cell, i) => (typeof raw?.[i] === 'number' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0]!, undefined),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((row, i) => line(cells[i + 1]!, row)),
  ].join('\n');
}

export function verdict(ok: boolean): string {
  return ok ? 'ok' : 'OVER TARGET';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** CPU seconds used so far by a process and its descendants (Linux /proc; null elsewhere). */
export function processTreeCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const ticks = (p: number): number => {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let children = 0;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8')
          .split(' ')
          .filter(Boolean))
          children += ticks(Number(child));
      }
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after the command).
      return Number(fields[11]) + Number(fields[12]) + children;
    };
    return ticks(pid) / 100; // USER_HZ
  } catch {
    return null;
  }
}

/**
 * Runs a benchmark's `main`, ending the process with an error if it is still running after
 * `deadlineMs` (a stuck request or a child that never answers must not hang CI or a shell).
 */
export async function runWithDeadline(name: string, deadlineMs: number, main: () => Promise<void>) {
  const deadline = setTimeout(() => {
    console.error(`${name}: still running after ${deadlineMs / 60_000} min, giving up`);
    process.exit(1);
  }, deadlineMs);
  deadline.unref();
  try {
    await main();
  } finally {
    clearTimeout(deadline);
  }
}

/** KMS requests by operation (`GenerateDataKey`, `Decrypt`…) in a KMS fake's log since index `from`. */
export function kmsRequestsSince(kms: { requests: { target: string }[] }, from: number) {
  const byOperation: Record<string, number> = {};
  for (const { target } of kms.requests.slice(from)) {
    const operation = target.replace('TrentService.', '');
    byOperation[operation] = (byOperation[operation] ?? 0) + 1;
  }
  return byOperation;
}

/** `--name N` from the command line: a whole number ≥ `min`, or `fallback` when it is not given. */
export function wholeNumberOption(name: string, fallback: number, min = 1): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return value;
}
