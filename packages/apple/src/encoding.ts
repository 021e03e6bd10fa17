/**
 * Text forms of DER (strict base64, PEM) and Node's certificate names: helpers that need no ASN.1
 * library, so the device path (mdm-signature.ts) can use them without loading pkijs. cms.ts re-exports
 * them for the modules that do use pkijs.
 */
import type { X509Certificate } from 'node:crypto';

/**
 * Decodes base64 text (optionally PEM-armoured, any whitespace) strictly: every character must belong
 * to the alphabet, unlike `Buffer.from(s, 'base64')`, which silently skips garbage. Returns undefined if
 * the text is not base64.
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  const compact = text.replace(/-----(BEGIN|END) [A-Z0-9 #]+-----/g, '').replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact))
    return undefined;
  return Buffer.from(compact, 'base64');
}

export function pemToDer(pem: string, label: string): Uint8Array | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  return match?.[1] === undefined ? undefined : decodeBase64Strict(match[1]);
}

/**
 * "CN=…, C=US, …" in the certificate's own RDN order (Node gives one attribute per line); "" for an empty
 * subject, where Node gives undefined (a certificate any sender can make: it must not crash a verifier).
 */
export function subjectString(cert: X509Certificate): string {
  return (cert.subject ?? '').split('\n').join(', ');
}
