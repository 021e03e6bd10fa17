/**
 * Input validation with zod, once, in the domain. Messages are written for the person reading the
 * error in a portal or a script log; problems carry the path of the field.
 */
import { z } from 'zod';
import { AppError } from './errors.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A display name: trimmed, 1–100 characters, no control characters. */
export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((value) => !CONTROL.test(value), 'must not contain control characters');

export const roleSchema = z.enum(['ADMIN', 'READ_ONLY']);

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, path: string[] = []): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw AppError.validation(
    result.error.issues.map((issue) => ({
      path: [...path, ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}
