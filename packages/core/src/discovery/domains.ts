/**
 * Domains of an ADE configuration and of the account a person types on the device.
 *
 * A device takes the identifier the person typed ("alice@example.com"), splits it at the LAST "@" and
 * fetches `https://<domain>/.well-known/com.apple.remotemanagement`; an empty part or a domain that is
 * not a fully qualified domain name is an error on the device (DOC-SIMPLE step 1, step 2;
 * docs/protocol/discovery.md#the-request-a-device-makes). So a configuration's domain must be a plain FQDN
 * (a host name, nothing else), and we compare domains in one canonical form: lower-case A-labels
 * (punycode), as `node:url`'s domainToASCII produces them (UTS #46 processing, as browsers do).
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { AppError } from '../errors.ts';

/** RFC 1035 §2.3.4 / RFC 1123 §2.1: letters, digits and inner hyphens, 1–63 octets per label. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** ASCII other than letters, digits, "-" and ".": refused before IDNA maps it (it would turn "%41" into "a"). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const ASCII_OUTSIDE_LDH = /[\u0000-\u002c\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007f]/;

/**
 * The canonical form of a domain an admin enters: trimmed, one trailing dot dropped, lower-case
 * punycode. Anything that is not a bare FQDN is refused with a message saying what to change; `path`
 * names the input field in the error (e.g. `['input', 'domains', '0']`).
 */
export function normalizeDomain(input: string, path: string[] = []): string {
  const refuse = (message: string): never => {
    throw AppError.validation([{ path, message }]);
  };
  if (typeof input !== 'string') return refuse('must be text');
  let name = input.trim();
  if (!name) return refuse('must not be empty');
  if (name.includes('://'))
    return refuse('must be only the domain name, without "https://" (e.g. example.com)');
  if (name.includes('@')) return refuse('must be only the domain: the part after "@" in an account name');
  // "mailto:…" is a scheme; "example.com:8443" (a digit after the colon) is a port, refused below.
  if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(name))
    return refuse('must be only the domain name, without a scheme');
  if (/[/\\]/.test(name)) return refuse('must be only the domain name, without a path');
  if (/[?#]/.test(name)) return refuse('must be only the domain name, without "?" or "#"');
  if (name.includes('*')) return refuse('must not be a wildcard; add each domain separately');
  if (name.startsWith('[') || isIP(name) === 6) return refuse('must be a domain name, not an IP address');
  if (name.includes(':')) return refuse('must be only the domain name, without a port');
  if (name.endsWith('.')) name = name.slice(0, -1); // the DNS root; "example.com." is example.com
  // The URL host parser reads a name ending in a number ("1.2.3.4", "0x7f.1") as IPv4 (WHATWG URL).
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (isIP(name) === 4 || /^(?:\d+|0x[0-9a-f]*)$/i.test(last)) {
    return refuse('must be a domain name, not an IP address');
  }
  if (/\s/.test(name) || ASCII_OUTSIDE_LDH.test(name)) {
    return refuse('may contain only letters, digits, hyphens and dots');
  }
  const ascii = domainToASCII(name);
  if (!ascii) return refuse('is not a valid domain name (it contains characters a domain cannot have)');
  if (isIP(ascii)) return refuse('must be a domain name, not an IP address');
  const labels = ascii.split('.');
  if (labels.length < 2) return refuse('must be a full domain such as example.com, not a top-level domain');
  for (const label of labels) {
    if (!label) return refuse('must not contain empty parts (two dots in a row, or a leading dot)');
    if (label.length > 63) return refuse('has a part longer than 63 characters');
    if (label.startsWith('-') || label.endsWith('-')) {
      return refuse('has a part that starts or ends with a hyphen');
    }
    if (!LABEL.test(label)) return refuse('may contain only letters, digits, hyphens and dots');
  }
  if (ascii.length > 253) return refuse('must be at most 253 characters long');
  return ascii;
}

/**
 * The domain of an account identifier as the device derives it (split at the last "@", DOC-SIMPLE
 * step 1), normalized; null when the identifier has no usable local part or domain.
 */
export function domainOfIdentifier(userIdentifier: string): string | null {
  if (typeof userIdentifier !== 'string') return null;
  const at = userIdentifier.lastIndexOf('@');
  if (at <= 0 || !userIdentifier.slice(0, at).trim()) return null;
  try {
    return normalizeDomain(userIdentifier.slice(at + 1));
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}
