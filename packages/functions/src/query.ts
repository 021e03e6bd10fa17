/**
 * One query parameter from the raw query string. Not URLSearchParams: it decodes `+` as a space
 * (form encoding), but Apple's client builds the query with NSURLComponents, which leaves a `+` in
 * `alice+work@example.com` as it is. Percent-escapes are decoded; a malformed escape yields null.
 */
export function queryParameter(rawQuery: string | undefined, name: string): string | null {
  if (!rawQuery) return null;
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (safeDecode(key) !== name) continue;
    return eq === -1 ? '' : safeDecode(pair.slice(eq + 1));
  }
  return null;
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
