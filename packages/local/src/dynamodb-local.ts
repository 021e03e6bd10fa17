/**
 * The embedded database: DynamoDB Local 1.25 from the jar shipped in the npm package
 * `amplify-dynamodb-simulator` (see docs/toolchain.md#dynamodb-local; the packages that download the jar
 * at run time cannot work on these machines).
 *
 * The Java process is started behind a tiny shell watchdog that holds a pipe from this process:
 * whenever this Node process goes away — normal exit, Ctrl-C, an uncaught error, even SIGKILL —
 * the pipe closes and the watchdog stops Java. No orphaned JVMs, without relying on exit hooks.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoLocalOptions {
  /** Keep data in this folder; in memory when unset. */
  dbPath?: string;
  /** Port to listen on; a free one when unset. */
  port?: number;
  /** Milliseconds to wait for the first answer. */
  startTimeoutMs?: number;
}

export interface DynamoLocal {
  endpoint: string;
  port: number;
  /** The watchdog's pid (Java is its child). */
  pid: number | undefined;
  /** Settles when the process is gone, whether stopped or not (the supervisor watches it). */
  exited: Promise<DynamoLocalExit>;
  stop(): Promise<void>;
}

/** How DynamoDB Local ended, and the last of what it printed. */
export interface DynamoLocalExit {
  /** In words, e.g. `killed by SIGKILL` or `exit code 1`. */
  reason: string;
  output: string;
}

export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(
      `DynamoDB Local needs Java 17 or newer, and \`java\` could not be run (${detail}).\n` +
        'Install it, e.g. on Debian/Ubuntu: `apt-get update && apt-get install -y openjdk-17-jre-headless`,\n' +
        'or point JAVA_HOME at an existing JDK.',
    );
    this.name = 'JavaMissingError';
  }
}

/** DynamoDB Local did not answer after starting; `reason` is the cause on one line. */
export class DynamoLocalStartError extends Error {
  constructor(
    readonly reason: string,
    output: string,
  ) {
    super(`DynamoDB Local did not start: ${reason}\n${output}`);
    this.name = 'DynamoLocalStartError';
  }
}

const WATCHDOG = [
  'exec 3<&0', // keep the pipe from Node on fd 3; background jobs get /dev/null as stdin
  '"$@" </dev/null &',
  'child=$!',
  '(cat <&3 >/dev/null; kill "$child" 2>/dev/null) &',
  'trap \'kill "$child" 2>/dev/null; wait "$child"; exit 0\' INT TERM',
  'wait "$child"',
].join('\n');

export function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

export function assertJava(): void {
  try {
    execFileSync(javaBinary(), ['-version'], { stdio: 'pipe' });
  } catch (error) {
    throw new JavaMissingError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

export function emulatorDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  assertJava();
  const emulator = emulatorDirectory();
  const port = options.port ?? (await freePort());
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const javaArgs = [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Xshare:auto',
    `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(emulator, 'DynamoDBLocal.jar'),
    ...storage,
    '-port',
    String(port),
  ];
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'dynamodb-local', javaBinary(), ...javaArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000); // the end says why it stopped
  };
  const exited = new Promise<DynamoLocalExit>((resolve) => {
    child.once('exit', (code, signal) => {
      // Java is gone (or the watchdog was killed): closing the pipe lets the watchdog's helper end,
      // and stops a Java that outlived its watchdog.
      child.stdin?.destroy();
      resolve({ reason: describeExit(code, signal), output: output.trim() });
    });
  });
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // The pipe must not keep the event loop alive, nor should the child's output.
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void })?.unref?.();
  child.unref();

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, () => output, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stopChild(child);
    throw new DynamoLocalStartError((error as Error).message, output.trim());
  }
  return { endpoint, port, pid: child.pid, exited, stop: () => stopChild(child) };
}

/** The watchdog exits with Java's status: 128 + n when Java was killed by signal n. */
function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `its watchdog was killed by ${signal}`;
  if (code !== null && code > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    return `killed by ${name ?? `signal ${code - 128}`}`;
  }
  return `exit code ${code}`;
}

/**
 * DynamoDB Local's main thread can fail (e.g. the port is taken: `java.io.IOException: Failed to bind
 * to 0.0.0.0/0.0.0.0:8000`) while the JVM lives on; its output is the only sign of it.
 */
const MAIN_THREAD_FAILED = /Exception in thread "main" (.+)/;

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`java exited with code ${child.exitCode}`);
      const failed = MAIN_THREAD_FAILED.exec(output())?.[1];
      if (failed) throw new Error(failed.trim());
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`no answer within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // Closing the pipe is what the watchdog waits for; SIGTERM covers a watchdog that is busy.
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}
