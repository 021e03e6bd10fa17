/**
 * Import of an Automated Device Enrollment server token (the `.p7m` an admin downloads from the MDM
 * server's page in Apple Business Manager / Apple School Manager after uploading our certificate,
 * token-certificate.ts). Apple: "Authenticating for Automated Device Enrollment" and "Examining server
 * tokens" (https://developer.apple.com/documentation/devicemanagement/examining-server-tokens);
 * docs/protocol/apple-business-manager.md#server-tokens.
 *
 * File → S/MIME unwrap (smime.ts) → EnvelopedData decrypt with our key (cms-envelope.ts) → inner MIME →
 * JSON with the OAuth 1.0a credentials for https://mdmenrollment.apple.com/session.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { certificateFromDer, pemToDer } from './cms';
import { decryptEnvelopedData } from './cms-envelope';
import { AppleProtocolError } from './errors';
import { unwrapSmime, unwrapTokenJson } from './smime';

/** Real token files are ~3 KiB. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

export interface ServerToken {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
  /** Renew the token in ABM/ASM before this instant. */
  accessTokenExpiry: Date;
}

export interface TokenKeyPair {
  /** PEM private key (PKCS #8 or PKCS #1) whose certificate was uploaded to ABM/ASM. */
  privateKeyPem: string;
  /** PEM certificate uploaded to ABM/ASM; used to find our recipient entry in the file. */
  certificatePem: string;
}

const FIELDS = {
  consumer_key: 'consumerKey',
  consumer_secret: 'consumerSecret',
  access_token: 'accessToken',
  access_secret: 'accessSecret',
} as const;

/**
 * Decrypts and validates a server token. `now` decides expiry (pass the request time; no hidden clock).
 * Errors: NOT_A_TOKEN, TOKEN_CORRUPTED, TOKEN_WRONG_KEY, TOKEN_EXPIRED, BODY_TOO_LARGE, INVALID_KEY,
 * UNSUPPORTED_ALGORITHM — all `AppleProtocolError`.
 */
export function decryptServerToken(file: string | Uint8Array, keys: TokenKeyPair, now: Date): ServerToken {
  const size = typeof file === 'string' ? Buffer.byteLength(file) : file.byteLength;
  if (size > MAX_TOKEN_FILE_BYTES) {
    throw new AppleProtocolError(
      'BODY_TOO_LARGE',
      `The file is ${size} bytes; a server token is only a few KiB.`,
    );
  }
  const { key, cert } = loadKeyPair(keys);
  const decrypted = decryptEnvelopedData(unwrapSmime(file), key, cert);

  // Random output (wrong content key) is almost never valid UTF-8: report it as undecryptable, not as "not a token".
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(decrypted);
  } catch (cause) {
    throw new AppleProtocolError('TOKEN_CORRUPTED', undefined, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(unwrapTokenJson(text));
  } catch (cause) {
    throw notAToken('its content is not JSON', cause);
  }
  if (typeof json !== 'object' || json === null) throw notAToken('its content is not a JSON object');
  const record = json as Record<string, unknown>;

  const token: Partial<ServerToken> = {};
  for (const [field, prop] of Object.entries(FIELDS)) {
    const value = record[field];
    if (typeof value !== 'string' || value === '') throw notAToken(`the field "${field}" is missing`);
    token[prop] = value;
  }
  const expiry = record.access_token_expiry;
  // Apple writes RFC 3339 UTC, e.g. "2015-01-14T21:27:41Z".
  const expiryDate = typeof expiry === 'string' ? new Date(expiry) : undefined;
  if (!expiryDate || Number.isNaN(expiryDate.getTime()))
    throw notAToken('"access_token_expiry" is not a date');
  if (expiryDate.getTime() <= now.getTime()) {
    throw new AppleProtocolError(
      'TOKEN_EXPIRED',
      `This server token expired on ${expiryDate.toISOString()}. In Apple Business Manager / Apple School Manager, ` +
        'open this MDM server, download a new token and upload it here.',
    );
  }
  return { ...(token as Omit<ServerToken, 'accessTokenExpiry'>), accessTokenExpiry: expiryDate };
}

function loadKeyPair(keys: TokenKeyPair): { key: KeyObject; cert: pkijs.Certificate } {
  try {
    const key = createPrivateKey(keys.privateKeyPem);
    const x509 = new X509Certificate(keys.certificatePem);
    const der = pemToDer(keys.certificatePem, 'CERTIFICATE');
    if (!der) throw new Error('no PEM certificate');
    if (!x509.checkPrivateKey(key)) {
      throw new AppleProtocolError(
        'INVALID_KEY',
        'The token certificate and private key do not belong together.',
      );
    }
    return { key, cert: certificateFromDer(der) };
  } catch (cause) {
    if (cause instanceof AppleProtocolError) throw cause;
    throw new AppleProtocolError(
      'INVALID_KEY',
      'The server’s token private key or certificate cannot be read. Generate a new token certificate.',
      { cause },
    );
  }
}

function notAToken(reason: string, cause?: unknown): AppleProtocolError {
  return new AppleProtocolError(
    'NOT_A_TOKEN',
    `This file decrypts, but it is not an Apple Business Manager / Apple School Manager server token: ${reason}. ` +
      'Download the server token (.p7m) from the MDM server’s page and upload that file.',
    { cause },
  );
}
