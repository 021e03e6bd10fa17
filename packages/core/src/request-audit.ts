/**
 * Audit events of unauthenticated requests — service discovery, enrollment challenges and refused
 * enrollment requests, refused sign-ins — written so that neither the rate of such requests nor their
 * variety can grow the table without limit, while an admin still sees who asked, what was refused and
 * how often:
 *
 * - **Counted, not repeated.** The same event (same configuration, action, outcome, reason and the
 *   caller's `sameAs` facts: the person and model family for discovery, the device's product, OS and
 *   signature facts for a challenge) within a batch is one item with `details.count`.
 * - **Capped per minute.** Per configuration, action, outcome and reason code, at most
 *   `DISTINCT_PER_WINDOW` different events a minute are written as themselves; past that, the rest of
 *   the minute's events are counted into one aggregate item (actor `device:various`,
 *   `details: { aggregated: true, count, window }`), written with each batch. So a flood of random
 *   identifiers costs at most 50 items plus one aggregate per batch a minute per container, whatever
 *   its rate (scripts/bench/flood.ts measures it).
 * - **Batched.** Items go out as one BatchWriteItem when 25 are waiting (DynamoDB's batch size) or the
 *   oldest has waited `maxAgeMs`, flushed inside a request, before it answers, so a Lambda never
 *   freezes with a write in flight. The price, stated plainly: a container reclaimed while idle loses
 *   the events it still holds (at most 24, all younger than its last request plus `maxAgeMs`).
 *
 * Only events of configurations that exist are recorded (an unknown id names no tenant we may write
 * into). Details and texts are bounded like every audit record (audit.ts).
 */
import { auditRecord } from './audit.ts';
import type { Actor } from './context.ts';
import type { AdeService, AuditEventItem } from './entities/service.ts';
import { unavailableIn } from './errors.ts';
import { INPUT_LIMITS } from './input-limits.ts';

export const REQUEST_AUDIT_BATCH = 25;
export const DISTINCT_PER_WINDOW = 50;
export const AUDIT_WINDOW_MS = 60_000;
const MAX_PENDING = 1_000; // DynamoDB unreachable for long: keep the newest, count the rest

export interface RequestAuditEvent {
  tenantId: string;
  configurationId: string;
  action: string;
  outcome: 'SUCCESS' | 'FAILURE';
  /** A short, fixed code (ours, never the caller's text): aggregates are counted per code. */
  reasonCode?: string;
  /** The code and what it means for this request, for the admin (bounded by audit.ts). */
  reason?: string;
  /** Whom the request named (a `user-identifier`, unverified): the actor `device:<who>`. */
  who?: string | null;
  details?: Record<string, unknown>;
  /** What makes two events the same one, beyond configuration, action, outcome and reason. */
  sameAs?: readonly unknown[];
}

export interface RequestAuditOptions {
  maxAgeMs?: number;
  now?: () => number;
  /** Names the buffer in its log lines. */
  name?: string;
}

/** The actor of an unauthenticated event: the identifier the request named, when it is printable. */
function actorFor(who: string | null | undefined): Actor {
  const printable = who && who.length <= INPUT_LIMITS.userIdentifier && /^[\x21-\x7e]+$/.test(who);
  return { kind: 'system', role: 'ADMIN', name: `device:${printable ? who : 'unknown'}` };
}

