/**
 * Payload secrets at rest (docs/payload-secrets.md). A payload item keeps its settings in clear
 * without the values of its secret keys; those are sealed together, once per payload version, with
 * the same envelope encryption as every other secret (purpose `payload-secret`, bound to tenant,
 * payload and version), and `secretPaths` says where they go. A signed profile that carries them is
 * sealed the same way for the command queue (purpose `payload-profile`).
 *
 * Which keys are secret is the catalogue's business (@ade/apple/catalog: separateSecrets); this
 * module only moves values along key paths, so the command channel can open and merge secrets
 * without loading the catalogue.
 */
import type { PayloadItem } from '../entities/service.ts';
import type { DecryptOptions, KeyManagement, SealedSecret } from '../secrets/key-management.ts';

/** Dictionary keys and array indices from the settings' root, e.g. ["EAPClientConfiguration", "UserPassword"]. */
export type KeyPath = (string | number)[];

export interface SecretValue {
  path: KeyPath;
  value: unknown;
}

type PayloadRef = Pick<PayloadItem, 'tenantId' | 'payloadId' | 'version'>;

/** What a payload's sealed settings are bound to: opened under any other tenant, payload or version, they fail. */
export function payloadSecretContext(item: PayloadRef) {
  return {
    tenantId: item.tenantId,
    purpose: 'payload-secret',
    payloadId: item.payloadId,
    payloadVersion: String(item.version),
  };
}

/** What a queued command's sealed profile is bound to (commandEntity's `sealedProfile`). */
export function payloadProfileContext(item: PayloadRef) {
  return { ...payloadSecretContext(item), purpose: 'payload-profile' };
}

/** The attributes that store `secrets` on a payload item: nothing when there are none. */
export async function sealSecrets(
  keys: KeyManagement,
  item: PayloadRef,
  secrets: SecretValue[],
): Promise<{ secretPaths: KeyPath[]; sealedSecrets: SealedSecret } | null> {
  if (!secrets.length) return null;
  const sealedSecrets = await keys.encrypt(JSON.stringify(secrets), payloadSecretContext(item));
  return { secretPaths: secrets.map((s) => s.path), sealedSecrets };
}

/** A payload's sealed secrets, opened (none for a payload without any). */
export async function openSecrets(
  keys: KeyManagement,
  item: PayloadRef & Pick<PayloadItem, 'sealedSecrets'>,
  options?: DecryptOptions,
): Promise<SecretValue[]> {
  if (!item.sealedSecrets) return [];
  const plain = await keys.decrypt(item.sealedSecrets as SealedSecret, payloadSecretContext(item), options);
  const parsed = JSON.parse(plain.toString('utf8')) as unknown;
  if (!Array.isArray(parsed) || !parsed.every(isSecretValue))
    throw new Error(
      `The sealed secrets of payload ${item.payloadId} are not a list of key paths and values.`,
    );
  return parsed;
}

function isSecretValue(value: unknown): value is SecretValue {
  if (typeof value !== 'object' || value === null) return false;
  const { path } = value as { path?: unknown };
  return (
    Array.isArray(path) &&
    path.length > 0 &&
    path.every((p) => typeof p === 'string' || (typeof p === 'number' && Number.isInteger(p) && p >= 0))
  );
}

/** A payload's settings in clear, as stored (no secret values). */
export function storedSettings(item: Pick<PayloadItem, 'settingsJson'>): Record<string, unknown> {
  return JSON.parse(item.settingsJson) as Record<string, unknown>;
}

/** A payload's settings as the device must get them: the clear ones with the secrets put back. */
export async function revealSettings(
  keys: KeyManagement,
  item: Parameters<typeof openSecrets>[1] & Pick<PayloadItem, 'settingsJson'>,
  options?: DecryptOptions,
): Promise<Record<string, unknown>> {
  return withSecrets(storedSettings(item), await openSecrets(keys, item, options));
}

/** A copy of `settings` with each secret set at its path. */
export function withSecrets(settings: Record<string, unknown>, secrets: SecretValue[]) {
  const out = structuredClone(settings);
  for (const { path, value } of secrets)
    if (!setAt(out, path, value))
      throw new Error(`A sealed secret's place (${JSON.stringify(path)}) is missing from the settings.`);
  return out;
}

/**
 * An update's settings with the stored secrets it leaves out put back: a secret key absent from a
 * dictionary that is still there keeps its value (write-only: admins never see it to send it
 * again); an explicit `null` clears it (separateSecrets drops it); a new value replaces it. A
 * secret whose dictionary is gone (a removed array item, a removed EAP block) goes with it. Inside
 * arrays, secrets are kept by position.
 */
export function keepOmittedSecrets(next: Record<string, unknown>, stored: SecretValue[]) {
  const out = structuredClone(next);
  for (const { path, value } of stored) {
    const parent = valueAt(out, path.slice(0, -1));
    const key = path.at(-1);
    if (isPlainObject(parent) && typeof key === 'string' && !Object.hasOwn(parent, key)) parent[key] = value;
  }
  return out;
}

/**
 * Stands in for a secret value where only its presence matters (eligibility, which keys a device
 * will drop, the variant of a profile): no decryption. Not a valid plist string (NUL), so it could
 * never reach a device unnoticed; fillPlaceholders refuses to leave one behind.
 */
export const SECRET_PLACEHOLDER = '\u0000sealed payload secret\u0000';

/** The stored settings with a placeholder at each sealed secret's path. */
export function withPlaceholders(item: Pick<PayloadItem, 'settingsJson' | 'secretPaths'>) {
  const paths = (item.secretPaths ?? []) as KeyPath[];
  return withSecrets(
    storedSettings(item),
    paths.map((path) => ({ path, value: SECRET_PLACEHOLDER })),
  );
}

/**
 * Settings prepared with placeholders (some maybe dropped for a device), with the real values put in
 * where a placeholder is left. Throws if one has no value: better no profile than a wrong one.
 */
export function fillPlaceholders(settings: Record<string, unknown>, secrets: SecretValue[]) {
  const out = structuredClone(settings);
  for (const { path, value } of secrets)
    if (valueAt(out, path) === SECRET_PLACEHOLDER) setAt(out, path, value);
  if (holdsPlaceholder(out)) throw new Error('A secret of the payload has no sealed value.');
  return out;
}

function holdsPlaceholder(value: unknown): boolean {
  if (value === SECRET_PLACEHOLDER) return true;
  if (Array.isArray(value)) return value.some(holdsPlaceholder);
  return isPlainObject(value) && Object.values(value).some(holdsPlaceholder);
}

export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isPlainObject(node) && typeof key === 'string' && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

function setAt(root: Record<string, unknown>, path: KeyPath, value: unknown): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path.at(-1);
  if (Array.isArray(parent) && typeof key === 'number' && key < parent.length) parent[key] = value;
  else if (isPlainObject(parent) && typeof key === 'string') parent[key] = value;
  else return false;
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
