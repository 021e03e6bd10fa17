/**
 * Identifiers. Every entity id is a type prefix and a ULID (`pol_01JDX…`): sortable by creation,
 * unguessable enough for ids (80 random bits), readable in logs. Apple's identifiers (UDID,
 * EnrollmentID) are stored verbatim elsewhere and never pass through here.
 *
 * Global ids (what the API exposes) of tenant-scoped entities also carry the tenant, so that any
 * id a script holds can be resolved — and authorized — without a lookup table that would not lead
 * with the tenant id: `pol_<tenant ULID>_<policy ULID>`.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from './errors.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const prefixes = {
  partner: 'ptn',
  tenant: 'ten',
  policy: 'pol',
  apiKey: 'key',
  auditEvent: 'aud',
  adeConfiguration: 'cfg',
  adeToken: 'tok',
  device: 'dev',
  payload: 'pld',
  rollout: 'rol',
} as const;
export type EntityKind = keyof typeof prefixes;
export type Prefix = (typeof prefixes)[EntityKind];

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/** A ULID; monotonic within one millisecond of one process, so ids made in a burst still sort. */
export function ulid(now = Date.now()): string {
  let random: Uint8Array;
  if (now === lastTime) {
    random = increment(lastRandom);
  } else {
    random = randomBytes(10);
    lastTime = now;
  }
  lastRandom = random;
  return encodeTime(now) + encodeRandom(random);
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return randomBytes(10); // 2^80 ids in one millisecond: start afresh
}

function encodeTime(time: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/** `bytes` random bytes in Crockford base32 (for unguessable tokens that must stay URL-safe). */
export function randomBase32(bytes: number): string {
  let bits = 0n;
  for (const byte of randomBytes(bytes)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < Math.ceil((bytes * 8) / 5); i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

export function newId<K extends EntityKind>(kind: K): `${(typeof prefixes)[K]}_${string}` {
  return `${prefixes[kind]}_${ulid()}`;
}

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value);
}

/** Whether `value` has the shape of an id of `kind` (`pol_` and a ULID): checked before any read. */
export function isIdOf(kind: EntityKind, value: string): boolean {
  const prefix = `${prefixes[kind]}_`;
  return value.startsWith(prefix) && isUlid(value.slice(prefix.length));
}

/** Checks that `value` is an id of `kind` and returns it; a typed INVALID_ID error otherwise. */
export function parseId(kind: EntityKind, value: string): string {
  if (!isIdOf(kind, value)) {
    const prefix = `${prefixes[kind]}_`;
    throw new AppError('validation', 'INVALID_ID', `"${truncate(value)}" is not a ${kind} id (${prefix}…).`);
  }
  return value;
}

/** `pol_<tenant ULID>_<policy ULID>` from `ten_…` and `pol_…`. */
export function encodeScopedId(tenantId: string, id: string): string {
  const [prefix, local] = id.split('_');
  return `${prefix}_${tenantId.slice(4)}_${local}`;
}

/** The inverse of `encodeScopedId`, checking the prefix: `{ tenantId: 'ten_…', id: 'pol_…' }`. */
export function decodeScopedId(kind: EntityKind, globalId: string): { tenantId: string; id: string } {
  const prefix = prefixes[kind];
  const parts = globalId.split('_');
  if (parts.length !== 3 || parts[0] !== prefix || !isUlid(parts[1]!) || !isUlid(parts[2]!)) {
    throw new AppError(
      'validation',
      'INVALID_ID',
      `"${truncate(globalId)}" is not a ${kind} id (${prefix}_…).`,
    );
  }
  return { tenantId: `ten_${parts[1]}`, id: `${prefix}_${parts[2]}` };
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}…` : value;
}
