/**
 * Forward, keyset pagination. A cursor is the opaque (base64url) sort value of the last item seen;
 * the partition it applies to always comes from the caller's context, so a cursor taken from another
 * tenant or forged can never widen what a query reads.
 */
import { AppError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  cursorOf(item: T): string;
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1) {
    throw AppError.validation([{ path: ['first'], message: 'must be a whole number of at least 1' }]);
  }
  if (first > MAX_PAGE_SIZE) {
    throw new AppError(
      'limit',
      'PAGE_SIZE_TOO_LARGE',
      `first must be at most ${MAX_PAGE_SIZE} (got ${first}).`,
    );
  }
  return first;
}

export function encodeCursor(sortValue: string): string {
  return Buffer.from(sortValue, 'utf8').toString('base64url');
}

/** Decodes a cursor and checks it looks like a sort value of this listing. */
export function decodeCursor(
  cursor: string | null | undefined,
  valid: (value: string) => boolean,
): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!valid(value))
    throw new AppError('validation', 'INVALID_CURSOR', 'The cursor is not valid for this list.');
  return value;
}

/**
 * Runs one page: `fetch(after, limit + 1)` must return items in sort order strictly after `after`;
 * the extra item only tells whether there is a next page.
 */
export async function paginate<T>(
  args: PageArgs,
  sortValue: (item: T) => string,
  valid: (value: string) => boolean,
  fetch: (after: string | undefined, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const size = pageSize(args.first);
  const after = decodeCursor(args.after, valid);
  const fetched = await fetch(after, size + 1);
  const items = fetched.slice(0, size);
  const last = items.at(-1);
  return {
    items,
    hasNextPage: fetched.length > size,
    endCursor: last ? encodeCursor(sortValue(last)) : null,
    cursorOf: (item) => encodeCursor(sortValue(item)),
  };
}
