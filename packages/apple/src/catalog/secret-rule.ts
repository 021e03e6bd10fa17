/**
 * Which keys of Apple's profile payloads and declarations hold secrets. Apple's schema format has no
 * marker for them: a key has a name, a type, a presence, ranges and a format, nothing that says
 * "sensitive" (Apple's schema format: https://github.com/apple/device-management/blob/release/docs/schema.md,
 * "Payload/Response Keys Array Object"). So the catalogue generator decides it from the facts with the
 * rule below, at any depth (dictionaries, array items), and marks such keys `secret: true` (types.ts).
 * The list it yields is reviewed by hand in docs/payload-secrets.md; test/repo/payload-secrets-doc.test.ts fails when the two differ,
 * so a new release of Apple's schemas cannot add or drop a secret key unnoticed.
 *
 * 1. By name: a `<string>` or `<data>` key whose name ends, in any case, in one of SECRET_ENDINGS —
 *    `Password`, `AuthPassword`, `IncomingPassword`, `SharedSecret`, `Challenge` (SCEP), `PPK` (IKEv2
 *    post-quantum pre-shared key), `RegistrationToken`, `Token`. Booleans and numbers about secrets
 *    (`OneTimeUserPassword`, `PasscodeReuseLimit`) and strings that only describe one
 *    (`XAuthPasswordEncryption`) do not end so.
 * 2. Identity data: a `<data>` key that a password beside it unlocks — `X` next to `XPassword`
 *    (com.apple.eas.account's `Certificate`), or a dictionary's required `<data>` key next to a
 *    `Password` (com.apple.security.pkcs12's `PayloadContent`). FileVault's optional `Certificate`
 *    next to the user's `Password` is a public certificate and stays clear.
 * 3. SECRET_OVERRIDES: keys the rule cannot see, each with its reason. None is taken out: every key
 *    the rule finds was reviewed as a secret.
 *
 * Dictionaries Apple leaves open (`ANY` keys, e.g. an SSO extension's ExtensionData) cannot be
 * classified: what they hold is stored as given. Development tool (read by build-catalog.ts only).
 */
import type { SchemaKey } from '../schema/facts.ts';

export const SECRET_ENDINGS = [
  'password',
  'passphrase',
  'secret',
  'token',
  'challenge',
  'privatekey',
  'pin',
  'ppk',
] as const;

/**
 * Keys the rule does not find that hold secrets, each with its reason: by the key list they are in
 * (its label in catalog.generated.ts: the payload or declaration type, then `.Key` or `.Key[]` for
 * nested lists) and the key's name. The generator fails on an override that names no key.
 */
export const SECRET_OVERRIDES: readonly { list: string; key: string; reason: string }[] = [
  {
    list: 'com.apple.security.wapi-identity',
    key: 'PEMData',
    reason:
      'a WAPI identity: its PEM carries the private key with the certificate, and no password protects it',
  },
  {
    list: 'com.apple.security.acme',
    key: 'ClientIdentifier',
    reason:
      "the enterprise-issued code the ACME server redeems for a certificate (Apple: an anti-replay code proving the device's entitlement): the ACME counterpart of SCEP's Challenge",
  },
];

const TEXT_TYPES = new Set(['<string>', '<data>']);

/** Rule 1: a string or data key named like a secret. */
export function secretByName(key: SchemaKey): boolean {
  if (!TEXT_TYPES.has(String(key.type))) return false;
  const name = String(key.key).toLowerCase();
  return SECRET_ENDINGS.some((ending) => name.endsWith(ending));
}

/** Rule 2: a data key unlocked by a password beside it (a PKCS#12 identity). */
export function secretIdentityData(key: SchemaKey, siblings: readonly SchemaKey[]): boolean {
  if (key.type !== '<data>') return false;
  const names = new Set(siblings.filter(secretByName).map((k) => String(k.key)));
  return names.has(`${key.key}Password`) || (key.presence === 'required' && names.has('Password'));
}

/** Rule 3: the override for this key of this list, if any. */
export function secretOverride(list: string, key: string) {
  return SECRET_OVERRIDES.find((o) => o.list === list && o.key === key);
}
