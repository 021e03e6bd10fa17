/**
 * Guessing limits of the sign-in page's passcode. Every attempt is counted before its passcode is
 * checked, atomically, against three counters of the current clock hour: the person (configuration
 * + Managed Apple Account), the configuration, and the source address. The three are one DynamoDB
 * transaction of conditional `ADD`s: if any is at its limit (or, for the person, inside the backoff
 * wait), none is counted and the passcode is not checked. Counters are keyed by person, not by
 * sign-in session, so a new session (one unauthenticated enroll POST) resets nothing, and parallel
 * posts are serialised by DynamoDB on the counter items rather than racing a read.
 *
 * Why not `rate-limiter-flexible` (the kept library for this; its `RateLimiterDynamo` store was
 * measured here, version 11.4.0, 2026-12, with `pnpm bench:coldstart`'s bundler and 25 cold imports):
 * - its store needs the AWS SDK's low-level `DynamoDB` client (`getItem`/`updateItem` with
 *   attribute values): the auth function goes from 326 KB / 69 ms to 615 KB / 121 ms, over the
 *   device budget (400 KB, 80 ms), and device bundles must not hold the SDK's DynamoDB clients
 *   (infra/bundle.test.ts). The store alone is small (+15 KB, +2 ms; the package index +75 KB)
 *   but does not speak our wire client (db/wire.ts, DocumentClient-shaped);
 * - its key layout is its own table, hash key `key`, TTL on a fractional `expire`: against the one
 *   table (`pk`/`sk`, TTL on `expiresAt`, the tenant leading every key) its first `consume` fails
 *   with DynamoDB Local's `ValidationException: The number of conditions on the keys is invalid`;
 *   making it fit would mean rewriting its requests underneath it;
 * - one key per `consume`: three counters counted together are three separate writes
 *   (`RateLimiterUnion`), not one atomic step; no backoff by attempt count; no listing for admins;
 *   the clock is `Date.now()`, so backoff and windows cannot be tested without waiting.
 * So the counters are written here, with ElectroDB on whichever client the function has:
 * conditional upserts in one transaction, the window in the key (a new hour is a new item: nothing
 * to reset, no read before the write), TTL on `expiresAt` to clear old windows.
 *
 * What a refusal or a lock-out writes is bounded: a refused attempt adds 1 to the refusing
 * counter's `refused` and writes an audit event only when that count reaches 1, 10, 100, … (one
 * item per counter and hour, a handful of events per million refusals); a lock-out (a counter
 * reaching its limit) is audited once, with a flag set in the same transaction.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { auditPut } from '../audit.ts';
import { runAs } from '../context.ts';
import type { AdeService, SignInCounterItem } from '../entities/service.ts';
import { commit } from '../transaction.ts';
import { sha256 } from './tokens.ts';

export type SignInScope = SignInCounterItem['scope'];

export interface SignInLimits {
  /** The counting window, a clock-aligned span (seconds): a counter holds one window's attempts. */
  windowSeconds: number;
  /**
   * Per person (configuration + Managed Apple Account): the wait before each attempt after the one
   * before it, in seconds; its length is the number of attempts per window.
   */
  userBackoffSeconds: readonly number[];
  /** Attempts per configuration per window, whoever makes them. */
  perConfiguration: number;
  /** Attempts per source address (IPv4 address, IPv6 /64) per configuration per window. */
  perSourceAddress: number;
}

/**
 * The limits in force. A person gets three tries at once, a fourth a minute after the third, a
 * fifth five minutes after the fourth, then is locked out until the hour ends (or an admin clears
 * it): a few typos cost at most a few minutes. An attacker gets at most 5 checks per person and 60
 * per configuration (whatever the number of persons tried) per clock hour, 30 per address. A
 * successful sign-in gives its attempt back (and clears the person's counter), so a busy enrollment
 * day does not use up the configuration's budget.
 */
export const SIGN_IN_LIMITS: SignInLimits = Object.freeze({
  windowSeconds: 3600,
  userBackoffSeconds: Object.freeze([0, 0, 0, 60, 300]),
  perConfiguration: 60,
  perSourceAddress: 30,
});

export function limitFor(limits: SignInLimits, scope: SignInScope): number {
  if (scope === 'USER') return limits.userBackoffSeconds.length;
  return scope === 'CONFIGURATION' ? limits.perConfiguration : limits.perSourceAddress;
}

/** The window a moment falls in (windows since the epoch). */
export function windowAt(limits: SignInLimits, ms: number): number {
  return Math.floor(ms / 1000 / limits.windowSeconds);
}

/** Epoch milliseconds at which `window` ends. */
export function windowEnd(limits: SignInLimits, window: number): number {
  return (window + 1) * limits.windowSeconds * 1000;
}

/** Shown to admins and written in audit events: never longer than an e-mail address may be. */
const MAX_SUBJECT_LENGTH = 320;

/** A Managed Apple Account as counted: case and compatibility forms folded, so `Bob@` is `bob@`. */
export function normalizeSignInUser(identifier: string): string {
  return identifier.normalize('NFKC').trim().toLowerCase();
}

