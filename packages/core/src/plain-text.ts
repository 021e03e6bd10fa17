/**
 * Free text that people read — the names of partners, tenants, policies, API keys, ADE tokens and
 * payloads, and the branding of the sign-in page — follows one rule, checked where it is saved: it
 * is plain text. Refused, each with the code NOT_PLAIN_TEXT on its field:
 * - markup: `<` followed by a letter, `/`, `!` or `?` (how an HTML tag, comment or declaration
 *   starts); a `<` or `>` on its own, as in "kept < 30 days", is text;
 * - control characters: C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F), except that multi-line
 *   fields take line feeds (a CR LF pair is stored as LF) and tabs;
 * - bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they display
 *   text in another order than it is stored in, so a name could read as something it is not;
 * - the Unicode line and paragraph separators (U+2028, U+2029): a line feed is the one line break.
 * Refused rather than cleaned up, so the admin sees at once what would not be shown and what is
 * stored is what was typed. Rendering still escapes everything (functions/src/web/html.ts), which
 * also keeps the page safe for text saved before this rule.
 */

export type Lines = 'single' | 'multi';

const MARKUP = /<[A-Za-z/!?]/;
/** Embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_SINGLE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_MULTI = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]/;

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Line breaks as they are stored: CR LF (as pasted from Windows) becomes LF. */
export function normalizeLineBreaks(value: string): string {
  return value.replace(/\r\n/g, '\n');
}

/** Why `value` is not plain text (a message for the person who typed it), or undefined if it is. */
export function plainTextProblem(value: string, lines: Lines): string | undefined {
  const markup = MARKUP.exec(value);
  if (markup) return `must be plain text: "${markup[0]}" starts markup, which is not allowed`;
  const bidi = BIDI_CONTROLS.exec(value);
  if (bidi) {
    return `must be plain text: ${codePoint(bidi[0])} (a bidirectional control character) is not allowed`;
  }
  const control = (lines === 'single' ? CONTROL_SINGLE : CONTROL_MULTI).exec(value);
  if (!control) return undefined;
  const char = control[0];
  if (lines === 'single' && /[\n\r\u2028\u2029]/.test(char)) return 'must be a single line';
  if (char === '\u2028' || char === '\u2029') {
    return `must be plain text: ${codePoint(char)} (a Unicode line separator) is not allowed; use a line break`;
  }
  return `must be plain text: ${codePoint(char)} (a control character) is not allowed`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const NOT_SHOWN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text as a page shows it: without the control and bidirectional characters the rule refuses (tabs
 * and line feeds stay). For text saved before the rule, or by anything that did not go through it.
 */
export function withoutControls(value: string): string {
  return value.replace(NOT_SHOWN, '');
}
