/** URLs and ids of a tenant's MDM endpoints, as written into its enrollment profiles. */
import { createHash } from 'node:crypto';

/** ServerURL and CheckInURL name the tenant; the enrollment comes from the request's signature. */
export function mdmUrls(publicUrl: string, tenantId: string): { serverUrl: string; checkInUrl: string } {
  const base = `${publicUrl}/mdm/t/${tenantId.slice(4)}`;
  return { serverUrl: `${base}/connect`, checkInUrl: `${base}/checkin` };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `dev_` + 26 base32 characters of the SHA-256 of the identity certificate's fingerprint. */
export function deviceIdFor(fingerprintSha256: string): string {
  const digest = createHash('sha256').update(fingerprintSha256).digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return `dev_${out}`;
}
