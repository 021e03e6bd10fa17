/**
 * What an admin sees of the sign-in page's guessing limits (enrollment/sign-in-limits.ts), and how
 * they lift one: the counters of a configuration that are at their limit in the current window,
 * and clearing one of them, audited in the same transaction. Clearing removes the counter, so the
 * person (or address, or configuration) starts the window afresh.
 */
import { auditPut } from '../audit.ts';
import {
  counterKey,
  limitFor,
  normalizeSignInUser,
  normalizeSourceAddress,
  SIGN_IN_LIMITS,
  type SignInScope,
  windowAt,
  windowEnd,
} from '../enrollment/sign-in-limits.ts';
import type { AdeConfigurationItem, AdeService, SignInCounterItem } from '../entities/service.ts';
import { AppError } from '../errors.ts';
import type { CoreOptions } from '../options.ts';
import { authorizeInTenant } from '../tenancy.ts';
import { commit, failedAt } from '../transaction.ts';

export interface SignInLockout {
  scope: SignInScope;
  /** The Managed Apple Account or the address; null for the configuration as a whole. */
  subject: string | null;
  attempts: number;
  limit: number;
  /** Attempts refused since the limit was reached (and during backoff waits) in this window. */
  refusedAttempts: number;
  /** ISO 8601. */
  lastAttemptAt: string | null;
  /** ISO 8601: the end of the window. */
  lockedUntil: string;
}

export interface ClearSignInLockoutInput {
  scope: SignInScope;
  /** For USER the Managed Apple Account, for SOURCE_ADDRESS the address as listed; none for CONFIGURATION. */
  subject?: string | null;
}

export function signInLockoutOperations(
  service: AdeService,
  configurations: { get(configurationId: string): Promise<AdeConfigurationItem> },
  options: Pick<CoreOptions, 'now' | 'signInLimits'>,
) {
  const { signInCounter } = service.entities;
  const limits = () => options.signInLimits ?? SIGN_IN_LIMITS;

  /** The configuration's lock-outs now: counters of the current window at their limit. */
  async function list(configurationId: string): Promise<SignInLockout[]> {
    const config = await configurations.get(configurationId); // ade:read in the tenant
    const window = windowAt(limits(), options.now().getTime());
    // At most one counter per person or address counted this window: bounded by perConfiguration.
    const { data } = await signInCounter.query
      .byWindow({ tenantId: config.tenantId, configurationId, window })
      .go({ pages: 'all' });
    return data
      .filter((item) => (item.attempts ?? 0) >= limitFor(limits(), item.scope))
      .map((item) => describe(item, window));
  }

  function describe(item: SignInCounterItem, window: number): SignInLockout {
    return {
      scope: item.scope,
      subject: item.scope === 'CONFIGURATION' ? null : (item.subject ?? null),
      attempts: item.attempts ?? 0,
      limit: limitFor(limits(), item.scope),
      refusedAttempts: item.refused ?? 0,
      lastAttemptAt: item.lastAttemptAt ? new Date(item.lastAttemptAt).toISOString() : null,
      lockedUntil: new Date(windowEnd(limits(), window)).toISOString(),
    };
  }

  /** Lifts a lock-out (or a backoff wait) of the current window; NOT_FOUND when there is none. */
  async function clear(
    configurationId: string,
    input: ClearSignInLockoutInput,
  ): Promise<AdeConfigurationItem> {
    authorizeInTenant('ade:write');
    const config = await configurations.get(configurationId);
    const subject = subjectOf(input);
    const window = windowAt(limits(), options.now().getTime());
    const key = counterKey(config.tenantId, configurationId, window, input.scope, subject);
    const item = (await signInCounter.get(key).go()).data;
    const what = `Sign-in lock-out (${input.scope}${subject ? ` ${subject}` : ''})`;
    if (!item) throw AppError.notFound(what);
    await commit(
      service,
      (e) => [
        e.signInCounter
          .delete(key)
          .where((a, { exists }) => exists(a.attempts))
          .commit(),
        auditPut(e, {
          scope: { tenantId: config.tenantId },
          action: 'adeConfiguration.signInLockoutCleared',
          targetType: 'AdeConfiguration',
          targetId: configurationId,
          details: {
            scope: input.scope,
            subject: item.subject ?? null,
            attempts: item.attempts ?? 0,
            refused: item.refused ?? 0,
          },
        }),
      ],
      (codes) => (failedAt(codes, 0) ? AppError.notFound(what) : undefined),
    );
    return config;
  }

  return { list, clear };
}

/** The subject as counted: the same normalisation an attempt goes through. */
function subjectOf(input: ClearSignInLockoutInput): string {
  const subject = input.subject?.trim() ?? '';
  if (input.scope === 'CONFIGURATION') {
    if (subject)
      throw AppError.validation([{ path: ['subject'], message: 'must be left out for CONFIGURATION' }]);
    return '';
  }
  if (!subject || subject.length > 320)
    throw AppError.validation([{ path: ['subject'], message: 'is required (at most 320 characters)' }]);
  if (input.scope === 'USER') return normalizeSignInUser(subject);
  // As listed: an IPv4 address, or an IPv6 /64 written `prefix::/64`.
  const address = normalizeSourceAddress(subject.replace(/\/64$/, ''));
  if (address === 'unknown' && subject !== 'unknown')
    throw AppError.validation([{ path: ['subject'], message: 'is not an IP address' }]);
  return address;
}
