/**
 * Escaping for HTML text and attribute values: everything user- or admin-supplied passes here.
 * Free text is refused at input when it is not plain text (core/plain-text.ts); this still escapes
 * markup and drops control and bidirectional characters, for text saved before that rule.
 */
import { withoutControls } from '@ade/core/plain-text';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return withoutControls(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Plain text with line breaks kept: paragraphs on blank lines, <br> inside. */
export function paragraphs(text: string): string {
  return withoutControls(text)
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}
