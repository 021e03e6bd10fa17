/**
 * API keys: created (secret shown once), listed, revoked, and used to authenticate requests.
 * Operator keys are made only by trusted scripts running as `system` (pnpm bootstrap:operator, the
 * demo seed), never through the API: an operator key cannot mint another, so a stolen one leaves no
 * copy behind once it is revoked. Every creation and revocation is audited in the owner's partition
 * (the tenant's, the partner's, or the operator's own), where the owner reads it.
 */
import * as z from 'zod/mini';
import {
  type ApiKeyDraft,
  decodeKeyId,
  draftApiKey,
  type KeyOwner,
  ownerPartition,
  parseToken,
  secretMatches,
} from './api-key-secret.ts';
import { type AuditScope, auditPut } from './audit.ts';
import { authorize } from './authz.ts';
import { type Actor, describeActor, type Role, useActor, useTenant } from './context.ts';
import type { AdeService, ApiKeyItem } from './entities/service.ts';
import { AppError } from './errors.ts';
import { isIdOf, parseId } from './ids.ts';
import { type PageArgs, paginate } from './pagination.ts';
import { authorizeInTenant, type Tenancy } from './tenancy.ts';
import { commit, failedAt, type TxEntities } from './transaction.ts';
import { nameSchema, parseInput, roleSchema } from './validation.ts';

/** lastUsedAt is refreshed at most this often, so authentication stays one read on hot keys. */
const LAST_USED_RESOLUTION_MS = 60_000;

const createSchema = z.object({ name: nameSchema, role: roleSchema });

function auditScope(item: ApiKeyItem): AuditScope {
  if (item.tenantId) return { tenantId: item.tenantId, partnerId: item.partnerId };
  if (item.partnerId) return { partnerId: item.partnerId };
  return { operator: true };
}

/** The transaction item that records a key's creation, in its owner's events. */
export function auditKeyCreation(entities: TxEntities, item: ApiKeyItem) {
  return auditPut(entities, {
    scope: auditScope(item),
    action: 'apiKey.create',
    targetType: 'ApiKey',
    targetId: item.keyId,
    details: { name: item.name, role: item.role },
  });
}

