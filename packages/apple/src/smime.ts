/**
 * The two MIME layers of an ABM/ASM server token (Apple, "Examining server tokens",
 * https://developer.apple.com/documentation/devicemanagement/examining-server-tokens;
 * docs/protocol/apple-business-manager.md#server-tokens;
 * same handling as nanodep tokenpki/parse.go UnwrapSMIME / UnwrapTokenJSON):
 *   outer (.p7m file): MIME headers (`Content-Type: application/pkcs7-mime; smime-type=enveloped-data`,
 *     `Content-Transfer-Encoding: base64`), blank line, base64 CMS EnvelopedData;
 *   inner (decrypted): `Content-Type: text/plain;charset=UTF-8` headers, blank line, the JSON — possibly
 *     framed by `-----BEGIN MESSAGE-----` / `-----END MESSAGE-----` lines.
 */
import { decodeBase64Strict } from './cms';
import { AppleProtocolError } from './errors';

interface MimeEntity {
  headers: Map<string, string>;
  body: string;
}

/** Splits `Name: value` header lines (with folded continuations) from the body; undefined if no headers. */
export function splitMime(text: string): MimeEntity | undefined {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return undefined;
  const lines = text.slice(0, match.index).split(/\r?\n/);
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const header = /^([A-Za-z0-9-]+):[ \t]*(.*)$/.exec(line);
    if (!header) return undefined;
    last = header[1]!.toLowerCase();
    headers.set(last, header[2]!.trim());
  }
  return { headers, body: text.slice(match.index + match[0].length) };
}

/** Outer layer → DER/BER bytes of the EnvelopedData. */
export function unwrapSmime(file: string | Uint8Array): Uint8Array {
  const text = typeof file === 'string' ? file : Buffer.from(file).toString('latin1');
  const entity = splitMime(text.replace(/^\uFEFF/, ''));
  const type = entity?.headers.get('content-type')?.toLowerCase() ?? '';
  if (!entity || !/^application\/(x-)?pkcs7-mime\b/.test(type)) {
    throw new AppleProtocolError(
      'NOT_A_TOKEN',
      'This file is not an Apple Business Manager / Apple School Manager server token: it is not an S/MIME ' +
        '(.p7m) message. Download the token from the MDM server’s page in ABM/ASM and upload that file unchanged.',
    );
  }
  const encoding = entity.headers.get('content-transfer-encoding')?.toLowerCase() ?? 'base64';
  const der = encoding === 'base64' ? decodeBase64Strict(entity.body) : undefined;
  if (!der) {
    throw new AppleProtocolError(
      'TOKEN_CORRUPTED',
      'The server token file is damaged: its encrypted part is not valid base64. Download it again from ' +
        'Apple Business Manager / Apple School Manager and upload the .p7m file unchanged (do not open and save it in an editor).',
    );
  }
  return der;
}

/** Inner layer → the token JSON text (headers and MESSAGE framing removed). */
export function unwrapTokenJson(text: string): string {
  const body = text.trimStart().startsWith('{') ? text : (splitMime(text)?.body ?? text);
  return body
    .split(/\r?\n/)
    .filter((line) => !/^-----(BEGIN|END) MESSAGE-----\s*$/.test(line))
    .join('\n')
    .trim();
}