/**
 * A source address as counted: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 (what one
 * subscriber is given, so changing the last 64 bits buys nothing), anything else `unknown`.
 */
export function normalizeSourceAddress(address: string | null | undefined): string {
  const value = (address ?? '').trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(value)) return value;
  if (!isIPv6(value)) return 'unknown';
  const [head = '', tail = ''] = value.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  if (right.some((part) => part.includes('.')) || left.some((part) => part.includes('.'))) {
    return 'unknown'; // embedded IPv4 forms other than ::ffff: are not sources we expect
  }
  const groups = value.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** The key of one counter. */
export function counterKey(
  tenantId: string,
  configurationId: string,
  window: number,
  scope: SignInScope,
  subject: string,
) {
  return { tenantId, configurationId, window, scope, subjectKey: sha256(`${scope}:${subject}`) };
}

export interface SignInAttempt {
  tenantId: string;
  configurationId: string;
  /** The Managed Apple Account typed, normalised (normalizeSignInUser). */
  user: string;
  /** Normalised (normalizeSourceAddress). */
  sourceAddress: string;
}

/** An attempt that was counted: what a failure or success is then reported against. */
export interface CountedAttempt {
  attempt: SignInAttempt;
  window: number;
}

/** Why an attempt was not counted (and so not checked), and when to try again. */
export interface SignInRefusal {
  scope: SignInScope;
  /** LOCKED: the counter is at its limit for this window; WAITING: the person's backoff; BUSY: contention. */
  reason: 'LOCKED' | 'WAITING' | 'BUSY';
  retryAfterSeconds: number;
}

/** Transactions DynamoDB cancels because another one was in flight on the same counters. */
const CONFLICT_ATTEMPTS = 4;