export function apiKeyOperations(service: AdeService, tenancy: Tenancy) {
  const { apiKey } = service.entities;

  /**
   * Resolves an owner id (`op`, `ptn_…`, `ten_…`) and runs `fn` for it; tenant owners run inside
   * that tenant (authorized by inTenant), so the key's partition always comes from the context.
   */
  function withOwner<T>(ownerIdValue: string, fn: (owner: KeyOwner) => Promise<T>): Promise<T> {
    if (ownerIdValue === 'op') return fn({ kind: 'operator' });
    if (ownerIdValue.startsWith('ptn_'))
      return fn({ kind: 'partner', partnerId: parseId('partner', ownerIdValue) });
    if (ownerIdValue.startsWith('ten_'))
      return tenancy.inTenant(ownerIdValue, () => fn({ kind: 'tenant', ...useTenant() }));
    throw new AppError(
      'validation',
      'INVALID_ID',
      'An API key owner is a partner (ptn_…) or tenant (ten_…) id.',
    );
  }

  /** Authorizes managing keys of `owner`. Tenant owners must be entered with inTenant first. */
  function authorizeOwner(owner: KeyOwner, action: 'apiKey:manage' | 'apiKey:read'): void {
    const actor = useActor();
    if (owner.kind === 'tenant') {
      const tenantId = authorizeInTenant(action);
      if (tenantId !== owner.tenantId) throw AppError.notFound(`Tenant ${owner.tenantId}`);
    } else if (owner.kind === 'partner') {
      authorize(actor, action, { kind: 'partner', partnerId: owner.partnerId });
    } else {
      authorize(actor, action === 'apiKey:manage' ? 'operator:manage' : 'operator:read', { kind: 'global' });
    }
  }

  async function create(owner: KeyOwner, input: { name: string; role: Role }): Promise<ApiKeyDraft> {
    if (owner.kind === 'operator' && useActor().kind !== 'system') {
      throw AppError.forbidden(
        'Operator keys are made only by the bootstrap script (pnpm bootstrap:operator), never through the API.',
      );
    }
    authorizeOwner(owner, 'apiKey:manage');
    const { name, role } = parseInput(createSchema, input);
    const draft = draftApiKey({ owner, name, role, createdBy: describeActor(useActor()).id });
    await commit(
      service,
      (e) => [
        ...(owner.kind === 'partner'
          ? [
              e.partner
                .check({ partnerId: owner.partnerId })
                .where((a, { exists }) => exists(a.partnerId))
                .commit(),
            ]
          : []),
        e.apiKey.create(draft.item).commit(),
        auditKeyCreation(e, draft.item),
      ],
      (codes) =>
        owner.kind === 'partner' && failedAt(codes, 0)
          ? AppError.notFound(`Partner ${owner.partnerId}`)
          : undefined,
    );
    return draft;
  }

  async function revoke(owner: KeyOwner, keyId: string): Promise<ApiKeyItem> {
    authorizeOwner(owner, 'apiKey:manage');
    const partition = ownerPartition(
      owner.kind === 'operator' ? 'op' : owner.kind === 'partner' ? owner.partnerId : owner.tenantId,
    );
    const existing = (await apiKey.get({ partition, keyId }).go()).data;
    if (!existing) throw AppError.notFound(`API key ${keyId}`);
    if (existing.revokedAt) return existing; // revoking twice is a no-op, not an error
    const revokedAt = new Date().toISOString();
    const revokedBy = describeActor(useActor()).id;
    await commit(service, (e) => [
      e.apiKey
        .patch({ partition, keyId })
        .set({ revokedAt, revokedBy })
        .where((a, { notExists }) => notExists(a.revokedAt))
        .commit(),
      auditPut(e, {
        scope: auditScope(existing),
        action: 'apiKey.revoke',
        targetType: 'ApiKey',
        targetId: keyId,
      }),
    ]);
    return { ...existing, revokedAt, revokedBy };
  }

  async function list(owner: KeyOwner, args: PageArgs) {
    authorizeOwner(owner, 'apiKey:read');
    const partition = ownerPartition(
      owner.kind === 'operator' ? 'op' : owner.kind === 'partner' ? owner.partnerId : owner.tenantId,
    );
    return paginate(
      args,
      (item: ApiKeyItem) => item.keyId,
      (value) => isIdOf('apiKey', value),
      async (after, limit) => {
        const query = apiKey.query.byOwner({ partition });
        const { data } = await (after ? query.gt({ keyId: after }) : query).go({ limit });
        return data;
      },
    );
  }

  /**
   * The actor behind a bearer token, or UNAUTHENTICATED (one message for unknown, revoked and wrong
   * secrets, so the answer tells an attacker nothing). One GetItem; a write at most once a minute.
   */
  async function authenticate(token: string): Promise<Actor> {
    const { partition, keyId, secretPart } = parseToken(token);
    const item = (await apiKey.get({ partition, keyId }).go()).data;
    if (!item || item.revokedAt || !secretMatches(item, secretPart)) {
      throw AppError.unauthenticated('The API key is unknown or revoked.');
    }
    const now = Date.now();
    if (!item.lastUsedAt || now - Date.parse(item.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
      await apiKey
        .patch({ partition, keyId })
        .set({ lastUsedAt: new Date(now).toISOString() })
        .go()
        .catch(() => {}); // bookkeeping must never fail a request
    }
    return actorOf(item);
  }

  return {
    create,
    revoke,
    list,
    authenticate,
    withOwner,
    /** Creates a key for the owner named by id (`ptn_…`, `ten_…`; `op` only for scripts). */
    createFor: (ownerIdValue: string, input: { name: string; role: Role }) =>
      withOwner(ownerIdValue, (owner) => create(owner, input)),
    /** Revokes the key named by its global id (`key_<owner>_<ULID>`). */
    revokeById: (globalKeyId: string) => {
      const { owner, keyId } = decodeKeyId(globalKeyId);
      return withOwner(owner, (resolved) => revoke(resolved, keyId));
    },
    listFor: (ownerIdValue: string, args: PageArgs) => withOwner(ownerIdValue, (owner) => list(owner, args)),
    /** One key by its global id, for those who may read that owner's keys. */
    getById: (globalKeyId: string) => {
      const { owner, keyId } = decodeKeyId(globalKeyId);
      return withOwner(owner, async (resolved) => {
        authorizeOwner(resolved, 'apiKey:read');
        const item = (await apiKey.get({ partition: ownerPartition(owner), keyId }).go()).data;
        if (!item) throw AppError.notFound(`API key ${globalKeyId}`);
        return item;
      });
    },
  };
}

function actorOf(item: ApiKeyItem): Actor {
  const role = item.role as Role;
  if (item.ownerKind === 'tenant') {
    return { kind: 'tenant', role, keyId: item.keyId, partnerId: item.partnerId!, tenantId: item.tenantId! };
  }
  if (item.ownerKind === 'partner')
    return { kind: 'partner', role, keyId: item.keyId, partnerId: item.partnerId! };
  return { kind: 'operator', role, keyId: item.keyId };
}

export type ApiKeyOperations = ReturnType<typeof apiKeyOperations>;
