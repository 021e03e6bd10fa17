/**
 * Audit events: what changed, who changed it, with what outcome. Changes are recorded inside their
 * own transaction (see transaction.ts), so a change and its record land together or not at all.
 * Refusals are not written into the target's log — a stranger probing ids must not be able to write
 * into another tenant's data; they are answered, and logged by the edge.
 */

import { authorize } from './authz.ts';
import { type Actor, describeActor, useActor, useRequestId } from './context.ts';
import { AUDIT_RETENTION_SECONDS } from './entities/audit-event.ts';
import { partitions } from './entities/common.ts';
import type { AdeService, AuditEventItem } from './entities/service.ts';
import { isIdOf, newId, parseId } from './ids.ts';
import { type PageArgs, paginate } from './pagination.ts';
import { authorizeInTenant } from './tenancy.ts';
import type { TxEntities } from './transaction.ts';

/**
 * Where an event is kept and who reads it: a tenant's events, a partner's own (its creation, its
 * keys), or the operator's own (operator keys made by scripts and revoked; partition OPERATOR).
 */
export type AuditScope =
  | { tenantId: string; partnerId?: string; operator?: undefined }
  | { partnerId: string; tenantId?: undefined; operator?: undefined }
  | { operator: true; tenantId?: undefined; partnerId?: undefined };

/** Enrollment steps are recorded with the person (`device:<Managed Apple Account>`) as actor. */
export interface AuditFilter {
  managedAppleId?: string | null;
  action?: string | null;
}

export interface AuditInput {
  scope: AuditScope;
  action: string;
  targetType: string;
  targetId: string;
  outcome?: 'SUCCESS' | 'FAILURE';
  reason?: string;
  details?: Record<string, unknown>;
}

/**
 * Audit events are kept ~400 days and listed a hundred to a page, so none may be large whatever a
 * request carried: `details` above this size (as JSON) are replaced by a marked preview, and the
 * reason and actor are cut with a visible marker. A hundred events at the cap are ~0.8 MB, well
 * inside what one Lambda response can return (6 MB).
 */
export const MAX_AUDIT_DETAILS_BYTES = 4_096;
export const MAX_AUDIT_TEXT = 512;
const TRUNCATED = '…[truncated]';

/** `details` as stored: unchanged when small; otherwise `{ truncated: true, bytes, preview }`. */
export function boundedDetails(
  details: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (details === undefined) return undefined;
  const json = JSON.stringify(details);
  const bytes = Buffer.byteLength(json);
  if (bytes <= MAX_AUDIT_DETAILS_BYTES) return details;
  return { truncated: true, bytes, preview: `${json.slice(0, MAX_AUDIT_DETAILS_BYTES / 2)}${TRUNCATED}` };
}

/** A reason or actor id cut to MAX_AUDIT_TEXT characters, the cut marked. */
export function boundedText<T extends string | undefined>(text: T): T {
  if (text === undefined || text.length <= MAX_AUDIT_TEXT) return text;
  return `${text.slice(0, MAX_AUDIT_TEXT - TRUNCATED.length)}${TRUNCATED}` as T;
}

export function auditRecord(input: AuditInput, actor: Actor = useActor()): AuditEventItem {
  const described = describeActor(actor);
  const kind = described.kind;
  const id = boundedText(described.id);
  const now = new Date();
  const { scope } = input;
  const partition = scope.tenantId
    ? partitions.tenant(scope.tenantId)
    : scope.partnerId
      ? partitions.partner(scope.partnerId)
      : partitions.operator;
  return {
    partition,
    eventId: newId('auditEvent'),
    tenantId: input.scope.tenantId,
    partnerId: input.scope.partnerId,
    action: input.action,
    actorKind: kind,
    actorId: id,
    targetType: input.targetType,
    targetId: input.targetId,
    outcome: input.outcome ?? 'SUCCESS',
    reason: boundedText(input.reason),
    details: boundedDetails(input.details),
    requestId: useRequestId(),
    at: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + AUDIT_RETENTION_SECONDS,
  };
}

/** The transaction item that writes `input` as an audit event. */
export function auditPut(entities: TxEntities, input: AuditInput) {
  return entities.auditEvent.put(auditRecord(input)).commit();
}

export function auditOperations(service: AdeService) {
  const { auditEvent } = service.entities;
  return {
    /** The current tenant's events, newest first (inside inTenant). */
    listForTenant(args: PageArgs, filter: AuditFilter = {}) {
      const tenantId = authorizeInTenant('audit:read');
      return listPartition(partitions.tenant(tenantId), args, filter);
    },

    /** A partner's own events (partner creation, partner keys), newest first. */
    listForPartner(partnerId: string, args: PageArgs) {
      parseId('partner', partnerId);
      authorize(useActor(), 'audit:read', { kind: 'partner', partnerId });
      return listPartition(partitions.partner(partnerId), args);
    },

    /** The operator's own events (operator keys created by scripts, revoked), newest first. */
    listForOperator(args: PageArgs) {
      authorize(useActor(), 'operator:read', { kind: 'global' });
      return listPartition(partitions.operator, args);
    },
  };

  function listPartition(partition: string, args: PageArgs, filter: AuditFilter = {}) {
    return paginate(
      args,
      (item: AuditEventItem) => item.eventId,
      (value) => isIdOf('auditEvent', value),
      async (after, limit) => {
        const query = auditEvent.query.byScope({ partition });
        const ranged = after ? query.lt({ eventId: after }) : query;
        if (!filter.managedAppleId && !filter.action) return (await ranged.go({ order: 'desc', limit })).data;
        const filtered = ranged.where((a, { eq }) =>
          [
            filter.managedAppleId ? eq(a.actorId, `device:${filter.managedAppleId}`) : '',
            filter.action ? eq(a.action, filter.action) : '',
          ]
            .filter(Boolean)
            .join(' AND '),
        );
        // Filters apply after DynamoDB's Limit: read on until the page is full.
        return (await filtered.go({ order: 'desc', count: limit, pages: 'all' })).data;
      },
    );
  }
}

export type AuditOperations = ReturnType<typeof auditOperations>;