export function signInLimiter(
  service: AdeService,
  limits: SignInLimits | null,
  now: () => Date,
  actorFor: (user: string) => Parameters<typeof runAs>[0],
) {
  const { signInCounter } = service.entities;

  /** The three counters of an attempt, most specific first (a refusal names the first that refused). */
  function countersOf(attempt: SignInAttempt, window: number) {
    const of = (scope: SignInScope, subject: string, shown?: string) => ({
      scope,
      shown,
      key: counterKey(attempt.tenantId, attempt.configurationId, window, scope, subject),
    });
    return [
      of('USER', attempt.user, attempt.user.slice(0, MAX_SUBJECT_LENGTH)),
      of('SOURCE_ADDRESS', attempt.sourceAddress, attempt.sourceAddress),
      of('CONFIGURATION', ''),
    ];
  }

  /**
   * Counts the attempt, or refuses it. Counted means the caller may check the passcode once; a
   * refusal means it must not.
   */
  async function count(attempt: SignInAttempt): Promise<CountedAttempt | SignInRefusal> {
    const at = now().getTime();
    if (!limits) return { attempt, window: windowAt(SIGN_IN_LIMITS, at) };
    const active = limits;
    const window = windowAt(active, at);
    const counters = countersOf(attempt, window);
    const expiresAt = Math.floor(windowEnd(active, window) / 1000) + active.windowSeconds;
    for (let round = 1; ; round++) {
      const result = await service.transaction
        .write(({ signInCounter: counter }) =>
          counters.map(({ scope, shown, key }) =>
            counter
              .upsert({
                ...key,
                ...(shown === undefined ? {} : { subject: shown }),
                lastAttemptAt: at,
                expiresAt,
              })
              .add({ attempts: 1 })
              .where((a, op) =>
                scope === 'USER'
                  ? userCondition(a, op, active, at)
                  : `${op.notExists(a.attempts)} OR ${op.lt(a.attempts, limitFor(active, scope))}`,
              )
              .commit(),
          ),
        )
        .go();
      if (!result.canceled) return { attempt, window };
      const codes = (result.data as { code: string }[]).map((item) => item.code);
      const refusing = codes.indexOf('ConditionalCheckFailed');
      if (refusing >= 0) return refuse(counters[refusing]!.scope, counters[refusing]!.key, attempt, window);
      if (round >= CONFLICT_ATTEMPTS) return { scope: 'USER', reason: 'BUSY', retryAfterSeconds: 1 };
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** round + Math.random() * 20));
    }
  }

  /**
   * Records a refusal on the counter that refused (one item per counter and window, whatever the
   * number of refusals) and audits it at 1, 10, 100, … refusals.
   */
  async function refuse(
    scope: SignInScope,
    key: ReturnType<typeof counterKey>,
    attempt: SignInAttempt,
    window: number,
  ): Promise<SignInRefusal> {
    const active = limits ?? SIGN_IN_LIMITS;
    const at = now().getTime();
    const end = windowEnd(active, window);
    const item = await signInCounter
      .patch(key)
      .add({ refused: 1 })
      .go({ response: 'all_new' })
      .then((r) => r.data as Partial<SignInCounterItem>)
      .catch(() => null); // removed meanwhile (an admin cleared it): still refused this time
    const attempts = item?.attempts ?? limitFor(active, scope);
    const locked = attempts >= limitFor(active, scope);
    const waitUntil = locked
      ? end
      : Math.min(end, (item?.lastAttemptAt ?? at) + (active.userBackoffSeconds[attempts] ?? 0) * 1000);
    const refusal: SignInRefusal = {
      scope,
      reason: locked ? 'LOCKED' : 'WAITING',
      retryAfterSeconds: Math.max(1, Math.ceil((waitUntil - at) / 1000)),
    };
    const refused = item?.refused ?? 0;
    if (/^10*$/.test(String(refused))) {
      await audit(attempt, 'enrollment.signInRefused', {
        scope,
        subject: item?.subject ?? null,
        reason: refusal.reason,
        attempts,
        limit: limitFor(active, scope),
        refused,
        until: new Date(locked ? end : waitUntil).toISOString(),
      }).catch(() => {});
    }
    return refusal;
  }

  /**
   * After a wrong passcode: how many attempts the person has left in this window and how long the
   * next must wait; a counter this attempt brought to its limit is audited as a lock-out, once.
   */
  async function failed(counted: CountedAttempt): Promise<{ attemptsLeft: number; waitSeconds: number }> {
    if (!limits) return { attemptsLeft: 1, waitSeconds: 0 };
    const active = limits;
    const counters = countersOf(counted.attempt, counted.window);
    const items = (await signInCounter.get(counters.map((c) => c.key)).go()).data;
    const end = windowEnd(active, counted.window);
    for (const item of items) {
      if (item.lockedAt || (item.attempts ?? 0) < limitFor(active, item.scope)) continue;
      await runAs(
        actorFor(counted.attempt.user),
        () =>
          commit(service, (e) => [
            e.signInCounter
              .patch({
                tenantId: item.tenantId,
                configurationId: item.configurationId,
                window: item.window,
                scope: item.scope,
                subjectKey: item.subjectKey,
              })
              .set({ lockedAt: now().getTime() })
              .where((a, { notExists }) => notExists(a.lockedAt))
              .commit(),
            auditPut(e, {
              scope: { tenantId: counted.attempt.tenantId },
              action: 'enrollment.signInLocked',
              targetType: 'AdeConfiguration',
              targetId: counted.attempt.configurationId,
              outcome: 'FAILURE',
              reason: `${item.scope} limit of ${limitFor(active, item.scope)} attempts reached`,
              details: {
                scope: item.scope,
                subject: item.subject ?? null,
                attempts: item.attempts,
                limit: limitFor(active, item.scope),
                until: new Date(end).toISOString(),
              },
            }),
          ]).catch(() => {}), // another failed attempt audited it first
      );
    }
    const user = items.find((item) => item.scope === 'USER');
    const attempts = user?.attempts ?? 0;
    return {
      attemptsLeft: Math.max(0, limitFor(active, 'USER') - attempts),
      waitSeconds: active.userBackoffSeconds[attempts] ?? 0,
    };
  }

  /** After the right passcode: the person's counter is cleared, the others get the attempt back. */
  async function succeeded(counted: CountedAttempt): Promise<void> {
    if (!limits) return;
    const [user, ...shared] = countersOf(counted.attempt, counted.window);
    await Promise.all([
      signInCounter
        .delete(user!.key)
        .go()
        .catch(() => {}),
      ...shared.map(({ key }) =>
        signInCounter
          .patch(key)
          .add({ attempts: -1 })
          .where((a, { gt }) => gt(a.attempts, 0))
          .go()
          .catch(() => {}),
      ),
    ]);
  }

  async function audit(attempt: SignInAttempt, action: string, details: Record<string, unknown>) {
    await runAs(actorFor(attempt.user), () =>
      commit(service, (e) => [
        auditPut(e, {
          scope: { tenantId: attempt.tenantId },
          action,
          targetType: 'AdeConfiguration',
          targetId: attempt.configurationId,
          outcome: 'FAILURE',
          details,
        }),
      ]),
    );
  }

  return { count, failed, succeeded };
}

export type SignInLimiter = ReturnType<typeof signInLimiter>;

type WhereAttributes = Parameters<
  Parameters<ReturnType<AdeService['entities']['signInCounter']['upsert']>['where']>[0]
>;

/**
 * The person's counter: attempt k+1 is allowed when k attempts were counted and the wait before
 * attempt k+1 has passed since the last one. DynamoDB evaluates it on the item as it is when the
 * write lands, so concurrent attempts cannot both pass on the same count.
 */
function userCondition(
  a: WhereAttributes[0],
  op: WhereAttributes[1],
  limits: SignInLimits,
  at: number,
): string {
  const terms = limits.userBackoffSeconds.map((wait, counted) =>
    wait > 0
      ? `(${op.eq(a.attempts, counted)} AND ${op.lte(a.lastAttemptAt, at - wait * 1000)})`
      : op.eq(a.attempts, counted),
  );
  return [op.notExists(a.attempts), ...terms].join(' OR ');
}
