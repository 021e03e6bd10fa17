/**
 * A newcomer's first minutes, as the README tells them: `pnpm dev` on a port of their choosing
 * (PORT) with its data elsewhere (ADE_DATA_DIR), then the command its banner prints and the README's
 * own curl example, each run by a real shell with curl exactly as written. Neither may assume port
 * 4000 or the default data folder. The dev stack runs as `pnpm dev` runs it (tsx, its own DynamoDB
 * Local, in memory), in its own process group, stopped with SIGINT as Ctrl-C would.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { REAL_DEVICE_SECTION } from '@ade/local/banner';
import { freePort } from '@ade/local/dynamodb-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
let dev: ChildProcess | undefined;
let output = '';
let port: number;
let dataDir: string;

/** What the example query returns for the demo tenant `pnpm dev` seeds. */
const DEMO_TREE = {
  data: {
    viewer: {
      tenant: {
        name: 'Demo Organisation',
        rootPolicy: {
          name: 'All devices',
          children: {
            nodes: [
              { name: 'Europe', path: 'All devices / Europe' },
              { name: 'North America', path: 'All devices / North America' },
            ],
          },
        },
      },
    },
  },
};

/** Runs shell text as a person pasting it would (bash; curl must be installed, as the README assumes). */
async function shell(script: string, env: Record<string, string> = {}) {
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
  return stdout;
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`pnpm dev was not ready in time:\n${output}`)), 100_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C to stop.')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`pnpm dev exited (${code}) before it was ready:\n${output}`));
    });
  });
}

describe('the quick start, on another port and data folder', () => {
  beforeAll(async () => {
    port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'ade-quick-start-'));
    const { ADE_PUBLIC_URL: _ignored, ...env } = process.env;
    dev = spawn(join(root, 'node_modules/.bin/tsx'), ['packages/local/src/dev.ts', '--in-memory'], {
      cwd: root,
      env: { ...env, PORT: String(port), ADE_DATA_DIR: dataDir },
      detached: true, // its own process group, so DynamoDB Local goes with it
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForReady(dev);
  }, 120_000); // a JVM to start on a busy machine (pnpm bench:dev measures the ready time)

  afterAll(async () => {
    if (dev?.pid && dev.exitCode === null) {
      const exited = new Promise((done) => dev!.once('exit', done));
      process.kill(-dev.pid, 'SIGINT');
      const late = setTimeout(() => process.kill(-dev!.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints a command that runs as printed and answers with the demo tenant's tree", async () => {
    expect(output).toContain(`http://localhost:${port}/graphql`);
    const lines = output.split('\n');
    const start = lines.findIndex((line) => line.includes('Try it (paste into a shell):')) + 1;
    const end = lines.findIndex((line, i) => i >= start && line.trim() === '');
    const command = lines.slice(start, end).join('\n');
    expect(command).toMatch(/^\s*curl /);
    expect(JSON.parse(await shell(command))).toEqual(DEMO_TREE);
  });

  it("runs the README's curl example with PORT and ADE_DATA_DIR set", async () => {
    const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((text) => text.includes('dev-credentials.json') && text.includes('curl'));
    expect(block, 'the README has a curl example reading dev-credentials.json').toBeDefined();
    expect(block).not.toContain('4000'); // the port comes from the credentials file
    expect(JSON.parse(await shell(block!, { ADE_DATA_DIR: dataDir }))).toEqual(DEMO_TREE);
  });

  it('tells how devices reach it: plain http here, so a public HTTPS URL as ADE_PUBLIC_URL', () => {
    expect(output).toContain(`http://localhost:${port} is plain http, which devices refuse`);
    expect(output).toContain(`README, "${REAL_DEVICE_SECTION}"`);
    const section = readme.split(`### ${REAL_DEVICE_SECTION}\n`)[1]?.split(/\n## /)[0];
    expect(section, 'the README section the banner names').toBeDefined();
    expect(section).toContain('ADE_PUBLIC_URL=https://');
  });
});
