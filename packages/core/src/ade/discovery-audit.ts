/**
 * Audit events for service discovery, written in batches. Discovery is the hottest, unauthenticated
 * route and must cost at most one read (none while cached), so its events are not written one by one:
 * they collect here and go out as one BatchWriteItem when 25 are waiting (DynamoDB's batch size) or
 * the oldest has waited `maxAgeMs` — flushed inside a request, before it answers, so a Lambda never
 * freezes with a write in flight. The price, stated plainly: a container reclaimed while idle loses
 * the events it still holds (at most 24, all younger than its last request plus `maxAgeMs`).
 * Only answers for configurations that exist are recorded (an unknown id names no tenant we may
 * write into); the person is the `user-identifier` the device sent, unverified at this step.
 */
import { auditRecord } from '../audit.ts';
import type { Actor } from '../context.ts';
import type { AdeService, AuditEventItem } from '../entities/service.ts';

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
  let pending: AuditEventItem[] = [];
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
    const batch = pending;
    pending = [];
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
        console.error(
          JSON.stringify({ level: 'ERROR', message: 'discovery audit flush failed', error: String(error) }),
        );
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  }

  function requeue(items: AuditEventItem[]) {
    pending = [...items, ...pending];
    if (pending.length > MAX_PENDING) {
      dropped += pending.length - MAX_PENDING;
      pending = pending.slice(-MAX_PENDING);
    }
    oldest = pending.length ? now() : 0;
  }

  return {
    /** Queues the event and writes the batch if it is due; never throws (discovery must answer). */
    async record(event: DiscoveryAuditEvent): Promise<void> {
      if (!pending.length) oldest = now();
      pending.push(
        auditRecord(
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
      );
      if (pending.length >= DISCOVERY_AUDIT_BATCH || now() - oldest >= maxAgeMs) await flush();
    },
    /** Writes whatever is waiting (shutdown of the local runtime, tests). */
    flush,
    stats: () => ({ pending: pending.length, dropped }),
  };
}
