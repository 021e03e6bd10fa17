/**
 * Every write that must keep an invariant goes through one DynamoDB transaction built here, with
 * the audit event inside it: either the change and its record land together, or neither does.
 */
import type { TransactionItemCode } from 'electrodb';
import { forgetMemo } from './context.ts';
import type { AdeService } from './entities/service.ts';
import { AppError } from './errors.ts';

type WriteBuilder = Parameters<AdeService['transaction']['write']>[0];
/** The entities as a transaction sees them: their operations end in `.commit()`. */
export type TxEntities = Parameters<WriteBuilder>[0];

/** DynamoDB allows 100 items per transaction; we keep a margin for the audit event and checks. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * Commits the items `build` returns. When DynamoDB cancels the transaction, `explain` receives the
 * per-item reason codes (same order as the items) and names the typed error to throw.
 */
export async function commit(
  service: AdeService,
  build: (entities: TxEntities) => unknown[],
  explain: (codes: TransactionItemCode[]) => Error | undefined = () => undefined,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const result = await service.transaction.write(build as unknown as WriteBuilder).go();
    // Whatever the outcome, reads memoized earlier in this request may now be stale.
    forgetMemo();
    if (!result.canceled) return;
    const codes = (result.data as { code: TransactionItemCode }[]).map((item) => item.code);
    if (codes.includes('TransactionConflict')) {
      // Another transaction was in flight on one of our items (e.g. two policy creates bumping the
      // tenant's policyCount). Conditions are evaluated again on retry, so retrying is safe.
      if (attempt < CONFLICT_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 20));
        continue;
      }
      throw AppError.conflict(
        'CONCURRENT_CHANGE',
        'Another change to the same items was saved at the same time; try again.',
      );
    }
    throw (
      explain(codes) ??
      AppError.conflict(
        'CONCURRENT_CHANGE',
        'The data changed while this change was being saved; read it again and retry.',
      )
    );
  }
}

/** Attempts of a transaction that DynamoDB cancels for a conflict with another one in flight. */
const CONFLICT_ATTEMPTS = 4;

/** True when the item at `index` failed its condition. */
export function failedAt(codes: TransactionItemCode[], index: number): boolean {
  return codes[index] === 'ConditionalCheckFailed';
}
