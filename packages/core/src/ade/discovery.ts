/**
 * Service discovery for devices (and the customer's Worker or redirect): the discovery id names
 * the tenant and configuration, so an answer costs one GetItem — and none while cached. The cache
 * is keyed by the whole discovery id and holds only what discovery needs, so it is safe across
 * tenants; an entry lives 30 s, so a change (disable, new domain) reaches devices within a minute.
 */
import { type DiscoverableConfiguration, type DiscoveryQuery, discoveryAnswer } from '../discovery/answer.ts';
import type { AdeService } from '../entities/service.ts';
import type { CoreOptions } from '../options.ts';
import { discoveryAuditBuffer } from './discovery-audit.ts';
import { parseDiscoveryId, sameDiscoveryId } from './discovery-id.ts';

export const DISCOVERY_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

export function discoveryOperations(service: AdeService, options: CoreOptions) {
  type Found = DiscoverableConfiguration & { tenantId: string; configurationId: string };
  const cache = new Map<string, { config: Found | null; expires: number }>();
  const audit = discoveryAuditBuffer(service);

  async function load(discoveryId: string): Promise<Found | null> {
    const keys = parseDiscoveryId(discoveryId);
    if (!keys) return null; // not one of ours: no read at all
    const now = Date.now();
    const cached = cache.get(discoveryId);
    if (cached && cached.expires > now) return cached.config;
    const item = (await service.entities.adeConfiguration.get(keys).go()).data;
    const config =
      item && sameDiscoveryId(item.discoveryId, discoveryId)
        ? {
            discoveryId,
            tenantId: item.tenantId,
            configurationId: item.configurationId,
            enrollmentType: item.enrollmentType,
            enabled: item.enabled,
            domains: item.domains,
          }
        : null;
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!); // oldest first
    cache.set(discoveryId, { config, expires: now + DISCOVERY_CACHE_TTL_MS });
    return config;
  }

  return {
    /** Apple's discovery answer for this id and query (200 with one server, or 403 well-known.failed). */
    async answer(discoveryId: string, query: DiscoveryQuery) {
      const config = await load(discoveryId);
      const answer = discoveryAnswer(config, query, options.publicUrl);
      if (!config) return answer; // an id that names nothing of ours names no tenant to write into
      const writing = audit.record({
        tenantId: config.tenantId,
        configurationId: config.configurationId,
        userIdentifier: query.userIdentifier ?? null,
        modelFamily: query.modelFamily ?? null,
        ...(answer.status === 200
          ? { outcome: 'SUCCESS', version: answer.body.Servers[0].Version }
          : { outcome: 'FAILURE', reason: `${answer.reason}: ${answer.body.description}` }),
      });
      if (writing) await writing; // only the request that completes a batch waits for its write
      return answer;
    },
    /** Writes the discovery audit events still waiting for their batch. */
    flushAudit: () => audit.flush(),
    auditStats: () => audit.stats(),
    /** Forget cached answers (tests; a deployment simply waits for the TTL). */
    clearCache: () => cache.clear(),
  };
}
