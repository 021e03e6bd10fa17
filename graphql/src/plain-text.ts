/**
 * How free-text input fields describe the one plain-text rule (packages/core/src/plain-text.ts), so
 * every field says the same thing in the schema.
 */
const REFUSED =
  'Markup (a "<" followed by a letter, "/", "!" or "?"), control characters and bidirectional ' +
  'overrides (U+202A–U+202E, U+2066–U+2069) are refused with NOT_PLAIN_TEXT.';

/** A name: one line, 1–100 characters. */
export function nameText(what = 'A name'): string {
  return `${what}: plain text, one line, 1–100 characters (trimmed). ${REFUSED}`;
}

/** One line of at most `max` characters. */
export function lineText(max: number, what = 'Plain text'): string {
  return `${what}, one line, at most ${max} characters (trimmed). ${REFUSED}`;
}

/** Several lines (line feeds; CR LF is stored as LF) of at most `max` characters. */
export function linesText(max: number, what = 'Plain text'): string {
  return `${what}, at most ${max} characters; line breaks allowed (a blank line starts a paragraph). ${REFUSED}`;
}
