/**
 * Input validation with zod, once, in the domain. Messages are written for the person reading the
 * error in a portal or a script log; problems carry the path of the field. We use zod's "mini"
 * build: the classic one bundles every locale (≈450 KB in each Lambda) for messages we write anyway.
 */
import * as z from 'zod/mini';
import { AppError, ERROR_CODES, type ErrorCode } from './errors.ts';
import { type Lines, normalizeLineBreaks, plainTextProblem } from './plain-text.ts';

/** The plain-text rule (plain-text.ts) as a check; a refusal carries the code NOT_PLAIN_TEXT. */
export function plainText(lines: Lines) {
  return z.superRefine((value: string, ctx) => {
    const problem = plainTextProblem(value, lines);
    // `continue: false`: the field's length and format checks after this one would only add noise.
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, params: { code: 'NOT_PLAIN_TEXT' }, continue: false });
    }
  });
}

/** Multi-line plain text (welcome text, notices): trimmed, CR LF stored as LF, at most `max` characters. */
export function multiLineText(max: number) {
  return z
    .string({ error: 'must be text' })
    .check(
      z.trim(),
      z.overwrite(normalizeLineBreaks),
      plainText('multi'),
      z.maxLength(max, `must be at most ${max} characters`),
    );
}

/** One line of plain text: trimmed, at most `max` characters. */
export function singleLineText(max: number) {
  return z
    .string({ error: 'must be text' })
    .check(z.trim(), plainText('single'), z.maxLength(max, `must be at most ${max} characters`));
}

/** A name (partner, tenant, policy, key, token, payload): one line of plain text, 1–100 characters. */
export const nameSchema = z
  .string({ error: 'must be text' })
  .check(
    z.trim(),
    plainText('single'),
    z.minLength(1, 'must not be empty'),
    z.maxLength(100, 'must be at most 100 characters'),
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
      ...issueCode(issue),
    })),
  );
}

/** The stable code a check attached to its issue (e.g. NOT_PLAIN_TEXT), if it is one of ours. */
function issueCode(issue: z.core.$ZodIssue): { code?: ErrorCode } {
  const code = issue.code === 'custom' ? issue.params?.code : undefined;
  return (ERROR_CODES as readonly unknown[]).includes(code) ? { code: code as ErrorCode } : {};
}
