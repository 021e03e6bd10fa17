/**
 * Service discovery for devices (and the customer's Worker or redirect): the discovery id names
 * the tenant and configuration, so an answer costs one GetItem — and none while cached. The cache
 * is keyed by the whole discovery id and holds only what discovery needs, so it is safe across
 * tenants. How long a read is trusted depends on what it leads to:
 * - a server (200) for 30 s: a change that turns answers into refusals (disable, a domain removed)
 *   reaches devices within 30 s;
 * - a refusal (403) for 5 s: a change that turns refusals into answers (enable, a domain added)
 *   reaches devices within 5 s. An admin who has just enabled a configuration tries a device at
 *   once; a refusal still held for half a minute would look like a broken setup. Re-reading costs
 *   at most one GetItem per discovery id every 5 s per Lambda container while devices are refused.
 * Each Lambda container holds its own cache, so the delays are per container; the GraphQL function
 * cannot clear the discovery function's cache (another process), hence the short refusal time.
 */
import { type DiscoverableConfiguration, type DiscoveryQuery, discoveryAnswer } from '../discovery/answer.ts';
import type { AdeService } from '../entities/service.ts';
import { INPUT_LIMITS } from '../input-limits.ts';
import type { CoreOptions } from '../options.ts';
import { discoveryAuditBuffer } from './discovery-audit.ts';
import { parseDiscoveryId, sameDiscoveryId } from './discovery-id.ts';

/** How long a cached configuration answers devices with a server. */
export const DISCOVERY_CACHE_TTL_MS = 30_000;
/** How long a cached configuration (or its absence) refuses devices before it is read again. */
export const DISCOVERY_REFUSAL_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

const bounded = (value: string | null | undefined, limit: number) =>
  value != null && value.length <= limit ? value : null;

export function discoveryOperations(service: AdeService, options: CoreOptions) {
  type Found = DiscoverableConfiguration & { tenantId: string; configurationId: string };
  const cache = new Map<string, { config: Found | null; readAt: number }>();
  const audit = discoveryAuditBuffer(service);

  async function read(discoveryId: string, keys: { tenantId: string; configurationId: string }) {
    const item = (await service.entities.adeConfiguration.get(keys).go()).data;
    const config: Found | null =
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
    cache.delete(discoveryId); // re-inserted last: the map's order is the order of reads
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!); // oldest first
    cache.set(discoveryId, { config, readAt: options.now().getTime() });
    return config;
  }

  /** The configuration and the answer to `query`: from the cache while its answer is still trusted. */
  async function answerFor(discoveryId: string, query: DiscoveryQuery) {
    const keys = parseDiscoveryId(discoveryId);
    if (!keys) return { config: null, answer: discoveryAnswer(null, query, options.publicUrl) }; // no read
    const cached = cache.get(discoveryId);
    if (cached) {
      const age = options.now().getTime() - cached.readAt;
      const answer = discoveryAnswer(cached.config, query, options.publicUrl);
      const trustedFor = answer.status === 200 ? DISCOVERY_CACHE_TTL_MS : DISCOVERY_REFUSAL_TTL_MS;
      if (age >= 0 && age < trustedFor) return { config: cached.config, answer };
    }
    const config = await read(discoveryId, keys);
    return { config, answer: discoveryAnswer(config, query, options.publicUrl) };
  }

  return {
    /** Apple's discovery answer for this id and query (200 with one server, or 403 well-known.failed). */
    async answer(discoveryId: string, query: DiscoveryQuery) {
      const { config, answer } = await answerFor(discoveryId, query);
      if (!config) return answer; // an id that names nothing of ours names no tenant to write into
      const writing = audit.record({
        tenantId: config.tenantId,
        configurationId: config.configurationId,
        // Only what fits its limit is kept: a refusal for length records no part of the value.
        userIdentifier: bounded(query.userIdentifier, INPUT_LIMITS.userIdentifier),
        modelFamily: bounded(query.modelFamily, INPUT_LIMITS.modelFamily),
        ...(answer.status === 200
          ? { outcome: 'SUCCESS', version: answer.body.Servers[0].Version }
          : {
              outcome: 'FAILURE',
              reasonCode: answer.reason,
              reason: `${answer.reason}: ${answer.body.description}`,
            }),
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
