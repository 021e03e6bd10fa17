/**
 * The web-authentication page, mobile first: it runs inside ASWebAuthenticationSession on a phone.
 * No JavaScript (a form posts back), no external resources (the logo comes from our own route),
 * everything escaped, labels on every field, the accent colour only from a validated #RRGGBB.
 */
import { DEFAULT_ACCENT, effectivePrivacyNotice } from '@ade/core/ade/privacy-defaults';
import type { PageState } from '@ade/core/enrollment/web-auth';
import { escapeHtml, paragraphs } from './html.ts';

export interface PageOptions {
  /** Says what went wrong, how many attempts are left and how long to wait (web-auth.ts). */
  error?: string;
}

/** The page's own paths (the form posts back to itself; the logo is served beside it). */
export type AuthPageModel = PageState & { formPath: string; logoPath: string };

export function renderAuthPage(state: AuthPageModel, options: PageOptions = {}): string {
  const { config, branding } = state;
  const name = branding?.displayName ?? state.tenantName;
  const accent = /^#[0-9A-Fa-f]{6}$/.test(branding?.accentColor ?? '')
    ? branding!.accentColor!
    : DEFAULT_ACCENT;
  const kind = config.enrollmentType === 'USER' ? 'your personal device' : 'this device';
  const support = [
    branding?.supportEmail &&
      `<a href="mailto:${escapeHtml(branding.supportEmail)}">${escapeHtml(branding.supportEmail)}</a>`,
    branding?.supportPhone &&
      `<a href="tel:${escapeHtml(branding.supportPhone.replace(/[^+0-9]/g, ''))}">${escapeHtml(branding.supportPhone)}</a>`,
    branding?.supportUrl &&
      `<a href="${escapeHtml(branding.supportUrl)}">${escapeHtml(branding.supportUrl)}</a>`,
  ].filter(Boolean);
  const passcode =
    config.authMethod === 'PASSCODE'
      ? `<label for="passcode">Enrollment passcode</label>
      <input id="passcode" name="passcode" type="password" autocomplete="one-time-code" required minlength="6" maxlength="64"${options.error ? ' aria-invalid="true" aria-describedby="error"' : ''}>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(name)} — enroll ${escapeHtml(kind)}</title>
<style>
  :root { --accent: ${accent}; color-scheme: light dark; }
  body { font: 17px/1.45 -apple-system, system-ui, sans-serif; margin: 0; padding: 24px 20px 40px; max-width: 34rem; margin-inline: auto; }
  header { display: flex; align-items: center; gap: 12px; margin-bottom: 8px; }
  header img { max-height: 48px; max-width: 160px; }
  h1 { font-size: 1.35rem; margin: 0; }
  .notice { background: color-mix(in srgb, var(--accent) 8%, transparent); border-radius: 12px; padding: 4px 16px; margin: 16px 0; }
  .notice h2 { font-size: 1.05rem; margin: 14px 0 6px; }
  .notice p { font-size: 0.95rem; }
  label { display: block; font-weight: 600; margin: 16px 0 6px; }
  input[type=password] { width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: 12px; border-radius: 10px; border: 1px solid #8a8a8e; }
  button { width: 100%; margin-top: 20px; padding: 14px; font-size: 1.05rem; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 12px; }
  button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  .error { color: #b00020; font-weight: 600; }
  footer { margin-top: 28px; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
  <header>${branding?.logo ? `<img src="${escapeHtml(state.logoPath)}" alt="${escapeHtml(name)} logo">` : ''}<h1>${escapeHtml(name)}</h1></header>
  ${branding?.welcomeText ? paragraphs(branding.welcomeText) : `<p>Sign in to let ${escapeHtml(name)} manage ${escapeHtml(kind)}.</p>`}
  ${state.userIdentifier ? `<p>Account: <strong>${escapeHtml(state.userIdentifier)}</strong></p>` : ''}
  <section class="notice" aria-labelledby="privacy"><h2 id="privacy">What ${escapeHtml(name)} can and cannot see</h2>${paragraphs(effectivePrivacyNotice(branding, config.enrollmentType))}</section>
  <form method="post" action="${escapeHtml(state.formPath)}">
    <input type="hidden" name="csrf" value="${escapeHtml(state.csrf)}">
    <input type="hidden" name="user-identifier" value="${escapeHtml(state.userIdentifier ?? '')}">
    ${options.error ? `<p id="error" class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
    ${passcode}
    <button type="submit">Continue</button>
  </form>
  ${support.length ? `<footer>Need help? ${support.join(' · ')}</footer>` : ''}
</main>
</body>
</html>`;
}

export function renderMessagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body { font: 17px/1.45 -apple-system, system-ui, sans-serif; padding: 24px 20px; max-width: 34rem; margin-inline: auto; }</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}
