/**
 * API key tokens. A token names where its key lives and carries the secret:
 *
 *   ade_<owner>_<key ULID>_<secret>     owner = op | ptn_<ULID> | ten_<ULID>, secret = 43 base64url chars
 *
 * so authentication is one GetItem in the owner's partition (tenant keys live under the tenant)
 * followed by a constant-time comparison of SHA-256 hashes. The secret itself is never stored.
 * The `ade_` prefix lets secret scanners recognise leaked keys.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './context.ts';
import { partitions } from './entities/common.ts';
import type { ApiKeyItem } from './entities/service.ts';
import { AppError } from './errors.ts';
import { isUlid, newId } from './ids.ts';

export type KeyOwner =
  | { kind: 'operator' }
  | { kind: 'partner'; partnerId: string }
  | { kind: 'tenant'; tenantId: string; partnerId: string };

export interface ApiKeyDraft {
  item: ApiKeyItem;
  /** The token, shown once. */
  secret: string;
}

const TOKEN =
  /^ade_(op|ptn_[0-9A-HJKMNP-TV-Z]{26}|ten_[0-9A-HJKMNP-TV-Z]{26})_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

export function ownerId(owner: KeyOwner): string {
  if (owner.kind === 'operator') return 'op';
  return owner.kind === 'partner' ? owner.partnerId : owner.tenantId;
}

export function ownerPartition(ownerIdValue: string): string {
  if (ownerIdValue === 'op') return partitions.operator;
  return ownerIdValue.startsWith('ten_') ? partitions.tenant(ownerIdValue) : partitions.partner(ownerIdValue);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function draftApiKey(input: {
  owner: KeyOwner;
  name: string;
  role: Role;
  createdBy: string;
}): ApiKeyDraft {
  const keyId = newId('apiKey');
  const owner = ownerId(input.owner);
  const secretPart = randomBytes(32).toString('base64url');
  const secret = `ade_${owner}_${keyId.slice(4)}_${secretPart}`;
  return {
    secret,
    item: {
      partition: ownerPartition(owner),
      keyId,
      ownerKind: input.owner.kind,
      partnerId: input.owner.kind === 'operator' ? undefined : input.owner.partnerId,
      tenantId: input.owner.kind === 'tenant' ? input.owner.tenantId : undefined,
      name: input.name,
      role: input.role,
      secretHash: hashSecret(secretPart),
      hint: secretPart.slice(-4),
      createdBy: input.createdBy,
      createdAt: new Date().toISOString(),
    },
  };
}

/** Splits a token into where its key lives and its secret; UNAUTHENTICATED for anything else. */
export function parseToken(token: string): { partition: string; keyId: string; secretPart: string } {
  const match = TOKEN.exec(token);
  if (!match) throw AppError.unauthenticated('The API key is malformed.');
  const [, owner, keyUlid, secretPart] = match as unknown as [string, string, string, string];
  return { partition: ownerPartition(owner), keyId: `key_${keyUlid}`, secretPart };
}

export function secretMatches(item: ApiKeyItem, secretPart: string): boolean {
  const expected = Buffer.from(item.secretHash);
  const actual = Buffer.from(hashSecret(secretPart));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Global id of a key: `key_<owner>_<ULID>`, e.g. `key_ten_01J…_01J…`. */
export function encodeKeyId(
  item: Pick<ApiKeyItem, 'keyId' | 'ownerKind' | 'partnerId' | 'tenantId'>,
): string {
  const owner =
    item.ownerKind === 'operator' ? 'op' : item.ownerKind === 'partner' ? item.partnerId : item.tenantId;
  return `key_${owner}_${item.keyId.slice(4)}`;
}

export function decodeKeyId(globalId: string): { owner: string; keyId: string } {
  const match = /^key_(op|ptn_[0-9A-Z]{26}|ten_[0-9A-Z]{26})_([0-9A-Z]{26})$/.exec(globalId);
  if (!match || !isUlid(match[2]!)) {
    throw new AppError('validation', 'INVALID_ID', 'This is not an API key id (key_…).');
  }
  return { owner: match[1]!, keyId: `key_${match[2]}` };
}
