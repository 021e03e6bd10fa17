/**
 * The rollout worker: runs on a schedule (every minute in AWS; every few seconds under `pnpm dev`)
 * and carries every unfinished payload rollout forward from its cursor. A mutation delivers what it
 * can in its own few seconds; this finishes the rest, and picks up after any interruption.
 * Not routed: invoked by the scheduler only.
 */
import { coreFromEnv } from './core-from-env.ts';

type Core = ReturnType<typeof coreFromEnv>;

/** Leaves a margin before the function's own timeout (`scheduledFunctions.rollouts.timeoutSeconds`). */
const MARGIN_MS = 15_000;

export function createRolloutWorker(core: Pick<Core, 'delivery'>) {
  return async (_event: unknown, context?: { getRemainingTimeInMillis?: () => number }) => {
    const remaining = context?.getRemainingTimeInMillis?.() ?? 60_000;
    return core.delivery.resumeAll(Date.now() + Math.max(1_000, remaining - MARGIN_MS));
  };
}

let run: ReturnType<typeof createRolloutWorker> | undefined;

export const handler = (event: unknown, context?: { getRemainingTimeInMillis?: () => number }) => {
  run ??= createRolloutWorker(coreFromEnv());
  return run(event, context);
};
