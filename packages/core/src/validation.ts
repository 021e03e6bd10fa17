/**
 * Input validation with zod, once, in the domain. Messages are written for the person reading the
 * error in a portal or a script log; problems carry the path of the field. We use zod's "mini"
 * build: the classic one bundles every locale (≈450 KB in each Lambda) for messages we write anyway.
 */
import * as z from 'zod/mini';
import { AppError } from './errors.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A display name: trimmed, 1–100 characters, no control characters. */
export const nameSchema = z.string({ error: 'must be text' }).check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(100, 'must be at most 100 characters'),
  z.refine((value) => !CONTROL.test(value), 'must not contain control characters'),
);

export const roleSchema = z.enum(['ADMIN', 'READ_ONLY'], { error: 'must be ADMIN or READ_ONLY' });

/** A version number from a previous read (for optimistic concurrency). */
export const versionSchema = z.optional(
  z.int({ error: 'must be a whole number' }).check(z.positive('must be at least 1')),
);

export function parseInput<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  path: string[] = [],
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw AppError.validation(
    result.error.issues.map((issue) => ({
      path: [...path, ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}
