/**
 * When the supervisor cannot bring a persistent DynamoDB Local back. The restart that works, under a
 * running server, is test/e2e/dev-database.test.ts; `pnpm dev` as a whole (persistent and in memory)
 * is dev.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SupervisedDynamoLocal, superviseDynamoLocal } from '@ade/local/dynamodb-supervisor';
import { afterEach, describe, expect, it } from 'vitest';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function killJava(dynamo: SupervisedDynamoLocal): void {
  const pid = Number(
    execFileSync('pgrep', ['-P', String(dynamo.pid()), 'java'])
      .toString()
      .trim(),
  );
  process.kill(pid, 'SIGKILL');
}

describe('the DynamoDB Local supervisor', () => {
  it('gives up after its last attempt when the port was taken meanwhile, keeping the data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ade-supervisor-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const dbPath = join(dataDir, 'dynamodb');
    const lines: string[] = [];
    const gaveUp: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const dynamo = await superviseDynamoLocal({
      dbPath,
      restartDelaysMs: [0, 0],
      log: (line) => lines.push(line),
      onGiveUp: (message) => gaveUp.push(message),
      wait: () => held,
    });
    cleanup.push(() => dynamo.stop());
    const down = once(dynamo.events, 'down');
    killJava(dynamo);
    await down;
    // Someone else takes the port before the restart: every attempt fails to bind it.
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(dynamo.port, '0.0.0.0', resolve));
    cleanup.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const given = once(dynamo.events, 'gave-up');
    release();
    await given;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^DynamoDB Local stopped \(killed by SIGKILL\)\. Restarting it .* \(attempt 1 of 2\)/,
    );
    expect(lines[1]).toMatch(
      /^DynamoDB Local did not start \(java\.io\.IOException: Failed to bind to .+\)\. Restarting it .* \(attempt 2 of 2\)/,
    );
    expect(gaveUp).toEqual([
      expect.stringMatching(
        new RegExp(
          `^DynamoDB Local did not start \\(.+\\) and could not be restarted after 2 attempts, so pnpm dev stops here\\. The data in ${dbPath} is kept`,
        ),
      ),
    ]);
  }, 120_000);
});
