import type { AuditEventItem } from '@ade/core';
import { connectionType } from '../connection.ts';
import { AuditEventRef } from '../refs.ts';

AuditEventRef.implement({
  description: 'Something that happened: who did what to which object, and how it ended.',
  fields: (t) => ({
    id: t.exposeID('eventId'),
    action: t.exposeString('action', { description: 'e.g. policy.move, apiKey.revoke' }),
    actorKind: t.exposeString('actorKind'),
    actorId: t.exposeString('actorId', { description: 'The API key id (or system actor) that acted.' }),
    targetType: t.exposeString('targetType'),
    targetId: t.exposeString('targetId'),
    outcome: t.exposeString('outcome'),
    reason: t.exposeString('reason', { nullable: true }),
    details: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.details ?? null }),
    requestId: t.exposeString('requestId', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

export const AuditEventConnection = connectionType<AuditEventItem>('AuditEvent', AuditEventRef);
