/**
 * Audit events for service discovery: the hottest, unauthenticated route, which must cost at most one
 * read (none while cached), so its events are not written one by one but through the request audit
 * buffer (request-audit.ts): the same answer to the same person and model family counted as one
 * event, at most 50 different ones a minute per configuration and reason (the rest counted into one
 * aggregate), written 25 to a BatchWriteItem inside a request. The person is the `user-identifier` the
 * device sent, unverified at this step.
 */
import type { AdeService } from '../entities/service.ts';
import { type RequestAuditOptions, requestAuditBuffer } from '../request-audit.ts';

export { REQUEST_AUDIT_BATCH as DISCOVERY_AUDIT_BATCH } from '../request-audit.ts';

export interface DiscoveryAuditEvent {
  tenantId: string;
  configurationId: string;
  userIdentifier: string | null;
  modelFamily: string | null;
  outcome: 'SUCCESS' | 'FAILURE';
  /** The refusal's code (discovery/answer.ts RefusalReason). */
  reasonCode?: string;
  reason?: string;
  version?: string;
}

export function discoveryAuditBuffer(service: AdeService, options: RequestAuditOptions = {}) {
  const buffer = requestAuditBuffer(service, { name: 'discovery', ...options });
  return {
    ...buffer,
    record: (event: DiscoveryAuditEvent) =>
      buffer.record({
        tenantId: event.tenantId,
        configurationId: event.configurationId,
        action: 'enrollment.discovery',
        outcome: event.outcome,
        reasonCode: event.reasonCode,
        reason: event.reason,
        who: event.userIdentifier,
        details: { modelFamily: event.modelFamily, version: event.version },
        sameAs: [event.modelFamily],
      }),
  };
}
