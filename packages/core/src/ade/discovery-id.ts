/**
 * Discovery ids: the public name of an ADE configuration in the URL devices and ABM/ASM use,
 * `…/servicediscovery/{discoveryId}`. Apple treats the registered URL as public, so the id is no
 * secret; it is unguessable (128 random bits) so that configurations cannot be enumerated, and it
 * carries the tenant and configuration ULIDs so a device request is one GetItem in the tenant's
 * partition — no global index — followed by a constant-time comparison of the whole id.
 */
import { timingSafeEqual } from 'node:crypto';
import { isUlid, randomBase32 } from '../ids.ts';

const LENGTH = 26 + 26 + 26;

export function newDiscoveryId(tenantId: string, configurationId: string): string {
  return `${tenantId.slice(4)}${configurationId.slice(4)}${randomBase32(16)}`;
}

/** The keys a discovery id points at, or null when it cannot be one of ours. */
export function parseDiscoveryId(value: string): { tenantId: string; configurationId: string } | null {
  if (value.length !== LENGTH || !/^[0-9A-HJKMNP-TV-Z]+$/.test(value)) return null;
  const tenant = value.slice(0, 26);
  const configuration = value.slice(26, 52);
  if (!isUlid(tenant) || !isUlid(configuration)) return null;
  return { tenantId: `ten_${tenant}`, configurationId: `cfg_${configuration}` };
}

export function sameDiscoveryId(stored: string, presented: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