export function requestAuditBuffer(service: AdeService, options: RequestAuditOptions = {}) {
  const maxAgeMs = options.maxAgeMs ?? 5_000;
  const now = options.now ?? Date.now;
  const name = options.name ?? 'request';
  let pending = new Map<string, { item: AuditEventItem; count: number }>();
  /** Per class (configuration, action, outcome, reason code): the current minute and its distinct events. */
  const windows = new Map<string, { start: number; distinct: number }>();
  let oldest = 0;
  let dropped = 0;
  let flushing: Promise<void> | null = null;

  async function flush(): Promise<void> {
    if (flushing) return flushing;
    const batch = [...pending.values()].map(({ item, count }) =>
      count > 1 || item.details?.aggregated ? { ...item, details: { ...item.details, count } } : item,
    );
    pending = new Map();
    if (!batch.length) return;
    flushing = (async () => {
      try {
        for (let i = 0; i < batch.length; i += REQUEST_AUDIT_BATCH) {
          const slice = batch.slice(i, i + REQUEST_AUDIT_BATCH);
          const { unprocessed } = await service.entities.auditEvent.put(slice).go();
          if (unprocessed.length) {
            const left = new Set(unprocessed.map((key) => key.eventId));
            requeue(slice.filter((item) => left.has(item.eventId)));
          }
        }
      } catch (error) {
        requeue(batch);
        // The database being away is not a bug here: the events wait for the next flush.
        const unavailable = unavailableIn(error);
        console.error(
          JSON.stringify(
            unavailable
              ? { level: 'WARN', message: `${name} audit flush deferred`, cause: unavailable.detail }
              : { level: 'ERROR', message: `${name} audit flush failed`, error: String(error) },
          ),
        );
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  }

  function requeue(items: AuditEventItem[]) {
    for (const item of items) {
      if (pending.has(item.eventId)) continue;
      if (pending.size >= MAX_PENDING) {
        dropped++;
        continue;
      }
      pending.set(item.eventId, { item, count: 1 });
    }
    oldest = pending.size ? now() : 0;
  }

  /** Counts the event into its class's minute: false once the minute has had its distinct events. */
  function withinWindow(classKey: string, at: number): { ok: boolean; start: number } {
    let window = windows.get(classKey);
    if (!window || at - window.start >= AUDIT_WINDOW_MS || at < window.start) {
      if (windows.size >= MAX_PENDING) windows.clear(); // many classes at once: start every minute afresh
      window = { start: at, distinct: 0 };
      windows.set(classKey, window);
    }
    if (window.distinct >= DISTINCT_PER_WINDOW) return { ok: false, start: window.start };
    window.distinct++;
    return { ok: true, start: window.start };
  }

  function queue(key: string, make: () => AuditEventItem) {
    const same = pending.get(key);
    if (same) {
      same.count++;
      return;
    }
    if (!pending.size) oldest = now();
    if (pending.size >= MAX_PENDING) dropped++;
    else pending.set(key, { count: 1, item: make() });
  }

  return {
    /**
     * Queues the event; returns the batch write when this event made it due (await it before
     * answering: in Lambda the container may freeze after), else nothing. Never rejects.
     */
    record(event: RequestAuditEvent): Promise<void> | undefined {
      const classKey = [
        event.tenantId,
        event.configurationId,
        event.action,
        event.outcome,
        event.reasonCode ?? '',
      ].join('\u0000');
      const key = JSON.stringify([classKey, event.who ?? null, event.reason ?? null, event.sameAs ?? []]);
      const at = now();
      if (pending.has(key)) pending.get(key)!.count++;
      else {
        const window = withinWindow(classKey, at);
        if (window.ok)
          queue(key, () =>
            auditRecord(
              {
                scope: { tenantId: event.tenantId },
                action: event.action,
                targetType: 'AdeConfiguration',
                targetId: event.configurationId,
                outcome: event.outcome,
                reason: event.reason,
                details: event.details,
              },
              actorFor(event.who),
            ),
          );
        else
          queue(`aggregate\u0000${classKey}\u0000${window.start}`, () =>
            auditRecord(
              {
                scope: { tenantId: event.tenantId },
                action: event.action,
                targetType: 'AdeConfiguration',
                targetId: event.configurationId,
                outcome: event.outcome,
                reason: event.reasonCode
                  ? `${event.reasonCode}: more than ${DISTINCT_PER_WINDOW} different requests this minute, counted here`
                  : `more than ${DISTINCT_PER_WINDOW} different requests this minute, counted here`,
                details: { aggregated: true, window: new Date(window.start).toISOString() },
              },
              { kind: 'system', role: 'ADMIN', name: 'device:various' },
            ),
          );
      }
      if (!flushing && (pending.size >= REQUEST_AUDIT_BATCH || now() - oldest >= maxAgeMs)) return flush();
      return undefined;
    },
    /** Writes whatever is waiting (shutdown of the local runtime, tests). */
    flush,
    stats: () => ({ pending: pending.size, dropped }),
  };
}

export type RequestAuditBuffer = ReturnType<typeof requestAuditBuffer>;
