/**
 * `pnpm dev` itself (dev.ts in a process of its own, on a free port, its data in a temporary folder)
 * when its DynamoDB Local is killed: persistent, it says so, restarts it on the same port with the
 * same data, and the key it printed works again through the handler modules Lambda runs; in memory,
 * it stops with exit code 1 and a message saying the data is gone. Nothing is left running.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@ade/local/dynamodb-local';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0).reverse()) step();
});

interface Dev {
  child: ChildProcess;
  port: number;
  dataDir: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout has matched `pattern`. */
  printed(pattern: RegExp): Promise<string>;
}

/** dev.ts in its own process group (like a terminal job), killed with its group after the test. */
async function startDev(args: string[] = []): Promise<Dev> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ade-dev-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ADE_')) env[key] = value;
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', ADE_DATA_DIR: dataDir, FORCE_COLOR: '0' });
  const child = spawn('node', ['--import', 'tsx', 'packages/local/src/dev.ts', ...args], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out);
        if (!match) return false;
        child.stdout!.off('data', check);
        child.off('exit', early);
        resolve(match[0]);
        return true;
      };
      const early = () => reject(new Error(`dev.ts exited before printing ${pattern}:\n${out}\n${err}`));
      if (check()) return;
      child.stdout!.on('data', check);
      child.once('exit', early);
    });
  await printed(/Ctrl-C to stop/);
  return { child, port, dataDir, stdout: () => out, stderr: () => err, printed };
}

/** The java processes in dev.ts's process group, with their arguments. */
function javaOf(dev: Dev): { pid: number; args: string }[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid=,args='])
    .toString()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[2]) === dev.child.pid)
    .filter((m) => m[3]!.includes('DynamoDBLocal.jar') && /(^|\/)java\s/.test(m[3]!))
    .map((m) => ({ pid: Number(m[1]), args: m[3]! }));
}

async function tenantName(dev: Dev): Promise<{ status: number; body: unknown }> {
  const key = /Tenant\s+(\S+)/.exec(dev.stdout())![1]!;
  const response = await fetch(`http://127.0.0.1:${dev.port}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ viewer { tenant { name } } }' }),
  });
  return { status: response.status, body: await response.json() };
}

describe('pnpm dev when its DynamoDB Local is killed', () => {
  it('restarts a persistent one on the same port with the same data; the printed key works again', async () => {
    const dev = await startDev();
    const seeded = await tenantName(dev);
    expect(seeded).toEqual({
      status: 200,
      body: { data: { viewer: { tenant: { name: expect.any(String) } } } },
    });
    const [before] = javaOf(dev);
    const port = /-port (\d+)/.exec(before!.args)![1]!;
    const dbPath = join(dev.dataDir, 'dynamodb');
    process.kill(before!.pid, 'SIGKILL');

    expect(await dev.printed(/DynamoDB Local stopped .*\n/)).toBe(
      `DynamoDB Local stopped (killed by SIGKILL). Restarting it on port ${port} with the data in ${dbPath} in 1 s (attempt 1 of 5); until it is back, device routes answer 503 with Retry-After and GraphQL SERVICE_UNAVAILABLE.\n`,
    );
    await dev.printed(new RegExp(`DynamoDB Local is back on port ${port} with the data in ${dbPath}`));
    const after = javaOf(dev);
    expect(after).toHaveLength(1);
    expect(after[0]!.pid).not.toBe(before!.pid);
    expect(after[0]!.args).toContain(`-dbPath ${dbPath}`);
    expect(after[0]!.args).toContain(`-port ${port}`);
    // The handler modules (endpoint from the environment, as in Lambda) reach the restarted database.
    expect(await tenantName(dev)).toEqual(seeded);
  }, 180_000);

  it('stops with exit code 1 and says why when the database was in memory', async () => {
    const dev = await startDev(['--in-memory']);
    const [java] = javaOf(dev);
    const exited = new Promise<number | null>((resolve) => dev.child.once('exit', resolve));
    process.kill(java!.pid, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(dev.stderr()).toMatch(
      /DynamoDB Local stopped \(killed by SIGKILL\)\. It ran in memory \(--in-memory\): its data is gone and a restart cannot bring it back, so pnpm dev stops here\./,
    );
    expect(javaOf(dev)).toEqual([]);
  }, 180_000);
});
