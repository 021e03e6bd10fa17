/**
 * Audit events for service discovery, written in batches. Discovery is the hottest, unauthenticated
 * route and must cost at most one read (none while cached), so its events are not written one by one:
 * they collect here — the same answer to the same person and model family counted as one event — and
 * go out as one BatchWriteItem when 25 distinct events are waiting (DynamoDB's batch size) or the
 * oldest has waited `maxAgeMs`: flushed inside a request, before it answers, so a Lambda never
 * freezes with a write in flight. The price, stated plainly: a container reclaimed while idle loses
 * the events it still holds (at most 24, all younger than its last request plus `maxAgeMs`).
 * Only answers for configurations that exist are recorded (an unknown id names no tenant we may
 * write into); the person is the `user-identifier` the device sent, unverified at this step.
 */
import { auditRecord } from '../audit.ts';
import type { Actor } from '../context.ts';
import type { AdeService, AuditEventItem } from '../entities/service.ts';
import { unavailableIn } from '../errors.ts';

export const DISCOVERY_AUDIT_BATCH = 25;
const MAX_PENDING = 1_000; // DynamoDB unreachable for long: keep the newest, count the rest

export interface DiscoveryAuditEvent {
  tenantId: string;
  configurationId: string;
  userIdentifier: string | null;
  modelFamily: string | null;
  outcome: 'SUCCESS' | 'FAILURE';
  reason?: string;
  version?: string;
}

export function discoveryAuditBuffer(
  service: AdeService,
  options: { maxAgeMs?: number; now?: () => number } = {},
) {
  const maxAgeMs = options.maxAgeMs ?? 5_000;
  const now = options.now ?? Date.now;
  // The same answer to the same person within a window is one event with a count: a device retrying,
  // or someone hammering the public URL, costs one write per window, not one per request.
  let pending = new Map<string, { item: AuditEventItem; count: number }>();
  let oldest = 0;
  let dropped = 0;
  let flushing: Promise<void> | null = null;

  function actorFor(userIdentifier: string | null): Actor {
    // The identifier is whatever the device (or anyone) sent; keep it short and printable.
    const who = userIdentifier && /^[\x21-\x7e]{1,254}$/.test(userIdentifier) ? userIdentifier : 'unknown';
    return { kind: 'system', role: 'ADMIN', name: `device:${who}` };
  }

  async function flush(): Promise<void> {
    if (flushing) return flushing;
    const batch = [...pending.values()].map(({ item, count }) =>
      count > 1 ? { ...item, details: { ...item.details, count } } : item,
    );
    pending = new Map();
    if (!batch.length) return;
    flushing = (async () => {
      try {
        const { unprocessed } = await service.entities.auditEvent.put(batch).go();
        if (unprocessed.length) {
          const left = new Set(unprocessed.map((key) => key.eventId));
          requeue(batch.filter((item) => left.has(item.eventId)));
        }
      } catch (error) {
        requeue(batch);
        // The database being away is not a bug here: the events wait for the next flush.
        const unavailable = unavailableIn(error);
        console.error(
          JSON.stringify(
            unavailable
              ? { level: 'WARN', message: 'discovery audit flush deferred', cause: unavailable.detail }
              : { level: 'ERROR', message: 'discovery audit flush failed', error: String(error) },
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
      if (pending.size >= MAX_PENDING) {
        dropped++;
        continue;
      }
      pending.set(item.eventId, { item, count: 1 });
    }
    oldest = pending.size ? now() : 0;
  }

  return {
    /**
     * Queues the event; returns the batch write when this event made it due (await it before
     * answering: in Lambda the container may freeze after), else nothing. Never rejects.
     */
    record(event: DiscoveryAuditEvent): Promise<void> | undefined {
      const key = [
        event.tenantId,
        event.configurationId,
        event.outcome,
        event.reason ?? '',
        event.userIdentifier ?? '',
        event.modelFamily ?? '',
      ].join('\u0000');
      const same = pending.get(key);
      if (same) same.count++;
      else {
        if (!pending.size) oldest = now();
        if (pending.size >= MAX_PENDING) dropped++;
        else
          pending.set(key, {
            count: 1,
            item: auditRecord(
              {
                scope: { tenantId: event.tenantId },
                action: 'enrollment.discovery',
                targetType: 'AdeConfiguration',
                targetId: event.configurationId,
                outcome: event.outcome,
                reason: event.reason,
                details: { modelFamily: event.modelFamily, version: event.version },
              },
              actorFor(event.userIdentifier),
            ),
          });
      }
      if (!flushing && (pending.size >= DISCOVERY_AUDIT_BATCH || now() - oldest >= maxAgeMs)) return flush();
      return undefined;
    },
    /** Writes whatever is waiting (shutdown of the local runtime, tests). */
    flush,
    stats: () => ({ pending: pending.size, dropped }),
  };
}
