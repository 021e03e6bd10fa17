/**
 * Who is acting, and in which tenant. The request scope lives in AsyncLocalStorage so that no
 * operation can forget to pass it, and it fails closed: tenant-scoped operations read the tenant
 * from `useTenantId()`, which throws unless `inTenant` (see tenancy.ts) has authorized the actor
 * for that tenant first. There is no way to name a tenant in a key other than through it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from './errors.ts';

export type Role = 'ADMIN' | 'READ_ONLY';

export type Actor =
  | { kind: 'operator'; role: Role; keyId: string }
  | { kind: 'partner'; role: Role; keyId: string; partnerId: string }
  | { kind: 'tenant'; role: Role; keyId: string; partnerId: string; tenantId: string }
  /** Trusted code paths that run without an API key: the demo seed and operator scripts. */
  | { kind: 'system'; role: 'ADMIN'; name: string };

export type ActorKind = Actor['kind'];

interface Scope {
  actor: Actor;
  requestId: string;
  /** Set only by `inTenant` (tenancy.ts), after authorization, with the tenant's partner. */
  tenant?: { tenantId: string; partnerId: string };
  /** Per-request memo (e.g. tenant ownership checks); never shared across requests. */
  memo: Map<string, Promise<unknown>>;
}

const storage = new AsyncLocalStorage<Scope>();

export class TenantContextMissing extends Error {
  constructor() {
    super('A tenant-scoped operation ran outside enterTenant(): refusing (fail closed).');
    this.name = 'TenantContextMissing';
  }
}

export function runAs<T>(actor: Actor, fn: () => T, requestId = 'local'): T {
  return storage.run({ actor, requestId, memo: new Map() }, fn);
}

/** Runs `fn` inside an already authorized tenant. Only tenancy.ts calls this. */
export function runInAuthorizedTenant<T>(tenant: { tenantId: string; partnerId: string }, fn: () => T): T {
  const scope = storage.getStore();
  if (!scope) throw AppError.unauthenticated();
  return storage.run({ ...scope, tenant }, fn);
}

export function useActor(): Actor {
  const scope = storage.getStore();
  if (!scope) throw AppError.unauthenticated();
  return scope.actor;
}

export function useRequestId(): string {
  return storage.getStore()?.requestId ?? 'none';
}

/** The tenant this code runs in; throws (fails closed) outside an authorized tenant. */
export function useTenant(): { tenantId: string; partnerId: string } {
  const tenant = storage.getStore()?.tenant;
  if (!tenant) throw new TenantContextMissing();
  return tenant;
}

export function useTenantId(): string {
  return useTenant().tenantId;
}

/** Memoizes `load` under `key` for the rest of this request. */
export function memo<T>(key: string, load: () => Promise<T>): Promise<T> {
  const scope = storage.getStore();
  if (!scope) return load();
  let found = scope.memo.get(key) as Promise<T> | undefined;
  if (!found) {
    found = load();
    scope.memo.set(key, found);
  }
  return found;
}

/** Forgets every memoized read of this request: called after each committed write. */
export function forgetMemo(): void {
  storage.getStore()?.memo.clear();
}

/** A short, log-safe description of the actor, stored on audit events. */
export function describeActor(actor: Actor): { kind: ActorKind; id: string } {
  switch (actor.kind) {
    case 'system':
      return { kind: 'system', id: actor.name };
    default:
      return { kind: actor.kind, id: actor.keyId };
  }
}
