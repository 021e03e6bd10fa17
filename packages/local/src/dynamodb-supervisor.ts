/**
 * DynamoDB Local under `pnpm dev`, kept running. If the JVM dies (killed, out of memory, a crash),
 * a persistent database is started again on the same port with the same data folder, so the
 * endpoint the handlers were given stays valid and nothing is lost: backoff of 1, 2, 4, 8 and 16 s
 * (a restart that stays up a minute starts the count again), one console line each time, and after
 * the fifth failed attempt it gives up. Meanwhile every request meets a refused connection, which
 * the handlers answer with 503 and Retry-After (core's StoreUnavailableError), not a 500.
 *
 * An in-memory database is not restarted: its data died with the JVM, and a fresh empty one would
 * turn every printed key and id into a 401 or a 404 that looks like a bug. It gives up at once,
 * saying so, and `pnpm dev` stops.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DynamoLocal,
  type DynamoLocalOptions,
  DynamoLocalStartError,
  startDynamoLocal,
} from './dynamodb-local.ts';

/** The waits before each restart attempt; when they are used up, the supervisor gives up. */
export const RESTART_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000];
/** A restart that stays up this long was a success: the next death starts from the first delay. */
const STABLE_MS = 60_000;

export interface SupervisorOptions extends DynamoLocalOptions {
  /** Waits before each restart attempt (default RESTART_DELAYS_MS); empty: never restart. */
  restartDelaysMs?: readonly number[];
  /** Where the console lines go (default console.log). */
  log?: (line: string) => void;
  /** DynamoDB Local is gone for good (in memory: at its first death); `message` says why and what to do. */
  onGiveUp(message: string): void;
  /** How to wait between attempts (tests hold a restart back); default a timer. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface SupervisorEvents {
  /** It died; `reason` as in DynamoLocalExit. */
  down: [reason: string];
  /** It answers again after a restart. */
  up: [];
  /** It will not come back; the message given to onGiveUp. */
  'gave-up': [message: string];
}

export interface SupervisedDynamoLocal {
  /** The same for the whole life of the supervisor: restarts reuse the port. */
  endpoint: string;
  port: number;
  /** The watchdog pid of the DynamoDB Local running now (Java is its child). */
  pid(): number | undefined;
  events: EventEmitter<SupervisorEvents>;
  /** Stops it and any restart in progress; no restart follows. */
  stop(): Promise<void>;
}

/** Starts DynamoDB Local (failing as startDynamoLocal does) and keeps it running, as described above. */
export async function superviseDynamoLocal(options: SupervisorOptions): Promise<SupervisedDynamoLocal> {
  const delays = options.restartDelaysMs ?? RESTART_DELAYS_MS;
  const log = options.log ?? ((line: string) => console.log(line));
  const wait = options.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }));
  const events = new EventEmitter<SupervisorEvents>();
  const stopping = new AbortController();
  let current: DynamoLocal = await startDynamoLocal(options);
  const { port, endpoint } = current;
  const where = options.dbPath ? `the data in ${options.dbPath}` : 'its data in memory';
  let upSince = Date.now();
  /** Restart attempts since the last one that stayed up STABLE_MS. */
  let attempts = 0;
  let recovering: Promise<void> | undefined;

  const watch = (instance: DynamoLocal) => {
    void instance.exited.then(({ reason }) => {
      if (stopping.signal.aborted || instance !== current) return;
      recovering = recover(reason).finally(() => {
        recovering = undefined;
      });
    });
  };

  const giveUp = (message: string) => {
    events.emit('gave-up', message);
    options.onGiveUp(message);
  };

  async function recover(reason: string): Promise<void> {
    events.emit('down', reason);
    if (!options.dbPath) {
      giveUp(
        `DynamoDB Local stopped (${reason}). It ran in memory (--in-memory): its data is gone and a ` +
          'restart cannot bring it back, so pnpm dev stops here. Start it again for a fresh, empty stack ' +
          '(new keys), or run it without --in-memory to keep data across restarts.',
      );
      return;
    }
    if (Date.now() - upSince >= STABLE_MS) attempts = 0;
    let last = reason;
    let verb = 'stopped';
    while (attempts < delays.length) {
      const delay = delays[attempts]!;
      attempts++;
      log(
        `DynamoDB Local ${verb} (${last}). Restarting it on port ${port} with ${where} in ${seconds(delay)} ` +
          `(attempt ${attempts} of ${delays.length}); until it is back, device routes answer 503 with ` +
          'Retry-After and GraphQL SERVICE_UNAVAILABLE.',
      );
      try {
        await wait(delay, stopping.signal);
      } catch {
        return; // stopped while waiting
      }
      if (stopping.signal.aborted) return;
      const started = Date.now();
      let restarted: DynamoLocal;
      try {
        restarted = await startDynamoLocal({ ...options, port });
      } catch (error) {
        [last, verb] = [reasonOf(error), 'did not start'];
        continue;
      }
      current = restarted;
      if (stopping.signal.aborted) return; // stop() stops `current`
      upSince = Date.now();
      log(
        `DynamoDB Local is back on port ${port} with ${where} (started in ${seconds(Date.now() - started)}).`,
      );
      events.emit('up');
      watch(restarted);
      return;
    }
    giveUp(
      `DynamoDB Local ${verb} (${last}) and could not be restarted after ${delays.length} attempts, so ` +
        `pnpm dev stops here. ${options.dbPath ? `The data in ${options.dbPath} is kept: ` : ''}run pnpm dev again.`,
    );
  }

  watch(current);
  return {
    endpoint,
    port,
    pid: () => current.pid,
    events,
    async stop() {
      stopping.abort();
      await recovering;
      await current.stop();
    },
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Why a restart failed, on one line (e.g. `java.io.IOException: Failed to bind to 0.0.0.0/0.0.0.0:8000`). */
function reasonOf(error: unknown): string {
  if (error instanceof DynamoLocalStartError) return error.reason;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
